#!/bin/bash
# A training step in dnnc (lib/train) vs PyTorch CPU (Debian python3-torch) on the same models, batch
# and thread counts, one after the other in one run. Prints a Markdown table of median and min step
# times and the ratio dnnc/PyTorch (lower is better; the goal is <= 1.0), and the median process CPU
# time per step (all threads): on a shared machine wall time moves with the load, CPU time much less.
#
#   bench/train/run.sh [BUILD_DIR]     # needs bench_train: cmake --build BUILD --target bench_train
#
# Env: MIN_TIME (seconds per measurement, default 3), MODELS, BATCH (64), THREADS ("1 2"), BN (frozen|batch).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
BENCH=$BUILD/bench/train/bench_train
MIN_TIME=${MIN_TIME:-3}
MODELS=${MODELS:-"test/data/lenet5.onnx test/data/rescnn.onnx"}
BATCH=${BATCH:-64}
THREADS=${THREADS:-"1 2"}
BN=${BN:-batch}
export OMP_WAIT_POLICY=PASSIVE
if [ ! -x "$BENCH" ]; then echo "run.sh: $BENCH not built (cmake --build $BUILD --target bench_train)" >&2; exit 2; fi
json() { /usr/bin/python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(d['$2'])" "$1"; }
echo "| model | batch | threads | BN | dnnc median ms | PyTorch median ms | ratio | dnnc min ms | PyTorch min ms | min ratio | dnnc CPU ms | PyTorch CPU ms | CPU ratio |"
echo "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for m in $MODELS; do
  for t in $THREADS; do
    d=$(OMP_NUM_THREADS=$t "$BENCH" "$m" --batch "$BATCH" --threads "$t" --min-time "$MIN_TIME" --bn "$BN")
    p=$(OMP_NUM_THREADS=$t /usr/bin/python3 bench/train/torch_bench.py "$m" --batch "$BATCH" --threads "$t" --min-time "$MIN_TIME" --bn "$BN")
    dm=$(json "$d" median_ms); pm=$(json "$p" median_ms); dn=$(json "$d" min_ms); pn=$(json "$p" min_ms)
    dc=$(json "$d" cpu_ms); pc=$(json "$p" cpu_ms)
    printf "| %s | %s | %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n" "$(basename "$m" .onnx)" "$BATCH" "$t" "$BN" \
      "$dm" "$pm" "$(/usr/bin/python3 -c "print($dm/$pm)")" "$dn" "$pn" "$(/usr/bin/python3 -c "print($dn/$pn)")" \
      "$dc" "$pc" "$(/usr/bin/python3 -c "print($dc/$pc)")"
  done
done
