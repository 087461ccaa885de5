// Measures where the executor's CSR product starts to beat its dense GEMM: a Gemm layer (W 1024x1024,
// transB = 1, magnitude-pruned random weights) run through the Executor with SparseMode::Never and
// ::Always, at batch (product width) 1, 8, 64 and 512, over weight densities 5 % ... 80 %. Prints a
// Markdown table of the times and, per width, the crossover density (linear interpolation of the
// speed-up between the last density where CSR wins and the first where it loses): the numbers behind
// gemm::csrCrossoverDensity (lib/exec/gemm/csr.cpp).
//
//   bench_crossover [--threads 1] [--min-time 0.2]
#include <onnx/defs/parser.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "lib/exec/executor.h"

using namespace dnnc;

namespace {

constexpr int64_t kIn = 1024, kOut = 1024;

Model gemmModel(double density, uint32_t seed) {
  Model m;
  const std::string text = "<ir_version: 8, opset_import: [\"\" : 13]>\nfc (float[N," + std::to_string(kIn) +
                           "] x) => (float[N," + std::to_string(kOut) + "] y) {\n  y = Gemm<transB = 1>(x, W, B)\n}\n";
  auto status = onnx::OnnxParser::Parse(m.proto, text.c_str());
  if (!status.IsOK()) std::abort();
  Tensor w(DType::Float, {kOut, kIn}), b(DType::Float, {kOut});
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (float& v : w.span<float>()) v = dist(rng);
  for (float& v : b.span<float>()) v = dist(rng);
  std::vector<float> mags;
  for (float v : w.span<float>()) mags.push_back(std::abs(v));
  std::sort(mags.begin(), mags.end());
  const float threshold = mags[static_cast<size_t>((1.0 - density) * (mags.size() - 1))];
  for (float& v : w.span<float>())
    if (std::abs(v) < threshold) v = 0.0f;
  for (auto [name, t] : {std::pair<const char*, Tensor*>{"W", &w}, {"B", &b}}) {
    auto* init = m.graph().add_initializer();
    init->set_name(name);
    writeTensor(*t, *init);
  }
  m.source = "<bench>";
  return m;
}

double medianMs(Executor& e, const Tensor& x, double min_time) {
  for (int i = 0; i < 2; ++i) (void)e.run({&x});
  std::vector<double> ms;
  auto start = std::chrono::steady_clock::now();
  while (ms.size() < 5 || std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < min_time) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = e.run({&x});
    if (!r) std::abort();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  double min_time = 0.2;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--threads") threads = std::stoi(argv[i + 1]);
    else if (a == "--min-time") min_time = std::stod(argv[i + 1]);
  }
  const std::vector<double> densities = {0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8};
  const std::vector<int64_t> widths = {1, 8, 64, 512};
  std::printf("W %ldx%ld, %d thread(s); dense ms / CSR ms (speed-up)\n\n| width |", kOut, kIn, threads);
  for (double d : densities) std::printf(" density %.2f |", d);
  std::printf(" crossover density |\n|---:|");
  for (size_t i = 0; i <= densities.size(); ++i) std::printf("---:|");
  std::printf("\n");
  for (int64_t width : widths) {
    Tensor x(DType::Float, {width, kIn});
    std::mt19937 rng(7);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (float& v : x.span<float>()) v = dist(rng);
    std::printf("| %ld |", width);
    std::vector<double> speedup;
    for (double d : densities) {
      Model m = gemmModel(d, 1);
      auto dense = Executor::create(m, {.threads = threads, .sparse = SparseMode::Never});
      auto csr = Executor::create(m, {.threads = threads, .sparse = SparseMode::Always});
      if (!dense || !csr) return 3;
      const double td = medianMs(**dense, x, min_time), tc = medianMs(**csr, x, min_time);
      speedup.push_back(td / tc);
      std::printf(" %.3f / %.3f (%.2fx) |", td, tc, td / tc);
      std::fflush(stdout);
    }
    double cross = densities.front();
    for (size_t i = 0; i < densities.size(); ++i) {
      if (speedup[i] < 1.0) {
        if (i > 0) {
          const double t = (speedup[i - 1] - 1.0) / (speedup[i - 1] - speedup[i]);
          cross = densities[i - 1] + t * (densities[i] - densities[i - 1]);
        }
        break;
      }
      cross = densities[i];
    }
    std::printf(" %.2f |\n", cross);
  }
  return 0;
}
