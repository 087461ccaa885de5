#!/usr/bin/python3
"""Accuracy against sparsity without retraining, for docs/results.md ("Unstructured and SIMD pruning").

For each bundled Fashion-MNIST model, granularity (element, simd:4, simd:8) and global sparsity, runs
`dnnc prune --sparsity S --granularity G` and `dnnc eval` on the 2000 bundled test images, and prints
Markdown tables: top-1 accuracy, nonzero weights (Conv/Gemm/MatMul weights and everything else the
layer table counts) and the reduction against the dense model. Also a per-layer schedule from
`dnnc sensitivity --budget 1` and activation pruning (prune-activations) at a few targets.

Usage (from the repository root, after building):
    tools/prune_results.py [--dnnc build/cli/dnnc] > /tmp/prune_results.md
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "test", "data")
IMAGES = os.path.join(DATA, "fashion_test_2000_images.npy")
LABELS = os.path.join(DATA, "fashion_test_2000_labels.npy")
PRE = ["--scale", "0.00392156862745098", "--mean", "0.2860", "--std", "0.3530"]
MODELS = ["lenet300", "lenet5", "rescnn"]
GRANULARITIES = ["element", "simd:4", "simd:8"]
LEVELS = [0.5, 0.7, 0.8, 0.9, 0.95]
ACT_LEVELS = [0.7, 0.8, 0.9]


def dnnc(binary, args):
    r = subprocess.run([binary] + args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"dnnc {' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return json.loads(r.stdout) if "--json" in args else r.stdout


def accuracy(binary, model):
    j = dnnc(binary, ["eval", model, "--data", IMAGES, "--labels", LABELS, "--json"] + PRE)
    return j["top1_correct"]


def effective_macs(binary, model):
    """MACs a zero-skipping kernel performs: each layer's MACs times its nonzero fraction."""
    m = dnnc(binary, ["info", model, "--json"])["model"]
    total = 0.0
    for layer in m["layers"]:
        if layer["params"]:
            total += layer["macs"] * layer["nonzero_params"] / layer["params"]
    return m["macs"], total


def prune(binary, model, out, args):
    j = dnnc(binary, ["prune", model, "-o", out, "--json"] + args)
    return j


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dnnc", default=os.path.join(ROOT, "build", "cli", "dnnc"))
    a = ap.parse_args()
    out = []
    tmp = tempfile.mkdtemp(prefix="prune_results_")
    for name in MODELS:
        model = os.path.join(DATA, name + ".onnx")
        base = accuracy(a.dnnc, model)
        params = prune(a.dnnc, model, os.path.join(tmp, "dense.onnx"), ["--sparsity", "0"])["before"]["params"]
        out.append(f"### {name} (dense: {base}/2000 = {100 * base / 2000:.2f} %, {params:,} params)\n")
        out.append("| sparsity | " + " | ".join(f"{g} top-1" for g in GRANULARITIES) +
                   " | nonzero params | size reduction | nonzero-weight MACs | MAC reduction |")
        out.append("|---:|" + "---:|" * len(GRANULARITIES) + "---:|---:|---:|---:|")
        for s in LEVELS:
            cells = []
            nonzero = None
            for g in GRANULARITIES:
                p = os.path.join(tmp, f"{name}_{g.replace(':', '')}_{s}.onnx")
                j = prune(a.dnnc, model, p, ["--sparsity", str(s), "--granularity", g])
                correct = accuracy(a.dnnc, p)
                cells.append(f"{100 * correct / 2000:.2f} %")
                if nonzero is None:  # element granularity; simd groups land within a group of it
                    nonzero = j["after"]["nonzero_params"]
                    dense_macs, eff_macs = effective_macs(binary=a.dnnc, model=p)
            before = j["before"]["nonzero_params"]
            out.append(f"| {s:.2f} | " + " | ".join(cells) + f" | {nonzero:,} | {before / nonzero:.1f}x | "
                       f"{eff_macs / 1e6:.2f} M | {dense_macs / eff_macs:.1f}x |")
        # A per-layer schedule within 1 point, from the sensitivity scan.
        sched = os.path.join(tmp, f"{name}_schedule.yaml")
        sens = dnnc(a.dnnc, ["sensitivity", model, "--data", IMAGES, "--labels", LABELS, "--budget", "1", "-o", sched,
                             "--json"] + PRE)
        p = os.path.join(tmp, f"{name}_sched.onnx")
        j = prune(a.dnnc, model, p, ["--schedule", sched])
        correct = accuracy(a.dnnc, p)
        layers = ", ".join(f"{k} {v:.1f}" for k, v in sens["schedule"]["layers"].items())
        nz = j["after"]["nonzero_params"]
        out.append("")
        out.append(f"Schedule from `dnnc sensitivity --budget 1` (element): {layers}; "
                   f"top-1 {100 * correct / 2000:.2f} %, weight sparsity "
                   f"{100 * j['passes'][0]['summary']['sparsity']:.1f} %, nonzero params {nz:,} "
                   f"({j['before']['nonzero_params'] / nz:.1f}x).\n")
        # Activation pruning (Cnvlutin) on the same images.
        out.append("| activation target | top-1 | Relu output zeros | Conv/Gemm input zeros |")
        out.append("|---:|---:|---:|---:|")
        for t in ACT_LEVELS:
            p = os.path.join(tmp, f"{name}_act_{t}.onnx")
            j = prune(a.dnnc, model, p, ["--activations", "--activation-sparsity", str(t), "--data", IMAGES, "--labels",
                                         LABELS] + PRE)
            s = j["passes"][0]["summary"]
            out.append(f"| {t:.2f} | {100 * s['top1']:.2f} % (dense {100 * s['top1_before']:.2f} %) | "
                       f"{100 * s['relu_output_sparsity_before']:.1f} % -> {100 * s['relu_output_sparsity']:.1f} % | "
                       f"{100 * s['layer_input_sparsity_before']:.1f} % -> {100 * s['layer_input_sparsity']:.1f} % |")
        out.append("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
