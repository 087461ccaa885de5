#!/usr/bin/python3
"""Train the bundled Fashion-MNIST models and write the test fixtures.

Run by hand from the repository root (not in CI; about 12 minutes on 2 idle
cores, far longer beside a parallel build):

    tools/make_fixtures.py            # writes test/data/

Writes three ONNX models (opset 13, input "input" [N,1,28,28] float32,
output "logits" [N,10]), a 2000-image test subset and a 5000-image training
subset as .npy, and test/data/README.md with every figure the C++ tests rely
on (accuracies as exact counts).

Needs Debian's python3-torch, python3-onnx, python3-numpy and
dataset-fashion-mnist. Results are reproducible for a fixed thread count and
CPU (oneDNN picks kernels by ISA); the recorded figures are the truth for the
committed files, not for a rerun elsewhere.
"""
import argparse
import os
import random
import sys
import time

# libgomp's default spin-waiting collapses when the cores are shared: beside a
# parallel build, a 2-thread LeNet step took 614 ms spinning, 35 ms with
# sleeping waiters and 58 ms on 1 thread. Must be set before torch loads libgomp.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import onnx
import onnx.helper
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

from fashion_to_npy import DEFAULT_SRC, load_split

THREADS = 2
TRAIN_SEED = 0  # reset before each model: weight init and shuffling
SUBSET_SEED = 20240  # picks the 5000 committed training images
TEST_SUBSET = 2000
TRAIN_SUBSET = 5000
MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST training-set pixel mean/std (of pixel/255)
OPSET = 13
MAX_DATA_BYTES = 12 * 1024 * 1024

COMMAND = "tools/make_fixtures.py"


# --------------------------------------------------------------------------
# Models

class FastLinear(nn.Linear):
    """nn.Linear that trains through oneDNN instead of the system BLAS.

    Debian's torch calls libblas.so.3, which is the netlib reference BLAS
    unless OpenBLAS is installed; a 1x1 convolution goes to oneDNN and trains
    the LeNets about 7x faster. During ONNX export it is a plain Linear, so the
    graph holds an ordinary Gemm and the parameters are the same tensors.
    """

    def forward(self, x):
        if torch.onnx.is_in_onnx_export():
            return super().forward(x)
        w = self.weight[:, :, None, None]
        return F.conv2d(x[:, :, None, None], w, self.bias).flatten(1)


class LeNet300(nn.Module):
    """LeNet-300-100: 784-300-100-10 MLP with ReLU (LeCun et al. 1998)."""

    def __init__(self):
        super().__init__()
        # Modules rather than F.* calls so every exported node is named (/relu1/Relu).
        self.flatten = nn.Flatten()  # exports as Flatten, which keeps N dynamic
        self.fc1 = FastLinear(784, 300)
        self.relu1 = nn.ReLU()
        self.fc2 = FastLinear(300, 100)
        self.relu2 = nn.ReLU()
        self.fc3 = FastLinear(100, 10)

    def forward(self, x):
        x = self.relu1(self.fc1(self.flatten(x)))
        x = self.relu2(self.fc2(x))
        return self.fc3(x)


class LeNet5(nn.Module):
    """LeNet-5 as in Caffe's examples/mnist and Han et al. (Deep Compression),
    plus a ReLU after each conv (Caffe has none; with it accuracy is higher
    and the conv outputs have activation sparsity to exploit)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)      # 28 -> 24
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)          # -> 12
        self.conv2 = nn.Conv2d(20, 50, 5)     # -> 8
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)          # -> 4
        self.flatten = nn.Flatten()
        self.fc1 = FastLinear(50 * 4 * 4, 500)
        self.relu3 = nn.ReLU()
        self.fc2 = FastLinear(500, 10)

    def forward(self, x):
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        x = self.relu3(self.fc1(self.flatten(x)))
        return self.fc2(x)


class ConvBN(nn.Module):
    """3x3 conv without bias (BN supplies it) followed by BatchNorm."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.conv(x))


class ResBlock(nn.Module):
    """ResNet basic block with identity shortcut: relu(x + bn(conv(relu(bn(conv(x))))))."""

    def __init__(self, channels):
        super().__init__()
        self.a = ConvBN(channels, channels)
        self.b = ConvBN(channels, channels)

    def forward(self, x):
        return F.relu(x + self.b(F.relu(self.a(x))))


