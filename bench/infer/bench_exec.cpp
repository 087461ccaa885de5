// Times dnnc's executor on one model: median wall time per run at a batch size and thread count, after
// warm-up runs (the first run learns the buffer plan). Random input (fixed seed) shaped like the model's
// first input with N = batch. Prints one JSON line; with --out FILE.npy also writes the first output.
//
//   bench_exec MODEL --batch 32 --threads 2 [--min-time 2] [--out y.npy] [--in x.npy] [--sparse auto|never|always]
//              [--profile N]
// --profile N: after timing, N more runs with each node timed (ExecRunOptions::node_seconds, fusions on);
// prints to stderr the mean ms per op type and the 20 slowest nodes (DNNC_PROFILE_TOP=N for N), to set
// against ORT's profile (ort_profile.js).
// The JSON's "kernels" counts what the Conv/Gemm/MatMul nodes ran in the last run (dense gemm, dense
// row, csr); "kernel_isa" the instruction-set path the kernels ran (avx512, avx2 or generic: the widest
// the CPU has, or what DNNC_ISA asked for) and "cpu" the CPU's model name.
#include <malloc.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "lib/exec/executor.h"
#include "lib/exec/gemm/isa.h"
#include "lib/exec/npy.h"
#include "lib/ir/onnx_io.h"

#include <fstream>

// s with the characters JSON strings escape escaped (a CPU model name is free text).
static std::string jsonEscaped(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (static_cast<unsigned char>(ch) >= 0x20) out += ch;
  }
  return out;
}

// Resident set size now, in MiB (Linux), for the memory report on stderr with --verbose-memory.
static double rssMb() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * 4096.0 / 1048576.0;
}

// Process CPU time (all threads) in ms: on a busy machine it leaves out the time spent descheduled.
static double processCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

using namespace dnnc;

