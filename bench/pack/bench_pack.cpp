// .dnnc against the general-purpose compressors, in one run: for each model, the .dnnc size (auto
// codec), zstd -19 and xz -9 of the same .onnx file, the Deep Compression count and the entropy bound
// from the pack report, and pack/unpack speed in MB/s of ONNX (best of 15 runs, 5 above 20 MB; thread CPU time).
//   build/bench/pack/bench_pack MODEL.onnx...      (bench/pack/run.sh prepares the models)
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "lib/ir/onnx_io.h"
#include "lib/pack/pack.h"
#include "lib/support/atomic_file.h"

using namespace dnnc;

namespace {

double cpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

template <class F>
double bestSeconds(int runs, F&& f) {
  double best = 1e30;
  for (int r = 0; r < runs; ++r) {
    double t0 = cpuSeconds();
    f();
    best = std::min(best, cpuSeconds() - t0);
  }
  return best;
}

// Size of `cmd < path` on stdout (the external compressors).
long compressedSize(const std::string& cmd, const std::string& path) {
  std::string full = cmd + " < '" + path + "' | wc -c";
  FILE* p = popen(full.c_str(), "r");
  if (!p) return -1;
  long n = -1;
  if (std::fscanf(p, "%ld", &n) != 1) n = -1;
  pclose(p);
  return n;
}

std::string baseName(const std::string& p) {
  auto s = p.find_last_of('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_pack MODEL.onnx...\n");
    return 2;
  }
  std::printf("| model | ONNX KB | .dnnc KB | ratio | xz -9 KB | zstd -19 KB | xz / .dnnc | DC count KB | .dnnc vs DC | entropy KB | .dnnc vs entropy | pack MB/s | unpack MB/s |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (int i = 1; i < argc; ++i) {
    std::string path = argv[i];
    auto bytes = readFile(path);
    if (!bytes) {
      std::fprintf(stderr, "%s: %s\n", path.c_str(), bytes.error().message().c_str());
      return 3;
    }
    onnx::ModelProto model;
    if (!model.ParseFromString(*bytes)) {
      std::fprintf(stderr, "%s: not an ONNX model\n", path.c_str());
      return 3;
    }
    const double mb = double(bytes->size()) / 1e6;
    const int runs = bytes->size() > 20'000'000 ? 5 : 15;
    pack::Packed packed;
    // Pack from the file's bytes (parse included), unpack to the file's bytes (serialise included).
    double tp = bestSeconds(runs, [&] {
      onnx::ModelProto m;
      m.ParseFromString(*bytes);
      packed = *pack::packModel(std::move(m));
    });
    std::string out;
    double tu = bestSeconds(runs, [&] { out = serializeModel(*pack::unpackModel(packed.bytes())); });
    if (out.size() != bytes->size()) std::fprintf(stderr, "%s: unpacked size differs\n", path.c_str());
    long xz = compressedSize("xz -9 -c", path), zs = compressedSize("zstd -19 -c -q", path);
    const auto& r = packed.report;
    double dnnc = double(packed.size), dc = r["dc_count_bytes"].get<double>(), h = r["entropy_bound_bytes"].get<double>();
    std::printf("| %s | %.1f | %.2f | %.1fx | %.2f | %.2f | %.2fx | %.2f | %+.1f %% | %.2f | %+.1f %% | %.0f | %.0f |\n",
                baseName(path).c_str(), double(bytes->size()) / 1e3, dnnc / 1e3, double(bytes->size()) / dnnc, double(xz) / 1e3,
                double(zs) / 1e3, double(xz) / dnnc, dc / 1e3, 100 * (dnnc / dc - 1), h / 1e3, 100 * (dnnc / h - 1), mb / tp,
                mb / tu);
  }
  return 0;
}
