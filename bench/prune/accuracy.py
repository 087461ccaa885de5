#!/usr/bin/python3
"""Accuracy against the fraction of filters/channels removed by prune-structured, without retraining.

For each model, granularity (filter, channel), criterion (l1, l2) and fraction: `dnnc run MODEL
--passes 'prune-structured(...)'`, then `dnnc eval` on the 2000 bundled Fashion-MNIST test images.
Prints one Markdown table per model (top-1 accuracy, and params/MACs left at each fraction).

    bench/prune/accuracy.py [--build build] [--models lenet300,lenet5,rescnn] [--fractions 0.1,...,0.7]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "test", "data")
# Extra columns: residual groups pruned one-shot hurt most (they cut the skip path), so Li et al. 2017
# prune only the first conv of each residual block; this column does the same with `skip`.
EXTRA = {"rescnn": ("filter L1, residual groups skipped", "skip='/stem/conv/Conv,/down/conv/Conv'")}
PRE = ["--scale", "0.00392156862745098", "--mean", "0.2860", "--std", "0.3530"]


def dnnc(build, *args):
    r = subprocess.run([os.path.join(build, "cli", "dnnc"), *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"accuracy.py: dnnc {' '.join(args)} failed: {r.stderr.strip()}")
    return r.stdout


def evaluate(build, path):
    d = json.loads(dnnc(build, "eval", path, "--data", os.path.join(DATA, "fashion_test_2000_images.npy"),
                        "--labels", os.path.join(DATA, "fashion_test_2000_labels.npy"), "--batch", "100", "--threads", "1", *PRE, "--json"))
    return d["top1_correct"], d["samples"]


def info(build, path):
    d = json.loads(dnnc(build, "info", path, "--json"))
    t = d.get("model", d)
    return t["params"], t["macs"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--models", default="lenet300,lenet5,rescnn")
    ap.add_argument("--fractions", default="0.1,0.2,0.3,0.4,0.5,0.6,0.7")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    fractions = a.fractions.split(",")
    variants = [(g, c) for g in ("filter", "channel") for c in ("l1", "l2")]
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.models.split(","):
            src = os.path.join(DATA, name + ".onnx")
            correct, n = evaluate(build, src)
            p0, m0 = info(build, src)
            print(f"\n**{name}** (unpruned: {correct}/{n} = {100 * correct / n:.2f} %, {p0:,} params, {m0:,} MACs)\n")
            extra = EXTRA.get(name)
            head = [f"{g} {c.upper()}" for g, c in variants] + ([extra[0]] if extra else [])
            print("| pruned | " + " | ".join(head) + " | params left | MACs left |")
            print("|---:|" + "---:|" * (len(head) + 2))
            for f in fractions:
                cells = []
                for g, c in variants:
                    out = os.path.join(tmp, f"{name}_{g}_{c}_{f}.onnx")
                    dnnc(build, "run", src, "-o", out, "--passes",
                         f"prune-structured(sparsity={f}, granularity={g}, criterion={c})")
                    k, n = evaluate(build, out)
                    cells.append(f"{100 * k / n:.2f} %")
                    if (g, c) == ("filter", "l1"):
                        p1, m1 = info(build, out)
                if extra:
                    out = os.path.join(tmp, f"{name}_extra_{f}.onnx")
                    dnnc(build, "run", src, "-o", out, "--passes", f"prune-structured(sparsity={f}, {extra[1]})")
                    k, n = evaluate(build, out)
                    cells.append(f"{100 * k / n:.2f} %")
                print(f"| {float(f):.0%} | " + " | ".join(cells) + f" | {p1 / p0:.1%} | {m1 / m0:.1%} |", flush=True)


if __name__ == "__main__":
    main()
