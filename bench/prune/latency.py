#!/usr/bin/python3
"""ONNX Runtime latency of filter-pruned models vs the original, both timed in one process.

For each model and fraction: `dnnc run MODEL --passes 'prune-structured(sparsity=F)'`, `dnnc info
--json` on both for params and MACs, then bench/prune/ort_pair.js, which alternates runs of the
original and the pruned model (same input, one intra-op thread) and reports medians and their ratio.
Prints a Markdown table.

    bench/prune/latency.py [--build build] [--models lenet300,lenet5,rescnn] [--fractions 0.3,0.5,0.7]
                           [--batches 1,32] [--threads 1] [--min-time 2] [--criterion l1] [--round 8]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def model_path(name, build):
    for p in (os.path.join(ROOT, "test", "data", name + ".onnx"), os.path.join(build, "zoo", name + ".onnx")):
        if os.path.exists(p):
            return p
    return None


def dnnc(build, *args):
    r = subprocess.run([os.path.join(build, "cli", "dnnc"), *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"latency.py: dnnc {' '.join(args)} failed: {r.stderr.strip()}")
    return r.stdout


def info(build, path):
    d = json.loads(dnnc(build, "info", path, "--json"))
    t = d.get("model", d)
    return t["params"], t["macs"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--models", default="lenet300,lenet5,rescnn")
    ap.add_argument("--fractions", default="0.3,0.5,0.7")
    ap.add_argument("--batches", default="1,32")
    ap.add_argument("--threads", default="1")
    ap.add_argument("--min-time", default="2")
    ap.add_argument("--criterion", default="l1")
    ap.add_argument("--round", default="1", help="prune-structured round=N (keep channel counts multiples of N)")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    env = dict(os.environ, NODE_PATH=os.environ.get("NODE_PATH", os.path.join(build, "ort", "node_modules")))
    pair = os.path.join(ROOT, "bench", "prune", "ort_pair.js")
    print("| model | filters pruned | params | MACs | batch | original ms | pruned ms | speed-up (median) | speed-up (min) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.models.split(","):
            src = model_path(name, build)
            if not src:
                print(f"latency.py: skipping {name} (not found)", file=sys.stderr)
                continue
            p0, m0 = info(build, src)
            for f in a.fractions.split(","):
                out = os.path.join(tmp, f"{name}_{f}.onnx")
                dnnc(build, "run", src, "-o", out, "--passes", f"prune-structured(sparsity={f}, criterion={a.criterion}, round={a.round})")
                p1, m1 = info(build, out)
                for b in a.batches.split(","):
                    r = subprocess.run(["node", pair, src, out, "--batch", b, "--threads", a.threads, "--min-time", a.min_time],
                                       capture_output=True, text=True, env=env)
                    if r.returncode != 0:
                        sys.exit(f"latency.py: {r.stderr.strip()}")
                    t = json.loads(r.stdout)
                    print(f"| {name} | {float(f):.0%} | {p1:,} ({p1 / p0:.0%}) | {m1:,} ({m1 / m0:.0%}) | {b} | "
                          f"{t['a_median_ms']:.3f} | {t['b_median_ms']:.3f} | {t['median_ratio']:.2f}x | {t['min_ratio']:.2f}x |",
                          flush=True)


if __name__ == "__main__":
    main()
