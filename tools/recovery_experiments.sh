#!/bin/bash
# Recovery experiments for docs/results.md: OBD vs magnitude pruning of the bundled LeNets, one-shot
# (before retraining) and with prune -> retrain rounds, on the committed 5,000-image training subset
# or the full Fashion-MNIST training set (tools/fashion_to_npy.py --out build/fashion).
# Accuracy on the full 10,000-image test set when build/fashion exists, else on the 2,000 bundled.
#
#   tools/recovery_experiments.sh [subset|full] [MODELS] [SPARSITIES] > table.md
# Env: DNNC (default build/cli/dnnc), THREADS (1), ITER (4), EPOCHS (2), LR (0.02), BATCH (32).
set -euo pipefail
cd "$(dirname "$0")/.."
SET=${1:-subset}
MODELS=${2:-"lenet300 lenet5"}
SPARSITIES=${3:-"0.7 0.8 0.9 0.95"}
DNNC=${DNNC:-build/cli/dnnc}
THREADS=${THREADS:-1}; ITER=${ITER:-4}; EPOCHS=${EPOCHS:-2}; LR=${LR:-0.02}; BATCH=${BATCH:-32}
D=$PWD/test/data
F=${FASHION:-$PWD/build/fashion}
if [ "$SET" = full ]; then TRX=$F/train_images.npy; TRY=$F/train_labels.npy; else TRX=$D/fashion_train_5000_images.npy; TRY=$D/fashion_train_5000_labels.npy; fi
if [ -f "$F/test_images.npy" ]; then TEX=$F/test_images.npy; TEY=$F/test_labels.npy; else TEX=$D/fashion_test_2000_images.npy; TEY=$D/fashion_test_2000_labels.npy; fi
PRE="scale=0.00392156862745098,mean=0.2860,std=0.3530"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
acc() { "$DNNC" eval "$1" --data "$TEX" --labels "$TEY" --scale 0.00392156862745098 --mean 0.2860 --std 0.3530 --threads "$THREADS" --json - |
  /usr/bin/python3 -c "import json,sys; print('%.2f' % (100*json.load(sys.stdin)['top1']))"; }
echo "| model | train set | sparsity | criterion | one-shot, no retraining | after $ITER rounds x $EPOCHS epochs | dense | loss (pt) |"
echo "|---|---|---:|---|---:|---:|---:|---:|"
for m in $MODELS; do
  dense=$(acc "$D/$m.onnx")
  for s in $SPARSITIES; do
    for c in magnitude obd; do
      "$DNNC" run "$D/$m.onnx" -o "$OUT/a.onnx" -q --threads "$THREADS" \
        --passes "prune-obd(sparsity=$s,criterion=$c,data=$TRX,$PRE)"
      "$DNNC" run "$D/$m.onnx" -o "$OUT/b.onnx" -q --threads "$THREADS" \
        --passes "prune-obd(sparsity=$s,criterion=$c,iterations=$ITER,finetune-epochs=$EPOCHS,lr=$LR,batch=$BATCH,schedule=cosine,data=$TRX,labels=$TRY,$PRE)"
      a=$(acc "$OUT/a.onnx"); b=$(acc "$OUT/b.onnx")
      echo "| $m | $SET | $s | $c | $a | $b | $dense | $(/usr/bin/python3 -c "print('%.2f' % ($b - $dense))") |"
    done
  done
done
