#!/bin/bash
# A training step in dnnc (lib/train) vs PyTorch CPU (Debian python3-torch) on the same models, batch
# and thread counts, one after the other in one run. Prints the CPU, PyTorch's BLAS and backends, the
# load average, then a Markdown table of median and min step times and the ratio dnnc/PyTorch (lower is
# better; the goal is <= 0.8), and the median process CPU time per step (all threads): on a shared
# machine wall time moves with the load, CPU time much less. Each model runs at the input shape it
# declares (3x224x224 for the zoo's ResNet-18 and MobileNetV2).
#
#   bench/train/run.sh [BUILD_DIR]     # needs bench_train: cmake --build BUILD --target bench_train
#
# PyTorch's BLAS: Debian's torch calls the system libblas.so.3; run.sh makes sure that is OpenBLAS
# (libopenblas0-pthread, installed here when running as root, else the apt command is printed and
# run.sh exits 2). Convolutions under PyTorch run on oneDNN (mkldnn) either way.
#
# Env: MIN_TIME (seconds per measurement, default 3), MODELS (names in test/data or the zoo, or paths;
# default "rescnn resnet18 mobilenet_v2"), BATCH (32), THREADS ("1 2"), BN (frozen|batch; default batch).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
BENCH=$BUILD/bench/train/bench_train
MIN_TIME=${MIN_TIME:-3}
MODELS=${MODELS:-"rescnn resnet18 mobilenet_v2"}
BATCH=${BATCH:-32}
THREADS=${THREADS:-"1 2"}
BN=${BN:-batch}
ZOO=${ZOO:-$BUILD/zoo}
export OMP_WAIT_POLICY=PASSIVE
if [ ! -x "$BENCH" ]; then echo "run.sh: $BENCH not built (cmake --build $BUILD --target bench_train)" >&2; exit 2; fi
if ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y libopenblas0-pthread >&2
  else
    echo "run.sh: PyTorch's BLAS is not OpenBLAS; install it first: sudo apt-get install -y libopenblas0-pthread" >&2
    exit 2
  fi
fi
modelPath() {
  if [ -f "$1" ]; then echo "$1"
  elif [ -f "test/data/$1.onnx" ]; then echo "test/data/$1.onnx"
  elif [ -f "$ZOO/$1.onnx" ]; then echo "$ZOO/$1.onnx"
  else echo "run.sh: no model '$1' (test/data, $ZOO)" >&2; exit 2; fi
}
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; AVX2: $(grep -qw avx2 /proc/cpuinfo && echo yes || echo no), AVX-512F: $(grep -qw avx512f /proc/cpuinfo && echo yes || echo no)"
/usr/bin/python3 - <<'PY'
import os, torch
blas = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
print(f"PyTorch {torch.__version__}: libblas.so.3 -> {blas}; mkldnn available: {torch.backends.mkldnn.is_available()}")
for line in torch.__config__.show().splitlines():
    for part in line.split(", "):
        if any(k in part for k in ("BLAS_INFO", "LAPACK_INFO", "USE_MKLDNN", "MKL-DNN", "CPU capability")):
            print("  " + part.strip(" -"))
PY
echo "dnnc commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- lib bench || echo ' (modified)'); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| model | batch | threads | BN | dnnc median ms | PyTorch median ms | ratio | dnnc min ms | PyTorch min ms | min ratio | dnnc CPU ms | PyTorch CPU ms | CPU ratio |"
echo "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
json() { /usr/bin/python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(d['$2'])" "$1"; }
for name in $MODELS; do
  m=$(modelPath "$name")
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
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
