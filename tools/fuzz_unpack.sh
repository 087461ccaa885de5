#!/bin/sh
# Builds the libFuzzer target test/fuzz/unpack_fuzz.cpp with clang++ (ASan + UBSan), seeds a corpus
# with packed bundled models and tensor bodies, and runs it.
#   tools/fuzz_unpack.sh [SECONDS] [WORKDIR]     (defaults: 60 s, build/fuzz)
# Needs clang++ with libFuzzer (Debian: clang) and a built build/cli/dnnc for the seeds.
set -eu
SECONDS_TO_RUN=${1:-60}
WORK=${2:-build/fuzz}
mkdir -p "$WORK/corpus" "$WORK/seeds"
# lib/pack without feature_rlc.cpp (which needs the executor), and the lib/ir pieces it uses; compiled
# two at a time into $WORK/obj, then linked with libFuzzer's main.
SRC="test/fuzz/unpack_fuzz.cpp formats/*.cpp $(ls lib/pack/*.cpp | grep -v feature_rlc) lib/ir/tensor.cpp lib/ir/dtype.cpp
     lib/ir/onnx_io.cpp lib/ir/external_data.cpp lib/support/atomic_file.cpp"
mkdir -p "$WORK/obj"
FLAGS="-std=c++20 -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -DONNX_ML=1 -DONNX_NAMESPACE=onnx"
FLAGS="$FLAGS -I. -isystem /usr/include/eigen3"
echo $SRC | tr ' ' '\n' | xargs -P 2 -I{} sh -c \
  "o=$WORK/obj/\$(echo {} | tr / _).o; [ \$o -nt {} ] || clang++ $FLAGS -fsanitize=fuzzer-no-link -c {} -o \$o"
clang++ -fsanitize=fuzzer,address,undefined "$WORK"/obj/*.o -o "$WORK/unpack_fuzz" -lonnx -lonnx_proto -lprotobuf -lzstd -lpthread
# Seeds: whole containers (mode byte 0) of the bundled LeNets shared at 3 bits (small files, under
# -max_len) with several codecs.
if [ -x build/cli/dnnc ] && [ -z "$(ls -A "$WORK/seeds")" ]; then
  for m in lenet300 lenet5; do
    build/cli/dnnc share test/data/$m.onnx -o "$WORK/seeds/$m.onnx" --bits 3 -q --force
    for c in auto csr csr-ac csr-ans huffman rlc csr-plain zstd planes; do
      build/cli/dnnc pack "$WORK/seeds/$m.onnx" -o "$WORK/seeds/$m-$c.dnnc" --codec $c -q
      printf '\000' | cat - "$WORK/seeds/$m-$c.dnnc" > "$WORK/corpus/$m-$c"
      rm "$WORK/seeds/$m-$c.dnnc"
    done
  done
  touch "$WORK/seeds/done"
fi
# -rss_limit_mb / -malloc_limit_mb: unpack may legitimately allocate up to 2 GiB of tensor data.
"$WORK/unpack_fuzz" "$WORK/corpus" -max_total_time="$SECONDS_TO_RUN" -rss_limit_mb=4096 -malloc_limit_mb=3072 \
  -max_len=65536 -print_final_stats=1 2>&1 | tail -25
