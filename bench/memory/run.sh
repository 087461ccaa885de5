#!/bin/sh
# Peak resident memory and elapsed time of dnnc's weight-editing commands on large models.
# Usage: bench/memory/run.sh [DNNC] [ZOO] [MODEL...]
#   DNNC defaults to build/cli/dnnc, ZOO to build/zoo (the zoo of tools/make_zoo.py).
# Prints one Markdown row per (model, command): peak RSS in MB, as a multiple of the model's
# file size (its weight bytes, to within the graph's few kB), and elapsed seconds.
# Needs GNU time (/usr/bin/time -v). Not a test: timings depend on the machine.
set -eu
DNNC=${1:-build/cli/dnnc}
ZOO=${2:-build/zoo}
[ $# -ge 2 ] && shift 2 || shift $#
MODELS=${*:-"vgg16 vit_b_16 resnet50"}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

measure() { # name, command...
  name=$1; shift
  /usr/bin/time -v "$@" >/dev/null 2>"$OUT/time" || { echo "| $model | $name | failed |"; tail -3 "$OUT/time" >&2; return; }
  rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$OUT/time")
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$OUT/time")
  awk -v m="$model" -v n="$name" -v kb="$rss_kb" -v bytes="$bytes" -v wall="$wall" 'BEGIN {
    k = split(wall, p, ":"); s = 0; for (i = 1; i <= k; i++) s = s * 60 + p[i];
    printf "| %s | %s | %.0f | %.1fx | %.1f |\n", m, n, kb * 1024 / 1e6, kb * 1024 / bytes, s }'
}

echo "| model | command | peak RSS (MB) | x weight bytes | seconds |"
echo "|---|---|---:|---:|---:|"
for model in $MODELS; do
  in="$ZOO/$model.onnx"
  bytes=$(stat -c %s "$in")
  measure info "$DNNC" info "$in"
  measure "prune --sparsity 0.5" "$DNNC" prune --sparsity 0.5 "$in" -o "$OUT/pruned.onnx" --quiet
  measure "share --bits 5" "$DNNC" share --bits 5 "$in" -o "$OUT/shared.onnx" --quiet
  measure quantize "$DNNC" quantize "$in" -o "$OUT/quantized.onnx" --quiet
  measure "run --passes fold-bn" "$DNNC" run --passes fold-bn "$in" -o "$OUT/folded.onnx" --quiet
  measure pack "$DNNC" pack "$in" -o "$OUT/packed.dnnc" --quiet
  measure unpack "$DNNC" unpack "$OUT/packed.dnnc" -o "$OUT/unpacked.onnx" --quiet
done
