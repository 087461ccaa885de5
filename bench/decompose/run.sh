#!/bin/bash
# Tucker-2 on every Conv of a model: dnnc (bench_decompose, C++/Eigen) against the NumPy reference
# (numpy_tucker.py: EVBMF + HOSVD through numpy.linalg.svd, then the same warm-started HOOI sweeps and
# stopping rule as dnnc), one after the other in one run, both on one thread. Cases: EVBMF ranks and the
# ranks of ratio=0.25 (params after / before; ranks in the hundreds on VGG-16), each with the HOSVD only
# and with at most HOOI sweeps (default 10, the pass's default). Prints a Markdown table with the wall
# and CPU times, their ratio, whether the ranks agree, the sweeps run and the mean (over layers)
# relative reconstruction error of each side.
#
#   bench/decompose/run.sh [BUILD_DIR] [MODEL]    # default build/ and build/zoo/vgg16.onnx
#   HOOI=10 RANKS="evbmf 0.25" bench/decompose/run.sh
#
# Needs: cmake --build BUILD --target bench_decompose; /usr/bin/python3 with numpy and onnx.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
MODEL=${2:-build/zoo/vgg16.onnx}
BENCH=$BUILD/bench/decompose/bench_decompose
[ -x "$BENCH" ] || { echo "run.sh: $BENCH not built (cmake --build $BUILD --target bench_decompose)" >&2; exit 2; }
[ -f "$MODEL" ] || { echo "run.sh: $MODEL missing (tools/make_zoo.py vgg16)" >&2; exit 2; }
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
echo "| model | ranks | most HOOI sweeps | sweeps run dnnc / NumPy | dnnc wall s | NumPy wall s | dnnc CPU s | NumPy CPU s | NumPy / dnnc (CPU) | ranks agree | mean rel. error dnnc / NumPy |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|"
for ranks in ${RANKS:-evbmf 0.25}; do
  rank_args=()
  [ "$ranks" = evbmf ] || rank_args=(--ratio "$ranks")
  for hooi in 0 ${HOOI:-10}; do
    d=$("$BENCH" "$MODEL" --hooi "$hooi" "${rank_args[@]}" --threads 1)
    n=$(/usr/bin/python3 bench/decompose/numpy_tucker.py "$MODEL" --hooi "$hooi" "${rank_args[@]}")
    /usr/bin/python3 - "$d" "$n" "$(basename "$MODEL" .onnx)" "$ranks" "$hooi" <<'PY'
import json, sys
d, n = json.loads(sys.argv[1]), json.loads(sys.argv[2])
ranks = sys.argv[4] if sys.argv[4] == 'evbmf' else f'ratio {sys.argv[4]}'
same = [a['ranks'] for a in d['layers']] == [b['ranks'] for b in n['layers']]
# The unweighted mean over layers of the relative errors.
def mean_error(side):
    return sum(l['rel_error'] for l in side['layers']) / len(side['layers'])
sweeps = lambda side: sum(l.get('sweeps', 0) for l in side['layers'])
print(f"| {sys.argv[3]} | {ranks} | {sys.argv[5]} | {sweeps(d)} / {sweeps(n)} | {d['seconds']:.2f} | {n['seconds']:.2f} | "
      f"{d['cpu_seconds']:.2f} | {n['cpu_seconds']:.2f} | {n['cpu_seconds'] / d['cpu_seconds']:.2f} | "
      f"{'yes' if same else 'no'} | {mean_error(d):.4f} / {mean_error(n):.4f} |")
if not same:
    for a, b in zip(d['layers'], n['layers']):
        if a['ranks'] != b['ranks']:
            print(f"  {a['layer']}: dnnc {a['ranks']}, numpy {b['ranks']}", file=sys.stderr)
PY
  done
done
