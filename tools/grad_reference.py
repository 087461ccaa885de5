#!/usr/bin/python3
"""PyTorch reference gradients for dnnc's reverse mode (test/unit/train/reference_test.cpp).

Builds a torch module by hand from each bundled ONNX graph (the initializers become float64
nn.Parameters; each node maps to the torch.nn.functional call with the same attributes), runs the
first 16 Fashion-MNIST training images (normalised as the models expect) through it, takes the mean
cross-entropy against their labels, and writes every parameter's gradient (float32) and the loss to
test/data/grad_ref/<model>.npz. rescnn is written twice: BatchNormalization frozen (running
statistics) and with batch statistics (rescnn_bnbatch.npz). grad_ref/lenet300_shared.onnx is LeNet-300-100
as `dnnc share` writes it (each weight Gather(codebook, Cast(uint8 indices))); its parameters are the
codebooks, whose gradients autograd sums over each cluster through the indexing.

The zoo's ResNet-18 and MobileNetV2 (torchvision exports, 3x224x224; tools/make_zoo.py) are written
too when the zoo is there (ZOO, default build/zoo): their seeded input batch of 2 (NAME.input.npy),
labels ZOO_LABELS, BatchNormalization frozen, to grad_ref/<model>_zoo.npz. (Not with batch statistics:
over a batch of 2 on these random-weight networks the gradients are so ill-conditioned that PyTorch's
own float32 gradients differ from its float64 ones by 0.3-0.7 %, so no float32 engine can be held to
1e-4; with frozen statistics PyTorch's float32 error is at most 2e-6.) Only the
parameters of at most ZOO_MAX_VALUES values and the first node's weight are kept (every BN scale and
bias, the stem convolution, MobileNetV2's depthwise kernels up to 384 channels and its narrow 1x1
convolutions, the classifier bias): their gradients depend on the whole reverse pass, and the files
stay small.

Usage (from the repository root; not run by CI): tools/grad_reference.py  (ONLY_ZOO=1: the zoo's only)
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

DATA = "test/data"
ZOO = os.environ.get("ZOO", "build/zoo")
ZOO_MODELS = ("resnet18", "mobilenet_v2")
ZOO_LABELS = [7, 512]
ZOO_MAX_VALUES = 4096
OUT = os.path.join(DATA, "grad_ref")
BATCH = 16
MEAN, STD = 0.2860, 0.3530
# BatchNormalization's running statistics are buffers, not parameters.
BUFFER_INPUTS = {"BatchNormalization": (3, 4)}
FLOAT_TYPES = (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16)


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class OnnxModule(torch.nn.Module):
    """The ONNX graph as a torch module: parameters by initializer name, ops by functional calls."""

    def __init__(self, path, bn_batch_stats):
        super().__init__()
        self.graph = onnx.load(path).graph
        self.bn_batch_stats = bn_batch_stats
        buffers = set()
        for n in self.graph.node:
            for i in BUFFER_INPUTS.get(n.op_type, ()):
                buffers.add(n.input[i])
        self.params = torch.nn.ParameterDict()
        self.consts = {}
        self.names = []
        for init in self.graph.initializer:
            t = torch.from_numpy(numpy_helper.to_array(init).copy())
            if t.dtype == torch.float32 and init.name not in buffers:
                self.params[self.key(init.name)] = torch.nn.Parameter(t.double())
                self.names.append(init.name)
            else:
                self.consts[init.name] = t.double() if t.dtype == torch.float32 else t

    @staticmethod
    def key(name):
        return name.replace(".", "__")

    def value(self, env, name):
        if name in env:
            return env[name]
        if name in self.consts:
            return self.consts[name]
        return self.params[self.key(name)]

    def float_dtype(self):
        return next(iter(self.params.values())).dtype if self.params else torch.float64

    def forward(self, x):
        env = {self.graph.input[0].name: x}
        for n in self.graph.node:
            a = attrs(n)
            ins = [self.value(env, i) for i in n.input if i]
            op = n.op_type
            if op == "Conv":
                pads = a.get("pads", [0, 0, 0, 0])
                assert pads[0] == pads[2] and pads[1] == pads[3]
                y = F.conv2d(ins[0], ins[1], ins[2] if len(ins) > 2 else None, stride=a.get("strides", [1, 1]),
                             padding=(pads[0], pads[1]), dilation=a.get("dilations", [1, 1]), groups=a.get("group", 1))
            elif op == "Gemm":
                A = ins[0].t() if a.get("transA", 0) else ins[0]
                B = ins[1].t() if a.get("transB", 0) else ins[1]
                y = a.get("alpha", 1.0) * A @ B
                if len(ins) > 2:
                    y = y + a.get("beta", 1.0) * ins[2]
            elif op == "Relu":
                y = F.relu(ins[0])
            elif op == "Clip":  # opset >= 11: bounds are optional inputs (ReLU6 in MobileNetV2)
                lo = ins[1].item() if len(n.input) > 1 and n.input[1] else a.get("min")
                hi = ins[2].item() if len(n.input) > 2 and n.input[2] else a.get("max")
                y = torch.clamp(ins[0], lo, hi)
            elif op == "Constant":
                v = torch.from_numpy(numpy_helper.to_array(a["value"]).copy())
                y = v.to(self.float_dtype()) if v.is_floating_point() else v
            elif op == "MaxPool":
                pads = a.get("pads", [0, 0, 0, 0])
                y = F.max_pool2d(ins[0], a["kernel_shape"], a.get("strides", [1, 1]), (pads[0], pads[1]),
                                 ceil_mode=bool(a.get("ceil_mode", 0)))
            elif op == "Flatten":
                y = torch.flatten(ins[0], a.get("axis", 1))
            elif op == "BatchNormalization":
                y = F.batch_norm(ins[0], ins[3].clone(), ins[4].clone(), ins[1], ins[2], training=self.bn_batch_stats,
                                 eps=a.get("epsilon", 1e-5))
            elif op == "Add":
                y = ins[0] + ins[1]
            elif op == "GlobalAveragePool":
                y = ins[0].mean(dim=(2, 3), keepdim=True)
            elif op == "Cast":
                to = a["to"]
                y = ins[0].double() if to in FLOAT_TYPES else ins[0].long()
            elif op == "Gather":
                axis = a.get("axis", 0)
                data, idx = ins[0], ins[1].long()
                y = torch.index_select(data, axis, idx.reshape(-1)).reshape(
                    data.shape[:axis] + idx.shape + data.shape[axis + 1:])
            else:
                raise SystemExit(f"grad_reference.py: no mapping for {op}")
            env[n.output[0]] = y
        return env[self.graph.output[0].name]


def batch():
    x = np.load(os.path.join(DATA, "fashion_train_5000_images.npy"))[:BATCH].astype(np.float64)
    y = np.load(os.path.join(DATA, "fashion_train_5000_labels.npy"))[:BATCH].astype(np.int64)
    return torch.from_numpy((x / 255.0 - MEAN) / STD), torch.from_numpy(y)


def main():
    os.makedirs(OUT, exist_ok=True)
    if os.environ.get("ONLY_ZOO") != "1":
        bundled()
    zoo()


def bundled():
    x, y = batch()
    for model, bn_batch in (("lenet300", False), ("lenet5", False), ("rescnn", False), ("rescnn", True),
                            ("grad_ref/lenet300_shared", False)):
        m = OnnxModule(os.path.join(DATA, model + ".onnx"), bn_batch)
        loss = F.cross_entropy(m(x), y)
        loss.backward()
        out = {name: m.params[m.key(name)].grad.numpy().astype(np.float32) for name in m.names}
        out["loss"] = np.array([loss.item()], dtype=np.float64)
        name = os.path.basename(model) + ("_bnbatch" if bn_batch else "") + ".npz"
        np.savez(os.path.join(OUT, name), **out)
        print(f"{name}: loss {loss.item():.6f}, {len(m.names)} parameters")


def zoo():
    for model in ZOO_MODELS:
        path = os.path.join(ZOO, model + ".onnx")
        if not os.path.exists(path):
            print(f"{model}: skipped, {path} is missing (make zoo)")
            continue
        m = OnnxModule(path, False)
        x = torch.from_numpy(np.load(os.path.join(ZOO, model + ".input.npy")).astype(np.float64))
        loss = F.cross_entropy(m(x), torch.tensor(ZOO_LABELS))
        loss.backward()
        keep = set(m.graph.node[0].input[1:])
        out = {name: m.params[m.key(name)].grad.numpy().astype(np.float32) for name in m.names
               if m.params[m.key(name)].numel() <= ZOO_MAX_VALUES or name in keep}
        out["loss"] = np.array([loss.item()], dtype=np.float64)
        np.savez(os.path.join(OUT, model + "_zoo.npz"), **out)
        print(f"{model}_zoo.npz: loss {loss.item():.6f}, {len(out) - 1} of {len(m.names)} parameters")


if __name__ == "__main__":
    main()
