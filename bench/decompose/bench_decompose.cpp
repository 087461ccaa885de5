// Times decompose-tucker (ranks by EVBMF or `--ratio R`; HOSVD, then at most `--hooi N` HOOI sweeps, the
// pass's default when not given) on every Conv of a model, from the loaded model to the rewritten graph,
// and prints one JSON line: wall and CPU seconds (the CPU time is what to compare on a shared, loaded
// machine), and per layer the ranks, HOOI sweeps run and relative reconstruction error (HOSVD's and
// final). The model load is not timed (the NumPy peer does not time it either).
//
//   bench_decompose MODEL.onnx [--hooi N] [--ratio R] [--threads T]
#include <chrono>
#include <ctime>
#include <iostream>
#include <string>

#include "lib/ir/onnx_io.h"
#include "lib/pass/pipeline.h"
#include "passes/registry.h"

using namespace dnnc;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: bench_decompose MODEL.onnx [--hooi N] [--ratio R] [--threads T]\n";
    return 2;
  }
  std::string params;
  int threads = 1;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--hooi") params += std::string(params.empty() ? "" : ",") + "iterations=" + argv[i + 1];
    else if (a == "--ratio") params += std::string(params.empty() ? "" : ",") + "ratio=" + argv[i + 1];
    else if (a == "--threads") threads = std::stoi(argv[i + 1]);
    else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  auto model = loadModel(argv[1]);
  if (!model) {
    std::cerr << "bench_decompose: " << model.error().message() << "\n";
    return 3;
  }
  auto pipeline = parsePipeline("decompose-tucker(" + params + ")", builtinPasses());
  if (!pipeline) {
    std::cerr << "bench_decompose: " << pipeline.error().message() << "\n";
    return 2;
  }
  PassContext ctx;
  ctx.threads = threads;
  auto start = std::chrono::steady_clock::now();
  std::clock_t cpu_start = std::clock();
  auto report = runPipeline(*model, *pipeline, builtinPasses(), ctx);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double cpu_seconds = double(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  if (!report) {
    std::cerr << "bench_decompose: " << report.error().message() << "\n";
    return 1;
  }
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& r : (*report)[0]["rewrites"]) {
    const auto& d = r["details"];
    layers.push_back({{"layer", d["layer"]}, {"ranks", d["ranks"]}, {"sweeps", d["hooi_iterations"]},
                      {"hosvd_rel_error", d["hosvd_rel_error"]}, {"rel_error", d["rel_error"]}});
  }
  std::cout << nlohmann::json{{"seconds", seconds}, {"cpu_seconds", cpu_seconds}, {"layers", layers}}.dump() << "\n";
  return 0;
}
