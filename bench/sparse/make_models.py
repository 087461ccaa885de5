#!/usr/bin/python3
"""Writes the models bench/sparse/run.sh times: one fully-connected layer (ONNX Gemm, y = x W^T + b) per
case, at batch 1, with seeded random weights pruned by magnitude (the smallest |w| set to exactly zero).

  bench/sparse/make_models.py OUT_DIR

Cases: LeNet-300-100's first two layers (784x300, 300x100) and an AlexNet-fc6-sized layer (9216x4096),
each dense and at 80/90/95 % sparsity (name: <layer>_s<percent>.onnx), plus the filter-pruned (shrunk)
dense layer that keeps the same fraction of outputs (<layer>_f<percent>.onnx) for ONNX Runtime.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

LAYERS = [("lenet300_fc1", 784, 300), ("lenet300_fc2", 300, 100), ("alexnet_fc6", 9216, 4096)]
SPARSITIES = [0, 80, 90, 95]


def gemm_model(name, w, b):
    n, k = w.shape
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "W", "B"], ["y"], name="fc", transB=1)], name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", n])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="dnnc bench/sparse")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "build/sparse"
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(2015)
    for name, k, n in LAYERS:
        w = (rng.standard_normal((n, k)) / np.sqrt(k)).astype(np.float32)
        b = (0.1 * rng.standard_normal(n)).astype(np.float32)
        order = np.argsort(np.abs(w), axis=None, kind="stable")
        for s in SPARSITIES:
            pruned = w.copy()
            pruned.flat[order[: int(round(w.size * s / 100))]] = 0.0
            onnx.save(gemm_model(f"{name}_s{s}", pruned, b), os.path.join(out, f"{name}_s{s}.onnx"))
            if s:
                keep = max(1, int(round(n * (100 - s) / 100)))
                rows = np.argsort(-np.abs(w).sum(axis=1), kind="stable")[:keep]
                onnx.save(gemm_model(f"{name}_f{s}", w[np.sort(rows)], b[np.sort(rows)]),
                          os.path.join(out, f"{name}_f{s}.onnx"))
    print(out)


if __name__ == "__main__":
    main()
