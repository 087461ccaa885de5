#!/usr/bin/python3
"""Summarises run.sh's ratios: per batch/thread column, the geometric mean of dnnc/ORT over the models and
the worst model, for the median, minimum and CPU-time ratios (Markdown).

usage: geomean.py RATIOS.tsv   (rows: model, batch, threads, median ratio, min ratio, CPU ratio)
"""
import math
import sys


def read_rows(path):
    rows = []
    with open(path) as f:
        for line in f:
            model, batch, threads, median, minimum, cpu = line.rstrip("\n").split("\t")
            rows.append((model, int(batch), int(threads), float(median), float(minimum), float(cpu)))
    return rows


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main():
    rows = read_rows(sys.argv[1])
    if not rows:
        print("geomean.py: no measurements", file=sys.stderr)
        return 1
    columns = sorted({(r[1], r[2]) for r in rows})
    print("| batch | threads | models | geomean median ratio | worst (median) | geomean min ratio | geomean CPU ratio | worst (CPU) |")
    print("|---:|---:|---:|---:|---|---:|---:|---|")
    for batch, threads in columns:
        col = [r for r in rows if (r[1], r[2]) == (batch, threads)]
        worst_median = max(col, key=lambda r: r[3])
        worst_cpu = max(col, key=lambda r: r[5])
        print(f"| {batch} | {threads} | {len(col)} | {geomean([r[3] for r in col]):.2f} | "
              f"{worst_median[0]} {worst_median[3]:.2f} | {geomean([r[4] for r in col]):.2f} | "
              f"{geomean([r[5] for r in col]):.2f} | {worst_cpu[0]} {worst_cpu[5]:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
