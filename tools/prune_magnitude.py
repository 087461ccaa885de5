#!/usr/bin/python3
"""One-shot magnitude pruning of every Conv / Gemm / MatMul weight initializer, layer by layer.

A stand-in for the prune-magnitude pass (written elsewhere) so the weight-sharing and packing
benchmarks and tests have a pruned model: each layer keeps its largest |w| and zeroes the rest
(ties at the threshold are kept in index order, so exactly round(n * sparsity) weights become 0).
Biases are left dense, as in Han et al.

    tools/prune_magnitude.py IN.onnx OUT.onnx --sparsity 0.92
    tools/prune_magnitude.py IN.onnx OUT.onnx --rates 0.92,0.91,0.74   (one per layer, graph order)

Deep Compression's per-layer rates (Han et al. 2016, Tables 2-3), about 92 % overall:
LeNet-300-100 0.92,0.91,0.74; LeNet-5 0.34,0.88,0.92,0.81.
"""
import argparse

import numpy as np
import onnx
from onnx import numpy_helper


def weight_names(graph):
    inits = {t.name for t in graph.initializer}
    names = []
    for node in graph.node:
        if node.op_type in ("Conv", "Gemm", "MatMul") and len(node.input) > 1 and node.input[1] in inits:
            if node.input[1] not in names:
                names.append(node.input[1])
    return names


def prune(w, sparsity):
    flat = w.reshape(-1).copy()
    k = int(round(flat.size * sparsity))
    if k <= 0:
        return w
    order = np.argsort(np.abs(flat), kind="stable")
    flat[order[:k]] = 0.0
    return flat.reshape(w.shape)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--sparsity", type=float, default=0.92)
    ap.add_argument("--rates", default="", help="comma-separated sparsity per layer, in graph order")
    args = ap.parse_args()
    model = onnx.load(args.input)
    names = weight_names(model.graph)
    rates = [float(r) for r in args.rates.split(",")] if args.rates else [args.sparsity] * len(names)
    if len(rates) != len(names):
        raise SystemExit(f"--rates has {len(rates)} values for {len(names)} layers ({', '.join(names)})")
    rate_of = dict(zip(names, rates))
    for t in model.graph.initializer:
        if t.name in rate_of:
            w = numpy_helper.to_array(t).astype(np.float32)
            t.CopyFrom(numpy_helper.from_array(prune(w, rate_of[t.name]), t.name))
    onnx.checker.check_model(model)
    onnx.save(model, args.output)


if __name__ == "__main__":
    main()
