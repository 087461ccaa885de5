#!/bin/sh
# Pass speed on large models, two dnnc binaries side by side in one run (before/after a change).
# Usage: bench/passes/speed.sh BEFORE_DNNC AFTER_DNNC [ZOO] [MODEL...]
#   ZOO defaults to build/zoo (tools/make_zoo.py); MODELS to "resnet50 vit_b_16 vgg16".
# Prints one Markdown row per (model, command): wall and CPU (user + system) seconds of each binary, the
# CPU-time ratio after/before, and whether the two outputs are byte-identical. Each command includes
# loading, hashing and saving the model, as a user runs it. CPU time is the steadier figure on a shared
# machine. Needs GNU time. Not a test: timings depend on the machine.
set -eu
BEFORE=$1
AFTER=$2
ZOO=${3:-build/zoo}
[ $# -ge 3 ] && shift 3 || shift $#
MODELS=${*:-"resnet50 vit_b_16 vgg16"}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

seconds() { # binary tag args... -> "wall cpu"
  bin=$1; tag=$2; shift 2
  /usr/bin/time -f "%e %U %S" -o "$OUT/time.$tag" "$bin" "$@" >/dev/null 2>&1 || { echo "failed: $bin $*" >&2; exit 1; }
  awk '{ printf "%.1f %.1f", $1, $2 + $3 }' "$OUT/time.$tag"
}

measure() { # name, args... (the output file is $OUT/out.onnx)
  name=$1; shift
  b=$(seconds "$BEFORE" before "$@" -o "$OUT/before.onnx")
  a=$(seconds "$AFTER" after "$@" -o "$OUT/after.onnx")
  same=no; cmp -s "$OUT/before.onnx" "$OUT/after.onnx" && same=yes
  echo "$b $a" | awk -v m="$model" -v n="$name" -v same="$same" \
    '{ printf "| %s | %s | %.1f | %.1f | %.1f | %.1f | %.2f | %s |\n", m, n, $1, $2, $3, $4, $4 / $2, same }'
}

echo "| model | command | before wall s | before CPU s | after wall s | after CPU s | CPU after/before | same output |"
echo "|---|---|---:|---:|---:|---:|---:|---|"
for model in $MODELS; do
  in="$ZOO/$model.onnx"
  measure "prune --sparsity 0.5" prune --sparsity 0.5 "$in" --quiet
  measure "share --bits 5" share --bits 5 "$in" --quiet
  measure quantize quantize "$in" --quiet
  measure "run --passes fold-bn" run --passes fold-bn "$in" --quiet
done
