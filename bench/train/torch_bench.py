#!/usr/bin/python3
"""PyTorch side of bench/train/run.sh: one training step (forward, cross-entropy, backward, SGD with
momentum) of a model, built by hand from its ONNX graph as in tools/grad_reference.py but in float32
with nn.Conv2d-equivalent functional calls. The input is random normal data of the shape the model's
input declares (batch first), the labels i mod the number of classes (the output's second dimension). Prints JSON: median_ms, min_ms (wall), cpu_ms (process
CPU time per step, all threads, median), steps.

Usage: torch_bench.py MODEL.onnx [--batch 32] [--threads 1] [--min-time 2] [--bn frozen|batch]
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from grad_reference import OnnxModule  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--min-time", type=float, default=2.0)
    ap.add_argument("--bn", default="frozen")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    m = OnnxModule(a.model, a.bn == "batch").float()
    m.consts = {k: (v.float() if v.is_floating_point() else v) for k, v in m.consts.items()}
    opt = torch.optim.SGD(m.parameters(), lr=1e-4, momentum=0.9)
    g = torch.Generator().manual_seed(0)
    dims = [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim[1:]]
    if not dims or min(dims) < 1:
        raise SystemExit("torch_bench.py: the input's dimensions after the batch must be fixed")
    x = torch.randn(a.batch, *dims, generator=g)
    with torch.no_grad():
        classes = m(x).shape[1]
    y = torch.arange(a.batch) % classes

    def step():
        opt.zero_grad(set_to_none=False)
        F.cross_entropy(m(x), y).backward()
        opt.step()

    for _ in range(3):
        step()
    ms, cpu = [], []
    start = time.perf_counter()
    while time.perf_counter() - start < a.min_time or len(ms) < 5:
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        cpu.append((time.process_time() - c0) * 1e3)
        ms.append((time.perf_counter() - t0) * 1e3)
    ms.sort()
    cpu.sort()
    print(json.dumps({"median_ms": ms[len(ms) // 2], "min_ms": ms[0], "cpu_ms": cpu[len(cpu) // 2], "steps": len(ms)}))


if __name__ == "__main__":
    main()
