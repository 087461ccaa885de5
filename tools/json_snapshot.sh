#!/bin/sh
# Runs every dnnc command with --json on the bundled models (and, when present, a few zoo models) and keeps
# the reports and output models in OUTDIR, so that two builds can be compared byte for byte:
#
#   tools/json_snapshot.sh OLD_DNNC /tmp/before [ZOO_DIR]
#   tools/json_snapshot.sh build/cli/dnnc /tmp/after [ZOO_DIR]
#   tools/json_snapshot.sh --diff /tmp/before /tmp/after
#
# Timings ("time_ms", "seconds", latencies measured on the CPU) and the tool version differ between runs by
# nature; --diff masks them and lists every other difference. Run by hand (not in CI): about 10 minutes.
set -eu
if [ "${1:-}" = "--diff" ]; then
  A=$2; B=$3; status=0
  mask() { /usr/bin/python3 - "$1" <<'EOF'
import json, sys, re
VOLATILE = re.compile(r"(time|_ms$|seconds|latency_ms|cpu_|per_s$|throughput|dnnc_version|tool_version|^version$|path$|output$|input$|file$|source$)")
def walk(x, key=""):
    if isinstance(x, dict):
        return {k: ("<masked>" if VOLATILE.search(k) else walk(v, k)) for k, v in x.items()}
    if isinstance(x, list):
        return [walk(v, key) for v in x]
    return x
try:
    doc = json.load(open(sys.argv[1]))
except Exception:
    print(open(sys.argv[1], errors="replace").read()); sys.exit()
print(json.dumps(walk(doc), indent=1, sort_keys=True))
EOF
  }
  for f in $(cd "$A" && ls); do
    if [ ! -f "$B/$f" ]; then echo "only in $A: $f"; status=1; continue; fi
    case "$f" in
      *.json) if ! mask "$A/$f" > /tmp/snap_a.$$ || ! mask "$B/$f" > /tmp/snap_b.$$; then status=1; fi
              if ! cmp -s /tmp/snap_a.$$ /tmp/snap_b.$$; then echo "== $f"; diff /tmp/snap_a.$$ /tmp/snap_b.$$ | head -20; status=1; fi ;;
      *) cmp -s "$A/$f" "$B/$f" || { echo "== $f differs"; status=1; } ;;
    esac
  done
  for f in $(cd "$B" && ls); do [ -f "$A/$f" ] || { echo "only in $B: $f"; status=1; }; done
  rm -f /tmp/snap_a.$$ /tmp/snap_b.$$
  exit $status
fi

DNNC=$(realpath "$1"); OUT=$2; ZOO=${3:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=$ROOT/test/data
mkdir -p "$OUT"
cd "$OUT"
TRAIN="--data $DATA/fashion_train_5000_images.npy --labels $DATA/fashion_train_5000_labels.npy --scale 1/255 --mean 0.2860 --std 0.3530"
TEST="--data $DATA/fashion_test_2000_images.npy --labels $DATA/fashion_test_2000_labels.npy --scale 1/255 --mean 0.2860 --std 0.3530"

# run NAME ARGS...: the report to NAME.json, the exit code to NAME.rc; stderr is kept as NAME.err.
run() {
  name=$1; shift
  rc=0
  "$DNNC" "$@" > "$name.json" 2> "$name.err" || rc=$?
  echo "$rc" > "$name.rc"
}

"$DNNC" passes > passes.txt
for m in lenet300 lenet5 rescnn; do
  M=$DATA/$m.onnx
  run "$m.info" info "$M" --json
  run "$m.energy" energy "$M" --json
  run "$m.energy-sparse" energy "$M" --accel eyeriss-sparse --batch 4 --json
  run "$m.run-foldbn" run "$M" -o "$m.foldbn.onnx" --passes fold-bn,dce --json -
  run "$m.prune" prune "$M" -o "$m.prune.onnx" --sparsity 0.8 --json -
  run "$m.prune-simd" prune "$M" -o "$m.prune-simd.onnx" --sparsity 0.5 --granularity simd:8 --json -
  run "$m.prune-filter" prune "$M" -o "$m.prune-filter.onnx" --sparsity 0.3 --granularity filter --json -
  run "$m.decompose" decompose "$M" -o "$m.decompose.onnx" --method tucker --json -
  run "$m.decompose-svd" decompose "$M" -o "$m.decompose-svd.onnx" --method svd --json -
  run "$m.share" share "$M" -o "$m.share.onnx" --bits 5 --json -
  run "$m.quantize" quantize "$M" -o "$m.quantize.onnx" --json -
  run "$m.pack" pack "$m.prune.onnx" -o "$m.dnnc" --json -
  run "$m.unpack" unpack "$m.dnnc" -o "$m.unpacked.onnx" --json -
  run "$m.eval" eval "$M" $TEST --limit 500 --json
  run "$m.stats" stats "$M" $TEST --limit 200 --json
  run "$m.energy-pair" energy "$M" "$m.prune.onnx" --accel eyeriss-sparse --json
  run "$m.compare" compare "$M" "$m.prune.onnx" $TEST --limit 300 --json
  run "$m.prune-obd" prune "$M" -o "$m.prune-obd.onnx" --obd --sparsity 0.7 $TRAIN --limit 300 --json -
done
run lenet5.prune-energy prune --energy-aware "$DATA/lenet5.onnx" -o lenet5.prune-energy.onnx $TRAIN --limit 300 --json -
run lenet5.prune-act prune "$DATA/lenet5.onnx" -o lenet5.prune-act.onnx --activations --activation-sparsity 0.6 $TRAIN --limit 300 --json -
run lenet5.finetune finetune "$DATA/lenet5.onnx" -o lenet5.finetune.onnx $TRAIN --limit 500 --epochs 1 --json -
run lenet5.sensitivity sensitivity "$DATA/lenet5.onnx" $TEST --limit 300 --json
run lenet5.adapt adapt "$DATA/lenet5.onnx" -o lenet5.adapt.onnx --budget macs=0.7 $TRAIN --limit 300 --json -
run lenet5.decompose-cp decompose "$DATA/lenet5.onnx" -o lenet5.decompose-cp.onnx --method cp --ratio 0.5 --json -

if [ -n "$ZOO" ]; then
  for m in resnet18 mobilenet_v2 squeezenet1_0 shufflenet_v2 regnet_y_400mf caffe_alexnet alexnet_lrn lraspp text_encoder speech_lstm; do
    M=$ZOO/$m.onnx
    [ -f "$M" ] || continue
    run "zoo.$m.info" info "$M" --json
    run "zoo.$m.energy" energy "$M" --json
    run "zoo.$m.prune" prune "$M" -o "zoo.$m.prune.onnx" --sparsity 0.5 --json -
    run "zoo.$m.prune-filter" prune "$M" -o "zoo.$m.prune-filter.onnx" --sparsity 0.25 --granularity filter --json -
    run "zoo.$m.share" share "$M" -o "zoo.$m.share.onnx" --bits 6 --json -
    run "zoo.$m.quantize" quantize "$M" -o "zoo.$m.quantize.onnx" --json -
    run "zoo.$m.foldbn" run "$M" -o "zoo.$m.foldbn.onnx" --passes fold-bn,dce --json -
    run "zoo.$m.pack" pack "zoo.$m.share.onnx" -o "zoo.$m.dnnc" --json -
  done
fi
echo "snapshot in $OUT: $(ls | wc -l) files" >&2
