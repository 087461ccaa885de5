// Profiling aid: packs (or unpacks) one model N times, nothing else, so `perf record` sees only
// dnnc's code (bench_pack also runs xz and zstd); prints the best and median thread CPU time of one
// run, in ms, on stderr.
//   build/bench/pack/pack_loop pack|unpack MODEL.onnx [N]
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <vector>
#include <cstdlib>
#include <string>

#include "lib/ir/onnx_io.h"
#include "lib/pack/pack.h"
#include "lib/support/atomic_file.h"

using namespace dnnc;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: pack_loop pack|unpack MODEL.onnx [N]\n");
    return 2;
  }
  const std::string what = argv[1];
  const int n = argc > 3 ? std::atoi(argv[3]) : 100;
  auto bytes = readFile(argv[2]);
  if (!bytes) return 3;
  onnx::ModelProto model;
  if (!model.ParseFromString(*bytes)) return 3;
  auto packed = pack::packModel(model);
  if (!packed) return 1;
  size_t sink = 0;
  auto cpu = [] {
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) * 1e3 + 1e-6 * double(t.tv_nsec);
  };
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    const double t0 = cpu();
    if (what == "pack") {
      onnx::ModelProto m;
      m.ParseFromString(*bytes);
      sink += pack::packModel(std::move(m))->size;
    } else {
      sink += serializeModel(*pack::unpackModel(packed->bytes())).size();
    }
    ms.push_back(cpu() - t0);
  }
  std::sort(ms.begin(), ms.end());
  std::fprintf(stderr, "%s %s: best %.3f ms, median %.3f ms\n", what.c_str(), argv[2], ms.front(), ms[ms.size() / 2]);
  std::printf("%zu\n", sink);
  return 0;
}
