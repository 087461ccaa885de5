#!/bin/sh
# The main job, as `make demo` runs it: the full compression pipeline on the bundled residual CNN
# (Fashion-MNIST), then a before/after table.
#   fold-bn -> energy-aware pruning (Yang et al. 2017, with label-free distillation from the original)
#   -> k-means weight sharing (Deep Compression; materialized: plain float weights holding 256/32 values,
#   which pack codes as codebook indices) -> pack (.dnnc container)
# Calibration and fine-tuning use the first 1,000 images of the bundled training subset; the table's
# accuracy comes from the 2,000 bundled test images, which the pipeline never sees.
# usage: tools/demo.sh DNNC OUT_DIR
set -eu
DNNC=$1
OUT=$2
MODEL=test/data/rescnn.onnx
PRE="--scale 1/255 --mean 0.2860 --std 0.3530"
TRAIN="--data test/data/fashion_train_5000_images.npy --labels test/data/fashion_train_5000_labels.npy --limit 1000"
TEST="--data test/data/fashion_test_2000_images.npy --labels test/data/fashion_test_2000_labels.npy"
PIPELINE="fold-bn,prune-energy-aware(accuracy-budget=1,finetune-epochs=2),share(conv-bits=8,fc-bits=5,materialize=true)"
mkdir -p "$OUT"
echo "== dnnc info $MODEL"
"$DNNC" info "$MODEL"
echo
echo "== dnnc run $MODEL -o $OUT/rescnn-small.onnx --passes '$PIPELINE'"
# shellcheck disable=SC2086
"$DNNC" run "$MODEL" -o "$OUT/rescnn-small.onnx" --passes "$PIPELINE" $TRAIN $PRE --force
echo
echo "== dnnc pack (both models, --codec auto)"
"$DNNC" pack "$MODEL" -o "$OUT/rescnn.dnnc" --force -q
"$DNNC" pack "$OUT/rescnn-small.onnx" -o "$OUT/rescnn-small.dnnc" --force
echo
echo "== dnnc compare: before / after on the 2,000 test images, Eyeriss (eyeriss-sparse) energy model"
# shellcheck disable=SC2086
"$DNNC" compare "$MODEL" "$OUT/rescnn-small.onnx" --packed-before "$OUT/rescnn.dnnc" \
  --packed-after "$OUT/rescnn-small.dnnc" --accel eyeriss-sparse $TEST $PRE