class ResCNN(nn.Module):
    """Small residual CNN that keeps BatchNormalization and Add in the graph.

    The maxpool after the stem puts the first block at 14x14: at 28x28 it costs
    4x the compute for about the same accuracy on Fashion-MNIST.
    """

    def __init__(self, width=32):
        super().__init__()
        self.stem = ConvBN(1, width)
        self.block1 = ResBlock(width)
        self.down = ConvBN(width, 2 * width, stride=2)
        self.block2 = ResBlock(2 * width)
        self.fc = nn.Linear(2 * width, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.stem(x)), 2)   # 28 -> 14
        x = self.block1(x)
        x = F.relu(self.down(x))                    # 14 -> 7
        x = self.block2(x)
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.fc(x)


# name -> constructor, training recipe, whether the export keeps BN, and the
# architecture line for the README.
MODELS = {
    "lenet300": dict(
        make=LeNet300, epochs=20, lr=1e-3, batch=128, channels_last=False, keep_bn=False,
        arch="Flatten -> Gemm 784x300 -> Relu -> Gemm 300x100 -> Relu -> Gemm 100x10"),
    "lenet5": dict(
        make=LeNet5, epochs=12, lr=1e-3, batch=128, channels_last=True, keep_bn=False,
        arch="Conv 20@5x5 -> Relu -> MaxPool 2 -> Conv 50@5x5 -> Relu -> MaxPool 2 -> "
             "Flatten -> Gemm 800x500 -> Relu -> Gemm 500x10 (Caffe LeNet-5 of Han et al., "
             "plus ReLU after each conv)"),
    "rescnn": dict(
        make=ResCNN, epochs=8, lr=2e-3, batch=128, channels_last=True, keep_bn=True,
        arch="Conv 32@3x3 -> BN -> Relu -> MaxPool 2 -> [Conv 32@3x3 -> BN -> Relu -> "
             "Conv 32@3x3 -> BN -> Add(identity) -> Relu] -> Conv 64@3x3 s2 -> BN -> Relu -> "
             "[same block at 64] -> GlobalAveragePool -> Flatten -> Gemm 64x10 "
             "(convs have no bias; BN kept, not folded)"),
}


# --------------------------------------------------------------------------
# Data

def normalise(images_u8):
    """uint8 [N,1,28,28] -> float32 tensor, (pixel/255 - MEAN)/STD."""
    x = torch.from_numpy(images_u8).float().div_(255.0)
    return x.sub_(MEAN).div_(STD)


def write_subsets(out, src):
    """Write the committed .npy subsets.

    Returns (train set, test set, the test subset as read back, training-subset indices).
    """
    train_x, train_y = load_split("train", src)
    test_x, test_y = load_split("test", src)

    # Sorted so the subset keeps the official file order.
    idx = np.sort(np.random.default_rng(SUBSET_SEED).choice(
        train_x.shape[0], TRAIN_SUBSET, replace=False))
    arrays = {
        f"fashion_test_{TEST_SUBSET}_images.npy": test_x[:TEST_SUBSET],
        f"fashion_test_{TEST_SUBSET}_labels.npy": test_y[:TEST_SUBSET],
        f"fashion_train_{TRAIN_SUBSET}_images.npy": train_x[idx],
        f"fashion_train_{TRAIN_SUBSET}_labels.npy": train_y[idx],
    }
    for name, arr in arrays.items():
        np.save(os.path.join(out, name), np.ascontiguousarray(arr))

    # Evaluate on what was written, so the README describes the committed bytes.
    sub_x = np.load(os.path.join(out, f"fashion_test_{TEST_SUBSET}_images.npy"))
    sub_y = np.load(os.path.join(out, f"fashion_test_{TEST_SUBSET}_labels.npy"))
    return (train_x, train_y), (test_x, test_y), (sub_x, sub_y), idx


# --------------------------------------------------------------------------
# Training and evaluation

