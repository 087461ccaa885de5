#!/bin/sh
# Energy-aware pruning against global magnitude pruning at the same accuracy, on the bundled models:
# calibration on the first LIMIT (default 1,000) training images, accuracy on the 2,000 bundled test
# images (held out); the magnitude baseline's accuracy is on the calibration images.
# usage: [FT=EPOCHS] [ROUNDS=R] [LIMIT=N] [THREADS=T] tools/results_energy_aware.sh [BUILD_DIR] [BUDGET_PTS] [MODELS]
#   -> a Markdown table on stdout. With FT > 0 the magnitude baseline gets the same total fine-tuning.
set -eu
BUILD=${1:-build}
BUDGET=${2:-1}
FT=${FT:-0}   # finetune-epochs of the pass (step 4: label-free distillation from the original)
ROUNDS=${ROUNDS:-1}  # prune -> fine-tune rounds
LIMIT=${LIMIT:-1000} # calibration images (the first LIMIT of the bundled 5,000-image training subset)
MODELS=${3:-"lenet5 rescnn"}
. tools/fashion_results_common.sh
echo "| model | method | test top-1 % | nonzero weights | non-skipped MACs | energy (eyeriss-sparse) | energy reduction |"
echo "|---|---|---:|---:|---:|---:|---:|"
for m in $MODELS; do
  "$DNNC" run $DATA/$m.onnx -o "$OUT/$m.ea.onnx" --passes "prune-energy-aware(accuracy-budget=$BUDGET,compare-magnitude=true,finetune-epochs=$FT,rounds=$ROUNDS)" \
    --data $DATA/fashion_train_5000_images.npy --labels $DATA/fashion_train_5000_labels.npy --limit "$LIMIT" $PRE \
    --json "$OUT/$m.json" -q --threads "${THREADS:-0}"
  base=$(acc $DATA/$m.onnx); ea=$(acc "$OUT/$m.ea.onnx")
  # The magnitude baseline at the same calibration accuracy (the pass reports it; no test accuracy).
  /usr/bin/python3 - "$OUT/$m.json" "$m" "$base" "$ea" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["passes"][0]["summary"]
m, base, ea = sys.argv[2], sys.argv[3], sys.argv[4]
o, p, g = s["original"], s["pruned"], s["magnitude_at_same_accuracy"]
row = lambda name, acc, t, red: print(f"| {m} | {name} | {acc} | {t['nonzero_weights']:,} | {t['nonzero_macs']:,.0f} | {t['energy_pj']/1e6:.1f} uJ | {red:.2f}x |")
row("original", base, o, 1.0)
ft = f", {g['finetune_epochs']} fine-tune epochs" if g.get("finetune_epochs") else ""
row(f"magnitude, global ({g['global_sparsity']:.1%}{ft})", f"{g['accuracy']:.2f} (calib.)", g, g["energy_reduction"])
rounds = len(s.get("rounds", [])) or 1
row(f"energy-aware ({rounds} round{'s' if rounds > 1 else ''})", ea, p, s["energy_reduction"])
PY
done
