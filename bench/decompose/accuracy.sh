#!/bin/bash
# Low-rank decomposition of the bundled Fashion-MNIST models, before fine-tuning: for each method and
# rank setting, the MACs and params reduction and the top-1 accuracy on the 2000 bundled test images
# (dnnc decompose --data --labels, which also runs the original on the same images). Markdown table.
#
#   bench/decompose/accuracy.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
DNNC=$BUILD/cli/dnnc
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
DATA=(--data test/data/fashion_test_2000_images.npy --labels test/data/fashion_test_2000_labels.npy
      --scale 0.00392156862745098 --mean 0.2860 --std 0.3530 --threads 1)
SETTINGS=${SETTINGS:-"tucker: tucker:--ratio=0.5 tucker:--ratio=0.25 cp:--ratio=0.5 cp:--ratio=0.25 svd: svd:--energy=0.9"}
echo "| model | method | setting | layers | params before -> after | MACs before -> after | MACs reduction | top-1 original | top-1 decomposed | agreement | SQNR dB |"
echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for m in lenet5 rescnn; do
  for s in $SETTINGS; do
    method=${s%%:*}; flag=${s#*:}
    args=(decompose "test/data/$m.onnx" -o "$OUT/$m.onnx" --method "$method" --json "${DATA[@]}")
    [ -n "$flag" ] && args+=("${flag%%=*}" "${flag#*=}")
    if ! j=$("$DNNC" "${args[@]}" 2>"$OUT/err"); then
      echo "| $m | $method | ${flag:-EVBMF} | failed: $(head -1 "$OUT/err") | | | | | | | |"
      continue
    fi
    /usr/bin/python3 - "$j" "$m" "$method" "${flag:-EVBMF}" <<'PY'
import json, sys
j = json.loads(sys.argv[1]); f = j['fidelity']; b, a = j['before'], j['after']
sq = 'inf' if f['sqnr_db'] is None else f"{f['sqnr_db']:.1f}"
print(f"| {sys.argv[2]} | {sys.argv[3]} | {sys.argv[4]} | {len(j['layers'])} | {b['params']:,} -> {a['params']:,} | "
      f"{b['macs']:,} -> {a['macs']:,} | {b['macs'] / a['macs']:.2f}x | {100 * f['top1_original']:.2f} % | "
      f"{100 * f['top1']:.2f} % | {100 * f['agreement']:.1f} % | {sq} |")
PY
  done
done