def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def train(model, cfg, x, y, log):
    """Adam with a one-cycle schedule; returns wall seconds."""
    gen = torch.Generator().manual_seed(TRAIN_SEED)
    steps = (x.shape[0] + cfg["batch"] - 1) // cfg["batch"]
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=cfg["lr"], epochs=cfg["epochs"], steps_per_epoch=steps, pct_start=0.2)
    fmt = torch.channels_last if cfg["channels_last"] else torch.contiguous_format
    start = time.time()
    for epoch in range(cfg["epochs"]):
        model.train()
        order = torch.randperm(x.shape[0], generator=gen)
        total = 0.0
        for i in range(steps):
            b = order[i * cfg["batch"]:(i + 1) * cfg["batch"]]
            xb = x[b].contiguous(memory_format=fmt)
            loss = F.cross_entropy(model(xb), y[b])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * b.numel()
        log(f"  epoch {epoch + 1}/{cfg['epochs']}: loss {total / x.shape[0]:.4f} "
            f"({time.time() - start:.0f} s)")
    return time.time() - start


@torch.no_grad()
def predict(fn, x, batch=1000):
    """Argmax of fn over x in batches."""
    return torch.cat([fn(x[i:i + batch]).argmax(1) for i in range(0, x.shape[0], batch)])


def count_correct(pred, labels):
    return int((pred == torch.as_tensor(labels)).sum())


def param_count(model):
    return sum(p.numel() for p in model.parameters())


# --------------------------------------------------------------------------
# Export and checks of the exported graph

def export(model, cfg, path):
    model.eval().to(memory_format=torch.contiguous_format)
    dummy = torch.zeros(1, 1, 28, 28)
    # In EVAL mode torch 1.13 always folds BN into the preceding Conv (eval
    # peephole), whatever do_constant_folding says; PRESERVE on a model in
    # eval() keeps BatchNormalization nodes with the running statistics.
    # Constant folding would only warn in PRESERVE mode and has nothing to fold.
    mode = torch.onnx.TrainingMode.PRESERVE if cfg["keep_bn"] else torch.onnx.TrainingMode.EVAL
    torch.onnx.export(
        model, dummy, path,
        opset_version=OPSET,
        input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
        do_constant_folding=not cfg["keep_bn"],
        training=mode)


def check_graph(path, cfg):
    """onnx.checker (with shape inference) plus the structural promises of the README."""
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    ops = [n.op_type for n in proto.graph.node]
    inp, out = proto.graph.input, proto.graph.output
    assert [i.name for i in inp] == ["input"], [i.name for i in inp]
    assert [o.name for o in out] == ["logits"], [o.name for o in out]
    dims = inp[0].type.tensor_type.shape.dim
    assert dims[0].dim_param and [d.dim_value for d in dims[1:]] == [1, 28, 28], dims
    assert proto.opset_import[0].version == OPSET
    if cfg["keep_bn"]:
        assert "BatchNormalization" in ops and "Add" in ops, ops
        for init in proto.graph.initializer:
            if init.name.endswith("running_var"):
                var = onnx.numpy_helper.to_array(init)
                assert not np.allclose(var, 1.0), f"{init.name} looks untrained"
    else:
        assert "BatchNormalization" not in ops, ops
    return proto


def _conv(x, w, b, attrs):
    # ONNX pads are [begin..., end...]; torch pads symmetrically, so require that.
    pads = attrs.get("pads", [0, 0, 0, 0])
    assert pads[:2] == pads[2:], pads
    return F.conv2d(x, w, b, stride=attrs.get("strides", [1, 1]), padding=pads[:2],
                    dilation=attrs.get("dilations", [1, 1]), groups=attrs.get("group", 1))


def _gemm(x, w, b, attrs):
    a = x.t() if attrs.get("transA", 0) else x
    w = w.t() if attrs.get("transB", 0) else w
    return attrs.get("alpha", 1.0) * (a @ w) + attrs.get("beta", 1.0) * b


# ONNX op -> function(inputs, attrs) over torch tensors: only what these models use.
_OPS = {
    "Conv": lambda i, a: _conv(i[0], i[1], i[2] if len(i) > 2 else None, a),
    "Gemm": lambda i, a: _gemm(i[0], i[1], i[2], a),
    "Relu": lambda i, a: F.relu(i[0]),
    "Add": lambda i, a: i[0] + i[1],
    "MaxPool": lambda i, a: F.max_pool2d(i[0], a["kernel_shape"], a.get("strides"),
                                         a.get("pads", [0, 0, 0, 0])[:2]),
    "GlobalAveragePool": lambda i, a: i[0].mean((2, 3), keepdim=True),
    "Flatten": lambda i, a: torch.flatten(i[0], a.get("axis", 1)),
    "BatchNormalization": lambda i, a: F.batch_norm(
        i[0], i[3], i[4], i[1], i[2], False, 0.0, a.get("epsilon", 1e-5)),
}


