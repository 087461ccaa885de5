#!/bin/bash
# Sparse inference (issue 4, section 5): a magnitude-pruned fully-connected layer at batch 1, dense vs CSR
# in dnnc's executor, and ONNX Runtime (npm onnxruntime-node, CPU) on the same models plus the
# filter-pruned (shrunk) layer, in one run. Then the dense-vs-CSR crossover table (bench_crossover).
#
#   bench/sparse/run.sh [BUILD_DIR]     # needs bench_exec and bench_crossover built, /usr/bin/python3 with onnx
#
# Env: MIN_TIME (seconds per measurement, default 1), THREADS (default 1), LAYERS (default all three).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
BENCH=$BUILD/bench/infer/bench_exec
CROSS=$BUILD/bench/sparse/bench_crossover
MIN_TIME=${MIN_TIME:-1}
THREADS=${THREADS:-1}
LAYERS=${LAYERS:-"lenet300_fc1 lenet300_fc2 alexnet_fc6"}
MODELS=$BUILD/sparse
export NODE_PATH=${NODE_PATH:-$PWD/build/ort/node_modules}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
for b in "$BENCH" "$CROSS"; do
  [ -x "$b" ] || { echo "run.sh: $b not built (cmake --build $BUILD --target bench_exec bench_crossover)" >&2; exit 2; }
done
node -e "require(process.env.DNNC_ORT_MODULE || 'onnxruntime-node')" 2>/dev/null ||
  { echo "run.sh: onnxruntime-node not found (see bench/infer/README.md)" >&2; exit 2; }
[ -f "$MODELS/alexnet_fc6_s95.onnx" ] || /usr/bin/python3 bench/sparse/make_models.py "$MODELS" >/dev/null
json() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); v=d['$2']; print(v if not isinstance(v, dict) else ','.join(v))" "$1"; }
r() { python3 -c "print(f'{$1/$2:.2f}')"; }
echo "threads: $THREADS, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| layer | sparsity | dnnc dense ms | dnnc auto ms | auto kernel | speed-up | ORT dense ms | ORT filter-pruned ms | dnnc auto / ORT dense |"
echo "|---|---:|---:|---:|---|---:|---:|---:|---:|"
for l in $LAYERS; do
  for s in 0 80 90 95; do
    m=$MODELS/${l}_s$s.onnx
    d=$("$BENCH" "$m" --batch 1 --threads "$THREADS" --min-time "$MIN_TIME" --sparse never)
    a=$("$BENCH" "$m" --batch 1 --threads "$THREADS" --min-time "$MIN_TIME" --sparse auto)
    o=$(node bench/infer/ort_bench.js "$m" --batch 1 --threads "$THREADS" --min-time "$MIN_TIME")
    f="-"
    if [ "$s" != 0 ]; then
      f=$(json "$(node bench/infer/ort_bench.js "$MODELS/${l}_f$s.onnx" --batch 1 --threads "$THREADS" --min-time "$MIN_TIME")" median_ms)
      f=$(printf "%.4f" "$f")
    fi
    dm=$(json "$d" median_ms); am=$(json "$a" median_ms); om=$(json "$o" median_ms)
    printf "| %s | %s %% | %.4f | %.4f | %s | %s | %.4f | %s | %s |\n" "$l" "$s" "$dm" "$am" "$(json "$a" kernels)" \
      "$(r "$dm" "$am")" "$om" "$f" "$(r "$am" "$om")"
  done
done
echo
"$CROSS" --threads "$THREADS"
