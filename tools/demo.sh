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
echo
DATA="--data test/data/fashion_test_2000_images.npy --scale 1/255 --mean 0.2860 --std 0.3530"
echo "== dnnc eval (accuracy on the 2,000 bundled test images, and fidelity of the folded model)"
# shellcheck disable=SC2086
"$DNNC" eval "$OUT/rescnn-folded.onnx" $DATA --labels test/data/fashion_test_2000_labels.npy --reference "$MODEL"
echo
echo "== dnnc energy $MODEL on the Eyeriss model"
# shellcheck disable=SC2086
"$DNNC" energy "$MODEL" --accel eyeriss $DATA
