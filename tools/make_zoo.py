#!/usr/bin/python3
"""Export ImageNet-size models with random weights to ONNX for benchmarks.

The weights are random (torch.manual_seed(0) before each model, weights=None):
these files exercise the passes, the packer and the energy model at real
layer shapes; their accuracy means nothing. Output is large (about 1 GB for
all models) and not committed.

    tools/make_zoo.py                      # all models to build/zoo/
    tools/make_zoo.py resnet18 caffe_alexnet --out /tmp/zoo

ONNX opset 13, input "input" [N,3,H,W] float32 with N dynamic, output
"logits" [N,1000]; H=W=224, except 227 for caffe_alexnet.
"""
import argparse
import os
import sys
import time
import warnings

# Sleeping OpenMP waiters: spinning ones collapse on shared cores (see make_fixtures.py).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

SEED = 0
OPSET = 13
THREADS = 2


class _LRNFunction(torch.autograd.Function):
    """Local response normalisation that exports as one ONNX LRN node.

    F.local_response_norm is a Python composite, so the exporter would emit
    Pad/AveragePool/Pow/Div; a graph with the real LRN op is what a Caffe
    AlexNet converted to ONNX looks like.
    """

    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        return F.local_response_norm(x, size, alpha, beta, k)

    @staticmethod
    def symbolic(g, x, size, alpha, beta, k):
        # Caffe, PyTorch and ONNX all divide alpha by size, so the values carry over.
        # torch 1.13 warns that g.op moves to a GraphContext in 1.14; the call
        # itself is the same there.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return g.op("LRN", x, size_i=size, alpha_f=alpha, beta_f=beta, bias_f=k)


class LRN(nn.Module):
    def __init__(self, size=5, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x):
        return _LRNFunction.apply(x, self.size, self.alpha, self.beta, self.k)


class CaffeAlexNet(nn.Module):
    """AlexNet as in Caffe's models/bvlc_alexnet (Krizhevsky et al. 2012).

    Unlike torchvision's (64-192-384-256-256 channels, no LRN, no groups), it
    has 96-256-384-384-256 channels, LRN after conv1 and conv2, and groups=2 in
    conv2, conv4 and conv5 (the original two-GPU split). Modules are named as
    Caffe's layers so the exported nodes read /conv1/Conv ... /fc8/Gemm.
    """

    def __init__(self, num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 96, 11, stride=4)                 # 227 -> 55
        self.relu1 = nn.ReLU()
        self.norm1 = LRN()
        self.pool1 = nn.MaxPool2d(3, stride=2)                      # -> 27
        self.conv2 = nn.Conv2d(96, 256, 5, padding=2, groups=2)
        self.relu2 = nn.ReLU()
        self.norm2 = LRN()
        self.pool2 = nn.MaxPool2d(3, stride=2)                      # -> 13
        self.conv3 = nn.Conv2d(256, 384, 3, padding=1)
        self.relu3 = nn.ReLU()
        self.conv4 = nn.Conv2d(384, 384, 3, padding=1, groups=2)
        self.relu4 = nn.ReLU()
        self.conv5 = nn.Conv2d(384, 256, 3, padding=1, groups=2)
        self.relu5 = nn.ReLU()
        self.pool5 = nn.MaxPool2d(3, stride=2)                      # -> 6
        self.flatten = nn.Flatten()
        self.fc6 = nn.Linear(256 * 6 * 6, 4096)
        self.relu6 = nn.ReLU()
        self.drop6 = nn.Dropout()
        self.fc7 = nn.Linear(4096, 4096)
        self.relu7 = nn.ReLU()
        self.drop7 = nn.Dropout()
        self.fc8 = nn.Linear(4096, num_classes)

    def forward(self, x):
        x = self.pool1(self.norm1(self.relu1(self.conv1(x))))
        x = self.pool2(self.norm2(self.relu2(self.conv2(x))))
        x = self.relu3(self.conv3(x))
        x = self.relu4(self.conv4(x))
        x = self.pool5(self.relu5(self.conv5(x)))
        x = self.drop6(self.relu6(self.fc6(self.flatten(x))))
        x = self.drop7(self.relu7(self.fc7(x)))
        return self.fc8(x)


class TorchLRNAlexNet(CaffeAlexNet):
    """The same AlexNet with PyTorch's own nn.LocalResponseNorm, exported as torch writes it.

    torch 1.13 has no LRN symbolic for the module: the export is a
    Shape/Gather/Concat/Reshape/Pad/AveragePool/Pow/Div chain whose shapes ONNX
    shape inference cannot follow, which is what a user's plain export looks like.
    """

    def __init__(self, num_classes=1000):
        super().__init__(num_classes)
        self.norm1 = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)
        self.norm2 = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)