// Mean ms per op type and the slowest nodes over `runs` runs, on stderr.
static void printProfile(Executor& exec, const Tensor& x, int runs) {
  const auto& nodes = exec.graph().node();
  std::vector<double> total(nodes.size(), 0.0), seconds;
  ExecRunOptions timed;
  timed.node_seconds = &seconds;
  for (int r = 0; r < runs; ++r) {
    if (!exec.run({&x}, timed)) return;
    for (size_t i = 0; i < seconds.size(); ++i) total[i] += seconds[i] * 1e3 / runs;
  }
  std::map<std::string, std::pair<double, int>> per_op;
  double all = 0;
  for (int i = 0; i < nodes.size(); ++i) {
    auto& [ms, count] = per_op[nodes[i].op_type()];
    ms += total[i];
    count += total[i] > 0;
    all += total[i];
  }
  std::vector<std::pair<double, std::string>> ops;
  for (const auto& [op, v] : per_op) ops.push_back({v.first, op + " (" + std::to_string(v.second) + " nodes)"});
  std::sort(ops.rbegin(), ops.rend());
  std::cerr << "profile: " << all << " ms per run in nodes\n";
  for (const auto& [ms, op] : ops)
    if (ms > 0) std::cerr << "  " << ms << " ms  " << op << "\n";
  std::vector<int> order(nodes.size());
  for (int i = 0; i < nodes.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](int a, int b) { return total[a] > total[b]; });
  std::cerr << "slowest nodes:\n";
  const char* top_env = std::getenv("DNNC_PROFILE_TOP");
  const int top = std::min(top_env ? std::atoi(top_env) : 20, static_cast<int>(order.size()));
  for (int k = 0; k < top; ++k)
    std::cerr << "  " << total[order[k]] << " ms  " << nodes[order[k]].op_type() << " " << nodes[order[k]].name() << "\n";
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: bench_exec MODEL [--batch N] [--threads T] [--min-time S] [--min-runs R] [--in X.npy] [--out Y.npy]\n";
    return 2;
  }
  std::string model_path = argv[1], out_path, in_path;
  int64_t batch = 1;
  int threads = 1, min_runs = 5, profile_runs = 0;
  double min_time = 2.0;
  SparseMode sparse = SparseMode::Auto;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--batch") batch = std::stoll(argv[i + 1]);
    else if (a == "--threads") threads = std::stoi(argv[i + 1]);
    else if (a == "--min-time") min_time = std::stod(argv[i + 1]);
    else if (a == "--min-runs") min_runs = std::stoi(argv[i + 1]);
    else if (a == "--profile") profile_runs = std::stoi(argv[i + 1]);
    else if (a == "--out") out_path = argv[i + 1];
    else if (a == "--in") in_path = argv[i + 1];
    else if (a == "--sparse") {
      std::string v = argv[i + 1];
      if (v == "auto") sparse = SparseMode::Auto;
      else if (v == "never") sparse = SparseMode::Never;
      else if (v == "always") sparse = SparseMode::Always;
      else {
        std::cerr << "--sparse takes auto, never or always\n";
        return 2;
      }
    }
    else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  auto model = loadModel(model_path);
  if (!model) {
    std::cerr << "bench_exec: " << model.error().message() << "\n";
    return 3;
  }
  auto exec = Executor::create(*model, {.threads = threads, .sparse = sparse});
  if (!exec) {
    std::cerr << "bench_exec: " << exec.error().message() << "\n";
    return 3;
  }
  {  // the executor holds its own copy of the weights: free the model's
    onnx::ModelProto empty;
    model->proto.Swap(&empty);
  }
  // And give the freed protobuf heap back to the system: the planned arena is mmap'ed, so it would not
  // reuse those pages, and the peak RSS would count the loaded model twice.
  malloc_trim(0);
  Tensor x;
  if (!in_path.empty()) {
    auto t = readNpy(in_path);
    if (!t) {
      std::cerr << "bench_exec: " << t.error().message() << "\n";
      return 3;
    }
    x = std::move(*t);
  } else {
    std::vector<int64_t> dims = (*exec)->inputs()[0].dims;
    dims[0] = batch;
    for (auto& d : dims)
      if (d < 0) d = 1;
    x = Tensor(DType::Float, dims);
    std::mt19937 rng(0);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (float& v : x.span<float>()) v = dist(rng);
  }
  const bool mem = std::getenv("DNNC_BENCH_MEMORY") != nullptr;
  if (mem) std::cerr << "rss after create: " << rssMb() << " MiB\n";
  std::vector<double> ms;
  std::vector<Tensor> out;
  auto total_start = std::chrono::steady_clock::now();
  for (int warm = 0; warm < 2; ++warm) {
    auto r = (*exec)->run({&x});
    if (!r) {
      std::cerr << "bench_exec: " << r.error().message() << "\n";
      return 3;
    }
    out = std::move(*r);
    if (mem) std::cerr << "rss after run " << warm << ": " << rssMb() << " MiB\n";
  }
  total_start = std::chrono::steady_clock::now();
  const double cpu_start = processCpuMs();
  while (static_cast<int>(ms.size()) < min_runs ||
         std::chrono::duration<double>(std::chrono::steady_clock::now() - total_start).count() < min_time) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = (*exec)->run({&x});
    auto t1 = std::chrono::steady_clock::now();
    if (!r) return 3;
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    if (ms.size() >= 100000) break;
  }
  const double cpu_ms = (processCpuMs() - cpu_start) / static_cast<double>(ms.size());
  if (profile_runs > 0) printProfile(**exec, x, profile_runs);
  std::sort(ms.begin(), ms.end());
  if (!out_path.empty()) (void)writeNpy(out_path, out[0]);
  std::map<std::string, int> kernels;
  for (const auto& [node, choice] : (*exec)->kernelChoices()) kernels[choice]++;
  std::string kernels_json;
  for (const auto& [choice, count] : kernels)
    kernels_json += (kernels_json.empty() ? "" : ", ") + ("\"" + choice + "\": " + std::to_string(count));
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::cout << "{\"engine\": \"dnnc\", \"model\": \"" << model_path << "\", \"batch\": " << x.dims()[0]
            << ", \"threads\": " << threads << ", \"runs\": " << ms.size() << ", \"median_ms\": " << ms[ms.size() / 2]
            << ", \"min_ms\": " << ms[0] << ", \"cpu_ms\": " << cpu_ms << ", \"peak_rss_mb\": " << ru.ru_maxrss / 1024.0
            << ", \"arena_mb\": " << (*exec)->arenaBytes() / 1048576.0
            << ", \"weights_mb\": " << (*exec)->constantBytes() / 1048576.0 << ", \"kernels\": {" << kernels_json << "}"
            << ", \"kernel_isa\": \"" << dnnc::gemm::isaName(dnnc::gemm::activeIsa()) << "\", \"cpu\": \""
            << jsonEscaped(dnnc::gemm::cpuModel()) << "\"}"
            << std::endl;
  return 0;
}
