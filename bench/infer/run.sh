#!/bin/bash
# dnnc's executor vs ONNX Runtime (npm onnxruntime-node, CPU) on the same models, batch sizes and thread
# counts, one after the other in one run. Prints a Markdown table of median and min times and the ratio
# dnnc/ORT (lower is better; the goal is <= 1.5).
#
#   bench/infer/run.sh [BUILD_DIR]        # default build/ (needs bench_exec: cmake --build BUILD --target bench_exec)
#
# Models: test/data/lenet5.onnx, test/data/rescnn.onnx, build/zoo/resnet18.onnx (tools/make_zoo.py resnet18).
# ORT comes from build/ort (npm install --ignore-scripts onnxruntime-node there) or $DNNC_ORT_MODULE.
# Env: MIN_TIME (seconds per measurement, default 2), MODELS, BATCHES, THREADS to narrow the sweep.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
BENCH=${BENCH_EXEC:-$BUILD/bench/infer/bench_exec}
MIN_TIME=${MIN_TIME:-2}
MODELS=${MODELS:-"test/data/lenet5.onnx test/data/rescnn.onnx build/zoo/resnet18.onnx"}
# MODELS=zoo: the bundled models and fifteen CNN families of the torchvision zoo (make zoo-check exports
# the ones make test does not).
if [ "$MODELS" = zoo ]; then
  MODELS="test/data/lenet300.onnx test/data/lenet5.onnx test/data/rescnn.onnx"
  for z in resnet18 resnet50 mobilenet_v2 mobilenet_v3_small efficientnet_b0 squeezenet1_0 googlenet \
           shufflenet_v2 regnet_y_400mf densenet121 mnasnet1_0 alexnet vgg16 inception_v3 convnext_tiny; do
    MODELS="$MODELS $BUILD/zoo/$z.onnx"
  done
fi
RATIOS=$(mktemp)
trap 'rm -f "$RATIOS"' EXIT
BATCHES=${BATCHES:-"1 32"}
THREADS=${THREADS:-"1 2"}
export NODE_PATH=${NODE_PATH:-$PWD/build/ort/node_modules}
if [ ! -x "$BENCH" ]; then echo "run.sh: $BENCH not built (cmake --build $BUILD --target bench_exec)" >&2; exit 2; fi
if ! node -e "require(process.env.DNNC_ORT_MODULE || 'onnxruntime-node')" 2>/dev/null; then
  echo "run.sh: onnxruntime-node not found (mkdir -p build/ort && cd build/ort && npm install --ignore-scripts onnxruntime-node)" >&2
  exit 2
fi
json() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(d['$2'])" "$1"; }
# CPU ms: process CPU time per run (all threads), which leaves out descheduled time on a busy machine;
# at 2 threads it includes spinning in barriers.
echo "| model | batch | threads | dnnc median ms | ORT median ms | ratio | dnnc min ms | ORT min ms | min ratio | dnnc CPU ms | ORT CPU ms | CPU ratio | dnnc peak RSS MB | arena MB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for m in $MODELS; do
  [ -f "$m" ] || { echo "run.sh: skipping $m (missing)" >&2; continue; }
  for b in $BATCHES; do
    for t in $THREADS; do
      d=$("$BENCH" "$m" --batch "$b" --threads "$t" --min-time "$MIN_TIME")
      o=$(node bench/infer/ort_bench.js "$m" --batch "$b" --threads "$t" --min-time "$MIN_TIME")
      dm=$(json "$d" median_ms); om=$(json "$o" median_ms); dn=$(json "$d" min_ms); on=$(json "$o" min_ms)
      dc=$(json "$d" cpu_ms); oc=$(json "$o" cpu_ms)
      printf "| %s | %s | %s | %.3f | %.3f | %.2f | %.3f | %.3f | %.2f | %.3f | %.3f | %.2f | %.0f | %.1f |\n" "$(basename "$m" .onnx)" "$b" "$t" \
        "$dm" "$om" "$(python3 -c "print($dm/$om)")" "$dn" "$on" "$(python3 -c "print($dn/$on)")" \
        "$dc" "$oc" "$(python3 -c "print($dc/$oc)")" "$(json "$d" peak_rss_mb)" "$(json "$d" arena_mb)"
      printf "%s\t%s\t%s\t%s\t%s\t%s\n" "$(basename "$m" .onnx)" "$b" "$t" "$(python3 -c "print($dm/$om)")" \
        "$(python3 -c "print($dn/$on)")" "$(python3 -c "print($dc/$oc)")" >> "$RATIOS"
    done
  done
done
echo
python3 bench/infer/geomean.py "$RATIOS"
