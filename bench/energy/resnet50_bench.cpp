// bench_energy: evaluates torchvision ResNet-50 (54 Conv/FC layers, batch 1) on the eyeriss preset with the
// mapping search, for each objective, and prints the wall time. Issue 6 asks for under 1 s.
//   bench_energy [--batch N] [--accel NAME|FILE] [--repeat K]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench/energy/resnet50_layers.h"
#include "lib/energy/energy.h"

using namespace dnnc::energy;

int main(int argc, char** argv) {
  int batch = 1, repeat = 3;
  std::string accel = "eyeriss";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--batch"))
      batch = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--accel"))
      accel = argv[i + 1];
    else if (!std::strcmp(argv[i], "--repeat"))
      repeat = std::atoi(argv[i + 1]);
  }
  auto spec = loadAcceleratorSpec(accel);
  if (!spec) {
    std::fprintf(stderr, "bench_energy: %s\n", spec.error().message().c_str());
    return 3;
  }
  const auto layers = bench::resnet50Layers(batch);
  std::printf("ResNet-50, %zu Conv/FC layers, batch %d, accelerator %s\n", layers.size(), batch, spec->name.c_str());
  for (Objective obj : {Objective::Energy, Objective::Latency, Objective::Edp}) {
    double best_s = 1e9;
    NetworkCost net;
    for (int k = 0; k < repeat; ++k) {
      auto t0 = std::chrono::steady_clock::now();
      auto r = evaluateNetwork(*spec, layers, {obj, nullptr, {}});
      auto t1 = std::chrono::steady_clock::now();
      if (!r) {
        std::fprintf(stderr, "bench_energy: %s\n", r.error().message().c_str());
        return 1;
      }
      net = std::move(*r);
      best_s = std::min(best_s, std::chrono::duration<double>(t1 - t0).count());
    }
    std::printf("  objective %-7s  %7.1f ms wall (best of %d)   energy %.4g (%.3f mJ)  latency %.2f ms  DRAM %.2f MB\n",
                objectiveName(obj), best_s * 1e3, repeat, net.energy.total(), net.energy_pj.total() * 1e-9,
                net.latency_ms(), net.dram_bytes / 1e6);
  }
  // The same without the cache of identical shapes: every layer searched on its own.
  auto t0 = std::chrono::steady_clock::now();
  for (const auto& l : layers) {
    auto m = searchMapping(*spec, l, Objective::Energy);
    if (!m) return 1;
  }
  auto t1 = std::chrono::steady_clock::now();
  std::printf("  every layer searched separately (no shape cache): %.1f ms\n",
              std::chrono::duration<double>(t1 - t0).count() * 1e3);
  return 0;
}
