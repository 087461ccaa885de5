#!/bin/sh
# The main job on the bundled residual CNN, as `make demo` runs it: inspect, fold BatchNorm, compare.
# usage: tools/demo.sh DNNC OUT_DIR
set -eu
DNNC=$1
OUT=$2
MODEL=test/data/rescnn.onnx
mkdir -p "$OUT"
echo "== dnnc info $MODEL"
"$DNNC" info "$MODEL"
echo
echo "== dnnc run $MODEL -o $OUT/rescnn-folded.onnx --passes fold-bn,dce"
"$DNNC" run "$MODEL" -o "$OUT/rescnn-folded.onnx" --passes fold-bn,dce --force
echo
echo "== dnnc info $OUT/rescnn-folded.onnx"
"$DNNC" info "$OUT/rescnn-folded.onnx"
