#!/bin/bash
# Tucker-2 + EVBMF on every Conv of a model: dnnc (bench_decompose, C++/Eigen) against the NumPy reference
# (numpy_tucker.py: EVBMF + HOSVD through numpy.linalg.svd), one after the other in one run, both on one
# thread. Prints a Markdown table with the wall times, their ratio and whether the EVBMF ranks agree.
#
#   bench/decompose/run.sh [BUILD_DIR] [MODEL]    # default build/ and build/zoo/vgg16.onnx
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
echo "| model | HOOI sweeps | dnnc wall s | NumPy wall s | dnnc CPU s | NumPy CPU s | NumPy / dnnc (CPU) | ranks agree |"
echo "|---|---:|---:|---:|---:|---:|---:|---|"
for hooi in 0 ${HOOI:-}; do
  d=$("$BENCH" "$MODEL" --hooi "$hooi" --threads 1)
  n=$(/usr/bin/python3 bench/decompose/numpy_tucker.py "$MODEL" --hooi "$hooi")
  /usr/bin/python3 - "$d" "$n" "$(basename "$MODEL" .onnx)" "$hooi" <<'PY'
import json, sys
d, n = json.loads(sys.argv[1]), json.loads(sys.argv[2])
same = [a['ranks'] for a in d['layers']] == [b['ranks'] for b in n['layers']]
print(f"| {sys.argv[3]} | {sys.argv[4]} | {d['seconds']:.2f} | {n['seconds']:.2f} | {d['cpu_seconds']:.2f} | "
      f"{n['cpu_seconds']:.2f} | {n['cpu_seconds'] / d['cpu_seconds']:.2f} | {'yes' if same else 'no'} |")
if not same:
    for a, b in zip(d['layers'], n['layers']):
        if a['ranks'] != b['ranks']:
            print(f"  {a['layer']}: dnnc {a['ranks']}, numpy {b['ranks']}", file=sys.stderr)
PY
done
