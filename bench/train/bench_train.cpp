// One training step (forward, cross-entropy, reverse, SGD update) of a model at a batch size, timed in
// dnnc's lib/train. The input is random normal data of the shape the model's input declares (batch
// first, the other dimensions fixed in the graph), the labels i mod the number of classes (the output's
// second dimension). Prints JSON: median_ms, min_ms (wall), cpu_ms (process CPU time per step,
// all threads, median; less disturbed by other jobs on a shared machine), steps. Driven by
// bench/train/run.sh.
//   bench_train MODEL.onnx [--batch 32] [--threads 1] [--min-time 2] [--bn frozen|batch] [--fuse yes|no]
// (--fuse no: every activation its own op on the tape, to measure what TapeOptions::fuse_activations buys)
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <ctime>
#include <string>
#include <vector>

#include "lib/ir/onnx_io.h"
#include "lib/support/atomic_file.h"
#include "lib/train/loss.h"
#include "lib/train/optimizer.h"
#include "lib/train/tape.h"

using namespace dnnc;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_train MODEL.onnx [--batch N] [--threads N] [--min-time S] [--bn frozen|batch] [--fuse yes|no]\n");
    return 2;
  }
  std::string path = argv[1], bn = "frozen", fuse = "yes";
  int64_t batch = 32;
  int threads = 1;
  double min_time = 2;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--batch")) batch = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads")) threads = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--min-time")) min_time = std::stod(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--bn")) bn = argv[i + 1];
    else if (!std::strcmp(argv[i], "--fuse")) fuse = argv[i + 1];
  }
  auto bytes = readFile(path);
  if (!bytes) return std::fprintf(stderr, "%s\n", bytes.error().message().c_str()), 3;
  auto model = parseModel(*bytes, path, ".");
  if (!model) return std::fprintf(stderr, "%s\n", model.error().message().c_str()), 3;
  auto tape = train::Tape::create(*model, {.threads = threads, .bn_batch_stats = bn == "batch", .fuse_activations = fuse != "no"});
  if (!tape) return std::fprintf(stderr, "%s\n", tape.error().message().c_str()), 3;
  // The input's own shape (every dimension after the batch must be fixed in the graph).
  std::vector<int64_t> dims{batch};
  for (const auto& in : model->graph().input()) {
    if (in.name() != (*tape)->inputName()) continue;
    const auto& shape = in.type().tensor_type().shape();
    for (int d = 1; d < shape.dim_size(); ++d) {
      if (!shape.dim(d).has_dim_value()) return std::fprintf(stderr, "bench_train: input dimension %d is not fixed\n", d), 3;
      dims.push_back(shape.dim(d).dim_value());
    }
  }
  if (dims.size() < 2) return std::fprintf(stderr, "bench_train: the input declares no shape\n"), 3;
  train::Buf x(dims);
  std::mt19937 rng(0);
  std::normal_distribution<float> nd;
  for (auto& v : x.v) v = nd(rng);
  if (auto st = (*tape)->forward(x, train::Phase::Eval); !st.ok()) return std::fprintf(stderr, "%s\n", st.error().message().c_str()), 3;
  const int64_t classes = (*tape)->outputDims().size() == 2 ? (*tape)->outputDims()[1] : 0;
  if (classes < 1) return std::fprintf(stderr, "bench_train: the output is not batch x classes\n"), 3;
  std::vector<int64_t> labels(static_cast<size_t>(batch));
  for (int64_t i = 0; i < batch; ++i) labels[i] = i % classes;
  train::OptimizerOptions oo;
  oo.lr = 1e-4;
  train::Optimizer opt(oo, (*tape)->numParams());
  train::Buf g;
  auto step = [&] {
    auto& t = **tape;
    if (!t.forward(x, train::Phase::Train).ok()) std::exit(3);
    train::lossAndGrad(t.output(), labels, nullptr, {}, g);
    t.seedGrad(g);
    t.backward(train::Mode::Gradient);
    for (int k = 0; k < t.numParams(); ++k) opt.step(k, t.param(k), t.paramGrad(k), oo.lr);
  };
  for (int i = 0; i < 3; ++i) step();  // warm-up
  auto cpuMs = [] {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
  };
  std::vector<double> ms, cpu;
  auto start = std::chrono::steady_clock::now();
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < min_time || ms.size() < 5) {
    auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpuMs();
    step();
    cpu.push_back(cpuMs() - c0);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  std::sort(cpu.begin(), cpu.end());
  std::printf("{\"median_ms\": %.4f, \"min_ms\": %.4f, \"cpu_ms\": %.4f, \"steps\": %zu}\n", ms[ms.size() / 2], ms[0],
              cpu[cpu.size() / 2], ms.size());
  return 0;
}
