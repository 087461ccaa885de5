#!/bin/sh
# Prepares the benchmark models and runs bench_pack on them (from the repository root, after
# building dnnc and bench_pack):
#   LeNet-300-100 and LeNet-5 pruned one-shot to 92 % per layer (tools/prune_magnitude.py, magnitude)
#   and shared at 5 bits (fc) / 8 bits (conv) with `dnnc share` (linear-lloyd), both as
#   Gather(codebook, indices) and materialized to plain floats; the dense bundled models; and, when
#   the zoo is present, ResNet-18 dense and shared at 5/8 bits (speed on a 45 MB model).
# Usage: bench/pack/run.sh [OUTDIR]   (default build/bench-pack)
set -eu
OUT=${1:-build/bench-pack}
DNNC=build/cli/dnnc
mkdir -p "$OUT"
export OMP_WAIT_POLICY=PASSIVE
# glibc's malloc keeps freed memory (no mmap per large block, no trimming): the best-of-N loop then
# measures the work, not page faults whose number depends on which sizes happened to come before.
export GLIBC_TUNABLES=glibc.malloc.mmap_threshold=67108864:glibc.malloc.trim_threshold=134217728
# Pruning: uniform 92 % per layer, and Deep Compression's per-layer rates (about 92 % overall).
/usr/bin/python3 tools/prune_magnitude.py test/data/lenet300.onnx "$OUT/lenet300_han.onnx" --rates 0.92,0.91,0.74
/usr/bin/python3 tools/prune_magnitude.py test/data/lenet5.onnx "$OUT/lenet5_han.onnx" --rates 0.34,0.88,0.92,0.81
MODELS=""
for m in lenet300 lenet5; do
  /usr/bin/python3 tools/prune_magnitude.py test/data/$m.onnx "$OUT/${m}_p92.onnx" --sparsity 0.92
  for p in p92 han; do
    $DNNC share "$OUT/${m}_$p.onnx" -o "$OUT/${m}_${p}_shared.onnx" --conv-bits 8 --fc-bits 5 -q --force
    $DNNC share "$OUT/${m}_$p.onnx" -o "$OUT/${m}_${p}_shared_mat.onnx" --conv-bits 8 --fc-bits 5 --materialize -q --force
    MODELS="$MODELS $OUT/${m}_${p}_shared_mat.onnx $OUT/${m}_${p}_shared.onnx"
  done
done
MODELS="$MODELS test/data/lenet300.onnx test/data/lenet5.onnx test/data/rescnn.onnx"
if [ -f build/zoo/resnet18.onnx ]; then
  $DNNC share build/zoo/resnet18.onnx -o "$OUT/resnet18_shared.onnx" --conv-bits 8 --fc-bits 5 -q --force
  MODELS="$MODELS build/zoo/resnet18.onnx $OUT/resnet18_shared.onnx"
fi
build/bench/pack/bench_pack $MODELS