def run_onnx(proto, x):
    """Interpret the exported graph node by node with torch kernels.

    Independent of the nn.Module code path: it reads only the ONNX file, so it
    catches export mistakes (wrong attributes, folded or lost nodes, weights).
    """
    env = {i.name: torch.from_numpy(onnx.numpy_helper.to_array(i).copy())
           for i in proto.graph.initializer}
    env["input"] = x
    for node in proto.graph.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type not in _OPS:
            raise NotImplementedError(f"{node.name}: op {node.op_type}")
        inputs = [env[n] if n else None for n in node.input]
        env[node.output[0]] = _OPS[node.op_type](inputs, attrs)
    return env["logits"]


def node_summary(proto):
    return [f"{n.name} ({n.op_type})" for n in proto.graph.node]


# --------------------------------------------------------------------------
# One model end to end

def build_model(name, data, out, log):
    cfg = MODELS[name]
    (train_x, train_y), (test_x, test_y), (sub_x, sub_y) = data
    seed_everything(TRAIN_SEED)
    model = cfg["make"]()
    if cfg["channels_last"]:
        model = model.to(memory_format=torch.channels_last)
    log(f"{name}: {param_count(model):,} params, {cfg['epochs']} epochs")
    seconds = train(model, cfg, train_x, train_y, log)

    model.eval()
    full_pred = predict(model, test_x)
    sub_pred = predict(model, normalise(sub_x))
    path = os.path.join(out, f"{name}.onnx")
    export(model, cfg, path)
    proto = check_graph(path, cfg)
    onnx_full = predict(lambda xb: run_onnx(proto, xb), test_x)
    onnx_sub = predict(lambda xb: run_onnx(proto, xb), normalise(sub_x))

    result = dict(
        name=name, params=param_count(model), seconds=seconds, cfg=cfg,
        full=count_correct(full_pred, test_y), full_n=len(test_y),
        sub=count_correct(sub_pred, sub_y), sub_n=len(sub_y),
        onnx_full=count_correct(onnx_full, test_y), onnx_sub=count_correct(onnx_sub, sub_y),
        # Predictions that differ between the module and its exported graph.
        disagree=int((full_pred != onnx_full).sum()),
        nodes=node_summary(proto),
        initializers=sum(int(np.prod(i.dims)) for i in proto.graph.initializer))
    log(f"{name}: test {pct(result['full'], result['full_n'])} "
        f"({result['full']}/{result['full_n']}), subset {result['sub']}/{result['sub_n']}, "
        f"onnx {result['onnx_full']}/{result['full_n']}, {seconds:.0f} s")
    return result


# --------------------------------------------------------------------------
# README

def pct(k, n):
    return f"{100.0 * k / n:.2f}%"


