#!/usr/bin/python3
"""NumPy reference for bench/decompose: Tucker-2 of every Conv of a model with EVBMF ranks, the way
Kim et al.'s script does it (ranks by EVBMF on the mode-0 and mode-1 unfoldings, factors by HOSVD
through numpy.linalg.svd), or with the ranks of a params ratio (decompose-tucker's formula), then at most
N HOOI sweeps; timed from weights in memory to factors. Prints one JSON line.

    numpy_tucker.py MODEL.onnx [--hooi N] [--ratio R] [--tolerance T] [--update subspace|svd]

The HOOI update is by default dnnc's (lib/linalg/tucker.cpp): one step of orthogonal iteration per
factor and sweep, warm-started from the last factor, with the same stopping rule (a sweep that lowers
the relative error by less than T, default 1e-4, is the last), so both sides run the same algorithm;
`--update svd` takes each factor from a full numpy.linalg.svd instead (the textbook HOOI).

EVBMF is the analytic solution of Nakajima et al. (2013) with the same free-energy minimisation as
dnnc's lib/linalg/vbmf.cpp (log grid + golden section over the paper's interval; SciPy is not installed).
"""
import json
import math
import sys
import time

import numpy as np
import onnx
from onnx import numpy_helper

TAU = 2.5129


def free_energy(sigma2, s, L, M):
    alpha = L / M
    tau_bar = TAU * math.sqrt(alpha)
    x_bar = (1 + tau_bar) * (1 + alpha / tau_bar)
    z = s * s / (M * sigma2)
    big = z > x_bar
    z1 = z[big]
    b = z1 - (1 + alpha)
    tau = 0.5 * (b + np.sqrt(np.maximum(0.0, b * b - 4 * alpha)))
    obj = np.sum(z1 - tau + np.log((tau + 1) / z1) + alpha * np.log(tau / alpha + 1))
    z2 = z[~big]
    pos = z2[z2 > 0]
    return obj + np.sum(pos - np.log(pos)) + (z2.size - pos.size) * math.log(M * sigma2)


def golden(f, a, b):
    g = (math.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(200):
        if b - a <= 1e-9 * max(abs(a), abs(b)):
            break
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = f(d)
    return c if fc < fd else d


def evbmf_rank(y):
    L, M = sorted(y.shape)
    s = np.linalg.svd(y, compute_uv=False)
    alpha = L / M
    tau_bar = TAU * math.sqrt(alpha)
    x_bar = (1 + tau_bar) * (1 + alpha / tau_bar)
    eh_ub = min(math.ceil(L / (1 + alpha)) - 1, L) - 1
    first = min(max(eh_ub + 1, 0), L - 1)
    upper = np.sum(s * s) / (L * M)
    lower = max(s[first] ** 2 / (M * x_bar), np.mean(s[first:] ** 2) / M)
    if not lower > 0:
        lower = upper * 1e-12
    sigma2 = upper
    if lower < upper:
        f = lambda v: free_energy(v, s, L, M)
        grid = 64
        step = math.log(upper / lower) / grid
        vals = [f(lower * math.exp(step * i)) for i in range(grid + 1)]
        best = int(np.argmin(vals))
        a, b = lower * math.exp(step * max(0, best - 1)), lower * math.exp(step * min(grid, best + 1))
        sigma2 = golden(f, a, b)
        if f(sigma2) > vals[best]:
            sigma2 = lower * math.exp(step * best)
    threshold = math.sqrt(M * sigma2 * x_bar)
    return max(1, int(np.sum(s > threshold)))


def unfold(t, mode):
    return np.moveaxis(t, mode, 0).reshape(t.shape[mode], -1)


def leading(t, mode, rank):
    u, _, _ = np.linalg.svd(unfold(t, mode), full_matrices=False)
    return u[:, :rank]


def ratio_ranks(w, ratio):
    """decompose-tucker's ranks for a params ratio: R3 = a C, R4 = a K with a (C^2 + K^2) + a^2 C K h w
    = ratio K C h w."""
    K, C, h, wd = w.shape
    quad, lin = float(C * K * h * wd), float(C * C + K * K)
    a = (-lin + math.sqrt(lin * lin + 4 * quad * ratio * quad)) / (2 * quad)
    clamp = lambda r, top: min(max(int(math.floor(r + 0.5)), 1), top)
    return clamp(a * K, K), clamp(a * C, C)


def update(a, u, how):
    if how == 'svd':
        return np.linalg.svd(a, full_matrices=False)[0][:, :u.shape[1]]
    return np.linalg.qr(a @ (a.T @ u))[0]


def rel_error(w, u_out, u_in):
    core = np.einsum('kchw,ka,cb->abhw', w, u_out, u_in, optimize=True)
    w_hat = np.einsum('abhw,ka,cb->kchw', core, u_out, u_in, optimize=True)
    return float(np.linalg.norm(w - w_hat) / np.linalg.norm(w))


def tucker2(w, r_out, r_in, hooi, tolerance, how):
    u_out, u_in = leading(w, 0, r_out), leading(w, 1, r_in)
    norm2 = float(np.sum(w * w))
    error = rel_error(w, u_out, u_in)
    sweeps = 0
    for _ in range(hooi):
        u_out = update(unfold(np.einsum('kchw,cb->kbhw', w, u_in, optimize=True), 0), u_out, how)
        a1 = unfold(np.einsum('kchw,ka->achw', w, u_out, optimize=True), 1)
        u_in = update(a1, u_in, how)
        sweeps += 1
        # Orthonormal factors: ||W - W_hat||^2 = ||W||^2 - ||G||^2, G = U_in^T a1 (as dnnc stops).
        core2 = float(np.sum((u_in.T @ a1) ** 2))
        nxt = math.sqrt(max(0.0, 1 - core2 / norm2)) if norm2 > 0 else 0.0
        done = error - nxt < tolerance
        error = nxt
        if done:
            break
    return rel_error(w, u_out, u_in), sweeps


def main():
    path = sys.argv[1]
    opt = lambda name, default: sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default
    hooi, ratio = int(opt('--hooi', 0)), opt('--ratio', None)
    tolerance, how = float(opt('--tolerance', 1e-4)), opt('--update', 'subspace')
    model = onnx.load(path)
    inits = {t.name: t for t in model.graph.initializer}
    kernels = []
    for n in model.graph.node:
        if n.op_type != 'Conv' or n.input[1] not in inits:
            continue
        group = next((a.i for a in n.attribute if a.name == 'group'), 1)
        w = numpy_helper.to_array(inits[n.input[1]]).astype(np.float64)
        if group != 1 or w.ndim != 4 or w.shape[2:] == (1, 1):
            continue
        kernels.append((n.name or n.output[0], w))
    start, cpu_start = time.perf_counter(), time.process_time()
    layers = []
    for name, w in kernels:
        if ratio is None:
            r_out, r_in = evbmf_rank(unfold(w, 0)), evbmf_rank(unfold(w, 1))
        else:
            r_out, r_in = ratio_ranks(w, float(ratio))
        err, sweeps = tucker2(w, r_out, r_in, hooi, tolerance, how)
        layers.append({'layer': name, 'ranks': [r_in, r_out], 'sweeps': sweeps, 'rel_error': err})
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    print(json.dumps({'seconds': seconds, 'cpu_seconds': cpu_seconds, 'hooi': hooi, 'layers': layers}))


if __name__ == '__main__':
    main()