class TextEncoder(nn.Module):
    """A BERT-mini-shaped Transformer text encoder: token + position embeddings, 4 post-norm layers
    (d=256, 4 heads, FFN 1024, GELU), mean pooling and a classifier. Input: int64 token ids [N, 64]."""

    VOCAB, LENGTH = 8000, 64

    def __init__(self, d=256, heads=4, layers=4, classes=4):
        super().__init__()
        self.tokens = nn.Embedding(self.VOCAB, d)
        self.positions = nn.Parameter(torch.randn(1, self.LENGTH, d) * 0.02)
        layer = nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.classifier = nn.Linear(d, classes)

    def forward(self, ids):
        x = self.encoder(self.tokens(ids) + self.positions)
        return self.classifier(x.mean(dim=1))


class SpeechLSTM(nn.Module):
    """A keyword-spotting LSTM: 2 stacked LSTM layers (40 filterbank features -> 256 hidden) over 50
    frames, the last frame classified into 12 keywords. Input: float32 [N, 50, 40]."""

    def __init__(self, features=40, hidden=256, classes=12):
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, num_layers=2, batch_first=True)
        self.classifier = nn.Linear(hidden, classes)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.classifier(y[:, -1, :])


class SegmentationOut(nn.Module):
    """torchvision segmentation models return a dict; the exported graph has its "out" only."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


def tv(name, **kwargs):
    return lambda: getattr(torchvision.models, name)(weights=None, **kwargs)


def seg(name):
    return lambda: SegmentationOut(getattr(torchvision.models.segmentation, name)(
        weights=None, weights_backbone=None, aux_loss=False))


# An input: (name, shape with N first, dtype, upper bound of integer values or None).
def image(side):
    return ("input", (1, 3, side, side), "float32", None)


# name -> (constructor, input, published parameter count or None, output name, in the default set)
# The default set is what `make test` exports (its checks run on it); `make zoo-check` exports all.
MODELS = {
    "resnet18": (tv("resnet18"), image(224), 11_689_512, "logits", True),
    "resnet50": (tv("resnet50"), image(224), 25_557_032, "logits", False),
    "vgg16": (tv("vgg16"), image(224), 138_357_544, "logits", False),
    "mobilenet_v2": (tv("mobilenet_v2"), image(224), 3_504_872, "logits", True),
    "mobilenet_v3_small": (tv("mobilenet_v3_small"), image(224), 2_542_856, "logits", True),
    "efficientnet_b0": (tv("efficientnet_b0"), image(224), 5_288_548, "logits", False),
    "googlenet": (tv("googlenet", init_weights=True, aux_logits=False), image(224), 6_624_904, "logits", False),
    "inception_v3": (tv("inception_v3", init_weights=True, aux_logits=False), image(299), 23_834_568, "logits",
                     False),
    "squeezenet1_0": (tv("squeezenet1_0"), image(224), 1_248_424, "logits", True),
    "densenet121": (tv("densenet121"), image(224), 7_978_856, "logits", False),
    "shufflenet_v2": (tv("shufflenet_v2_x1_0"), image(224), 2_278_604, "logits", True),
    "mnasnet1_0": (tv("mnasnet1_0"), image(224), 4_383_312, "logits", False),
    "regnet_y_400mf": (tv("regnet_y_400mf"), image(224), 4_344_144, "logits", True),
    "convnext_tiny": (tv("convnext_tiny"), image(224), 28_589_128, "logits", False),
    "vit_b_16": (tv("vit_b_16"), image(224), 86_567_656, "logits", False),
    "swin_t": (tv("swin_t"), image(224), 28_288_354, "logits", False),
    "deeplabv3": (seg("deeplabv3_mobilenet_v3_large"), image(224), None, "out", False),
    "lraspp": (seg("lraspp_mobilenet_v3_large"), image(224), None, "out", True),
    "alexnet": (tv("alexnet"), image(224), 61_100_840, "logits", False),
    "caffe_alexnet": (CaffeAlexNet, image(227), 60_965_224, "logits", True),
    "alexnet_lrn": (TorchLRNAlexNet, image(227), 60_965_224, "logits", True),
    "text_encoder": (TextEncoder, ("ids", (1, TextEncoder.LENGTH), "int64", TextEncoder.VOCAB), None, "logits",
                     True),
    "speech_lstm": (SpeechLSTM, ("input", (1, 50, 40), "float32", None), None, "logits", True),
}


def param_count(model):
    return sum(p.numel() for p in model.parameters())


def sample_input(spec, batch=1):
    """A seeded input for the model: N(0, 1) floats, or integers in [0, bound) for token ids."""
    _, shape, dtype, bound = spec
    shape = (batch,) + tuple(shape[1:])
    generator = torch.Generator().manual_seed(SEED + 1)
    if dtype == "int64":
        return torch.randint(0, bound, shape, generator=generator, dtype=torch.int64)
    return torch.randn(shape, generator=generator)


def export(model, spec, output, path, keep_bn):
    # EVAL mode folds BatchNormalization into the preceding Conv; PRESERVE on a
    # model in eval() keeps it (for exercising fold-bn at scale).
    mode = torch.onnx.TrainingMode.PRESERVE if keep_bn else torch.onnx.TrainingMode.EVAL
    name = spec[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's notes on dynamic shapes and traced branches
        torch.onnx.export(
            model.eval(), sample_input(spec), path,
            opset_version=OPSET,
            input_names=[name], output_names=[output],
            dynamic_axes={name: {0: "N"}, output: {0: "N"}},
            do_constant_folding=not keep_bn,
            training=mode)


def write_reference(model, spec, out, name):
    """NAME.input.npy (a seeded batch of 2) and NAME.torch.npy (PyTorch's output on it): an independent
    reference for the executor and ONNX Runtime."""
    x = sample_input(spec, batch=2)
    with torch.no_grad():
        y = model.eval()(x)
    np.save(os.path.join(out, f"{name}.input.npy"), x.numpy())
    np.save(os.path.join(out, f"{name}.torch.npy"), y.numpy().astype(np.float32))


def materialise_shared_initializers(path):
    """Replace Identity(initializer) nodes with their own initializer copies.

    torch 1.13 deduplicates initializers with equal contents and feeds the
    duplicates through Identity nodes. With random weights that hits every
    all-zero bias (folded BN, VGG's zero-initialised conv biases), so Conv
    inputs would be Identity outputs instead of initializers, which is not
    what these layers look like in a trained model. Returns the count replaced.
    """
    model = onnx.load(path)
    inits = {t.name: t for t in model.graph.initializer}
    graph_outputs = {o.name for o in model.graph.output}
    keep, replaced = [], 0
    for node in model.graph.node:
        if (node.op_type == "Identity" and node.input[0] in inits
                and node.output[0] not in graph_outputs):
            copy = onnx.TensorProto()
            copy.CopyFrom(inits[node.input[0]])
            copy.name = node.output[0]
            model.graph.initializer.append(copy)
            replaced += 1
        else:
            keep.append(node)
    if replaced:
        del model.graph.node[:]
        model.graph.node.extend(keep)
        onnx.save(model, path)
    return replaced


def op_histogram(path):
    """'Conv x20, Relu x17, ...' in first-seen order, to eyeball the graph."""
    counts = {}
    for node in onnx.load(path, load_external_data=False).graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    return ", ".join(f"{op} x{n}" for op, n in counts.items())


def export_one(name, out, keep_bn, keep_identity):
    make, spec, expected, output, _ = MODELS[name]
    torch.manual_seed(SEED)  # per model, so exporting a subset gives the same files
    model = make()
    params = param_count(model)
    path = os.path.join(out, f"{name}.onnx")
    start = time.time()
    export(model, spec, output, path, keep_bn)
    if not keep_identity:
        materialise_shared_initializers(path)
    onnx.checker.check_model(path)  # by path: works past the 2 GB protobuf limit
    write_reference(model, spec, out, name)
    note = "" if expected is None or params == expected else f"  (expected {expected:,}!)"
    print(f"{name}: {params:,} params{note}, input {spec[0]} {list(spec[1])} {spec[2]}, "
          f"{os.path.getsize(path) / 2**20:.1f} MiB, {time.time() - start:.0f} s")
    print(f"  {op_histogram(path)}")
    return expected is None or params == expected


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="*", metavar="MODEL",
                    help="models to export (default: all of " + ", ".join(MODELS) + ")")
    ap.add_argument("--default-set", action="store_true",
                    help="export the models `make test` checks: " + ", ".join(m for m in MODELS if MODELS[m][4]))
    ap.add_argument("--missing", action="store_true", help="only the models whose files are not in --out yet")
    ap.add_argument("--out", default="build/zoo", help="output directory")
    ap.add_argument("--keep-bn", action="store_true",
                    help="keep BatchNormalization nodes instead of folding them into Conv")
    ap.add_argument("--keep-identity", action="store_true",
                    help="keep the exporter's Identity nodes for deduplicated initializers")
    args = ap.parse_args()
    if not args.models:
        args.models = [m for m in MODELS if MODELS[m][4] or not args.default_set]
    if args.missing:
        args.models = [m for m in args.models if not os.path.exists(os.path.join(args.out, f"{m}.torch.npy"))]
    unknown = [m for m in args.models if m not in MODELS]
    if unknown:
        ap.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODELS)}")

    torch.set_num_threads(THREADS)
    os.makedirs(args.out, exist_ok=True)
    ok = all([export_one(name, args.out, args.keep_bn, args.keep_identity) for name in args.models])
    if not ok:
        sys.exit("make_zoo: a parameter count differs from the published figure")


if __name__ == "__main__":
    main()
