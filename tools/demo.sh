#!/bin/sh
# The main job, as `make demo` runs it: `dnnc compress` on the bundled residual CNN (Fashion-MNIST) with a
# short time budget, then a before/after table.
#   compress searches per-layer pruning (weights and whole filters, retrained with distillation from the
#   original), per-layer k-means weight sharing and packing, keeping every step that holds top-1 within
#   1 point on 500 held-out training images, until the .dnnc is 6x smaller than the .onnx and the modelled
#   energy on the sparse Eyeriss is at most 0.8 of the original's, or the time budget is spent.
# Training uses the bundled 5,000-image training subset; the table's test accuracy comes from the 2,000
# bundled test images, which the search never sees.
# usage: tools/demo.sh DNNC OUT_DIR
set -eu
DNNC=$1
OUT=$2
MODEL=test/data/rescnn.onnx
PRE="--scale 1/255 --mean 0.2860 --std 0.3530"
TRAIN="--data test/data/fashion_train_5000_images.npy --labels test/data/fashion_train_5000_labels.npy"
TEST="--data test/data/fashion_test_2000_images.npy --labels test/data/fashion_test_2000_labels.npy"
TEST_SET="--test-data test/data/fashion_test_2000_images.npy --test-labels test/data/fashion_test_2000_labels.npy"
GOALS="--accuracy-budget 1 --target size=6x,energy=0.8 --accel eyeriss-sparse"
mkdir -p "$OUT"
echo "== dnnc info $MODEL"
"$DNNC" info "$MODEL"
echo
echo "== dnnc compress $MODEL -o $OUT/rescnn-small $GOALS --time-budget 120"
# Exit 4 means the goals were not all met in the time budget; the best model found is still written, and
# the demo goes on to show it.
status=0
# shellcheck disable=SC2086
"$DNNC" compress "$MODEL" -o "$OUT/rescnn-small" $TRAIN $TEST_SET $PRE $GOALS --time-budget 120 \
  --json "$OUT/compress.json" --html "$OUT/compress.html" || status=$?
[ "$status" -eq 0 ] || [ "$status" -eq 4 ] || exit "$status"
echo
echo "== dnnc pack $MODEL (the original's own .dnnc, for the table)"
"$DNNC" pack "$MODEL" -o "$OUT/rescnn.dnnc" --force -q
echo
echo "== dnnc compare: before / after on the 2,000 test images, Eyeriss (eyeriss-sparse) energy model"
# shellcheck disable=SC2086
"$DNNC" compare "$MODEL" "$OUT/rescnn-small.onnx" --packed-before "$OUT/rescnn.dnnc" \
  --packed-after "$OUT/rescnn-small.dnnc" --accel eyeriss-sparse $TEST $PRE
echo
echo "The search's trajectory and Pareto front: $OUT/compress.json, $OUT/compress.html"