def readme_text(results, subset_idx, out):
    lines = [
        "# Bundled Fashion-MNIST fixtures",
        "",
        f"Generated by `{COMMAND}` (run from the repository root; not run by CI).",
        "Do not edit by hand: rerun the script, which rewrites this file.",
        "",
        "## Input and normalisation (all models)",
        "",
        "- Input `input`: float32 `[N,1,28,28]` (N dynamic); output `logits`: float32 `[N,10]`.",
        f"- `x = (pixel / 255 - {MEAN:.4f}) / {STD:.4f}` for uint8 pixels "
        "(the training-set mean and std).",
        "- Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, "
        "7 Sneaker, 8 Bag, 9 Ankle boot.",
        f"- ONNX opset {OPSET}, exported by torch {torch.__version__} "
        "(node names like `/fc1/Gemm`).",
        "",
        "## Models",
        "",
        "| model | params | test acc (10,000) | subset acc (first 2,000) | epochs | train time |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| `{r['name']}.onnx` | {r['params']:,} | {pct(r['full'], r['full_n'])} "
            f"({r['full']}/{r['full_n']}) | {pct(r['sub'], r['sub_n'])} "
            f"({r['sub']}/{r['sub_n']}) | {r['cfg']['epochs']} | {r['seconds']:.0f} s |")
    lines += ["", "Accuracy is argmax of `logits` against the label. The figures come from the "
              "PyTorch module; the exported graph, interpreted node by node from the .onnx file, "
              "gives:", ""]
    for r in results:
        lines.append(f"- `{r['name']}`: {r['onnx_full']}/{r['full_n']} and "
                     f"{r['onnx_sub']}/{r['sub_n']}; {r['disagree']} test predictions differ "
                     "from the module's.")
    lines += ["", "Architectures:", ""]
    for r in results:
        lines.append(f"- `{r['name']}`: {r['cfg']['arch']}.")
    lines += ["", "Params counts trainable parameters. Initializer elements in the .onnx "
              "(for `rescnn` these include the BN running mean and variance): "
              + ", ".join(f"{r['name']} {r['initializers']:,}" for r in results) + ".", "",
              "Node names, in graph order:", ""]
    for r in results:
        lines.append(f"- `{r['name']}`: " + ", ".join(f"`{n}`" for n in r["nodes"]))
    lines += [
        "",
        "## Training",
        "",
        "- Official Fashion-MNIST training set (60,000 images, Debian package "
        "`dataset-fashion-mnist`), no augmentation, cross-entropy, Adam with a one-cycle "
        "learning-rate schedule (20% warm-up), max lr and batch size: " + ", ".join(
            f"{r['name']} {r['cfg']['lr']:g}/{r['cfg']['batch']}" for r in results) + ".",
        f"- Seeds: `torch.manual_seed({TRAIN_SEED})`, `np.random.seed({TRAIN_SEED})` and "
        f"`random.seed({TRAIN_SEED})` before building each model; shuffling uses "
        f"`torch.Generator().manual_seed({TRAIN_SEED})`; "
        f"`torch.use_deterministic_algorithms(True)`, {THREADS} threads.",
        "- Train times are the wall-clock of this run on a 2-core machine and depend on its "
        "load (an epoch on an idle one: lenet300 3 s, lenet5 19 s, rescnn 47 s).",
        "",
        "## Data",
        "",
        f"- `fashion_test_{TEST_SUBSET}_*`: the first {TEST_SUBSET} images of the official "
        "test set (t10k), in file order.",
        f"- `fashion_train_{TRAIN_SUBSET}_*`: {TRAIN_SUBSET} training images chosen by "
        f"`np.sort(np.random.default_rng({SUBSET_SEED}).choice(60000, {TRAIN_SUBSET}, "
        "replace=False))`, in file order (first indices: "
        + ", ".join(str(i) for i in subset_idx[:5]) + ", ...).",
        "- Images: uint8 `[N,1,28,28]` (raw pixels, not normalised); labels: int64 `[N]`.",
        "",
        "## Files",
        "",
        "| file | bytes |",
        "|---|---:|",
    ]
    for f in sorted(os.listdir(out)):
        if f != "README.md":
            lines.append(f"| `{f}` | {os.path.getsize(os.path.join(out, f)):,} |")
    lines.append("")
    return "\n".join(lines)


def data_bytes(out):
    return sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))


# --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="test/data", help="output directory")
    ap.add_argument("--src", default=DEFAULT_SRC, help="Fashion-MNIST IDX directory")
    ap.add_argument("--models", nargs="*", default=list(MODELS), choices=list(MODELS),
                    help="models to train (the README lists only these)")
    ap.add_argument("--epochs", type=int,
                    help="override every model's epoch count (quick smoke runs only)")
    args = ap.parse_args()
    if args.epochs:
        for cfg in MODELS.values():
            cfg["epochs"] = args.epochs

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out, exist_ok=True)

    (train_x, train_y), (test_x, test_y), subset, subset_idx = write_subsets(args.out, args.src)
    data = ((normalise(train_x), torch.from_numpy(train_y)),
            (normalise(test_x), test_y), subset)
    start = time.time()
    results = [build_model(name, data, args.out, log) for name in args.models]
    log(f"total training and evaluation: {time.time() - start:.0f} s")

    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write(readme_text(results, subset_idx, args.out))
    size = data_bytes(args.out)
    log(f"{args.out}: {size:,} bytes")
    if size > MAX_DATA_BYTES:
        sys.exit(f"make_fixtures: {args.out} is {size:,} bytes, over the {MAX_DATA_BYTES:,} budget")


if __name__ == "__main__":
    main()
