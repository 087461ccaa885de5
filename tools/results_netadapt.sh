#!/bin/sh
# NetAdapt against uniform filter pruning at the same budget (50 % of the modelled Eyeriss latency, and
# 50 % of the measured batch-1 CPU latency of dnnc's executor), on the bundled LeNet-5 and residual CNN.
# Both get the same final fine-tune (label-free distillation from the original) and are scored on the same
# held-out samples: the first VAL of the bundled 5,000-image training subset, which no fine-tune sees.
# NetAdapt's output is also scored on the 2,000 bundled test images.
# usage: tools/results_netadapt.sh [BUILD_DIR] [MODELS] [MEASURES]   -> a Markdown table on stdout
set -eu
BUILD=${1:-build}
MODELS=${2:-"lenet5 rescnn"}
MEASURES=${3:-"model cpu"}
LIMIT=${LIMIT:-3000}
VAL=${VAL:-1000}
. tools/fashion_results_common.sh
echo "| model | budget | method | resource reached | held-out top-1 % (one-shot) | held-out top-1 % | test top-1 % | seconds |"
echo "|---|---|---|---:|---:|---:|---:|---:|"
for m in $MODELS; do
  for measure in $MEASURES; do
    start=$(date +%s)
    "$DNNC" adapt $DATA/$m.onnx -o "$OUT/$m.$measure.onnx" --budget latency=0.5 --measure $measure --accel eyeriss \
      --data $DATA/fashion_train_5000_images.npy --labels $DATA/fashion_train_5000_labels.npy --limit "$LIMIT" \
      --val-samples "$VAL" --compare-uniform --threads 1 $PRE --json "$OUT/$m.$measure.json" -q
    secs=$(( $(date +%s) - start ))
    test_acc=$(acc "$OUT/$m.$measure.onnx")
    /usr/bin/python3 - "$OUT/$m.$measure.json" "$m" "$measure" "$test_acc" "$secs" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["netadapt"]
m, measure, test_acc, secs = sys.argv[2:6]
budget = "latency 50 %, " + ("Eyeriss model" if measure == "model" else "CPU, measured")
u = s["uniform"]
print(f"| {m} | {budget} | original | 100 % | | {s['accuracy_before']:.2f} | | |")
print(f"| {m} | {budget} | NetAdapt ({s['iterations']} iterations) | {100*s['resource_ratio']:.1f} % | | "
      f"{s['accuracy_after']:.2f} | {test_acc} | {secs} |")
if u["reached"]:
    print(f"| {m} | {budget} | uniform, {100*u['sparsity']:.1f} % of every group's filters | {100*u['resource_ratio']:.1f} % | "
          f"{u['accuracy_one_shot']:.2f} | {u['accuracy']:.2f} | | |")
else:
    print(f"| {m} | {budget} | uniform: not reachable ({100*u['resource_ratio']:.1f} % at {100*u['sparsity']:.0f} %) | | | | | |")
PY
  done
done
