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


# name -> (constructor, input side, published parameter count or None)
MODELS = {
    "resnet18": (lambda: torchvision.models.resnet18(weights=None), 224, 11_689_512),
    "resnet50": (lambda: torchvision.models.resnet50(weights=None), 224, 25_557_032),
    "vgg16": (lambda: torchvision.models.vgg16(weights=None), 224, 138_357_544),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(weights=None), 224, 3_504_872),
    "alexnet": (lambda: torchvision.models.alexnet(weights=None), 224, 61_100_840),
    "caffe_alexnet": (CaffeAlexNet, 227, 60_965_224),
}


def param_count(model):
    return sum(p.numel() for p in model.parameters())


def export(model, side, path, keep_bn):
    # EVAL mode folds BatchNormalization into the preceding Conv; PRESERVE on a
    # model in eval() keeps it (for exercising fold-bn at scale).
    mode = torch.onnx.TrainingMode.PRESERVE if keep_bn else torch.onnx.TrainingMode.EVAL
    torch.onnx.export(
        model.eval(), torch.zeros(1, 3, side, side), path,
        opset_version=OPSET,
        input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
        do_constant_folding=not keep_bn,
        training=mode)


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
    make, side, expected = MODELS[name]
    torch.manual_seed(SEED)  # per model, so exporting a subset gives the same files
    model = make()
    params = param_count(model)
    path = os.path.join(out, f"{name}.onnx")
    start = time.time()
    with torch.no_grad():
        export(model, side, path, keep_bn)
    if not keep_identity:
        materialise_shared_initializers(path)
    onnx.checker.check_model(path)  # by path: works past the 2 GB protobuf limit
    note = "" if expected is None or params == expected else f"  (expected {expected:,}!)"
    print(f"{name}: {params:,} params{note}, input [N,3,{side},{side}], "
          f"{os.path.getsize(path) / 2**20:.1f} MiB, {time.time() - start:.0f} s")
    print(f"  {op_histogram(path)}")
    return expected is None or params == expected


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="*", default=list(MODELS), metavar="MODEL",
                    help="models to export (default: all of " + ", ".join(MODELS) + ")")
    ap.add_argument("--out", default="build/zoo", help="output directory")
    ap.add_argument("--keep-bn", action="store_true",
                    help="keep BatchNormalization nodes instead of folding them into Conv")
    ap.add_argument("--keep-identity", action="store_true",
                    help="keep the exporter's Identity nodes for deduplicated initializers")
    args = ap.parse_args()
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
