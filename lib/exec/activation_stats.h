// Activation statistics: for every input activation of a Conv, Gemm or MatMul (the data input, and a
// MatMul's second input when it is computed rather than a weight), over a whole data set: the fraction of
// exact zeros, the range, a histogram, and the distribution of zero-run lengths. The energy model, the
// activation-pruning pass and RLC size estimates read these; `dnnc stats` prints them.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lib/exec/dataset.h"
#include "lib/exec/executor.h"

namespace dnnc {

// Equal-width bins over [lo, hi]; the range grows (bins merge pairwise) as wider values arrive, so
// batches stream through without knowing the range first.
struct Histogram {
  double lo = 0, hi = 0;
  std::vector<int64_t> counts;
  double binWidth() const { return counts.empty() ? 0 : (hi - lo) / static_cast<double>(counts.size()); }
};

struct ActivationStats {
  std::string node;   // the consuming node's name
  std::string op;     // Conv, Gemm or MatMul
  int input = 0;      // which input of that node
  std::string value;  // the activation's value name
  std::vector<int64_t> sample_dims;  // one sample's dims (batch dim dropped)
  int64_t count = 0;  // elements seen
  int64_t zeros = 0;  // exact zeros (+0 and -0)
  double min = 0, max = 0, mean = 0;
  Histogram histogram;
  // Zero runs within each sample's C-order flattening: zero_runs[k] counts maximal runs of k+1 zeros;
  // the last entry counts runs of zero_runs.size() zeros or more.
  std::vector<int64_t> zero_runs;
  int64_t runs = 0;
  double zeroFraction() const { return count ? static_cast<double>(zeros) / static_cast<double>(count) : 0.0; }
  double meanRunLength() const;
};

struct ActivationStatsOptions {
  int bins = 64;      // even
  int max_run = 64;   // run lengths 1..max_run-1 exactly, the last bucket for longer ones
};

// A NodeObserver that accumulates ActivationStats over as many runs as it sees.
class ActivationStatsCollector : public NodeObserver {
 public:
  ActivationStatsCollector(const Executor& exec, ActivationStatsOptions options = {});
  void beforeNode(int index, const onnx::NodeProto& node, std::span<const Value* const> inputs) override;
  // The statistics in graph order (one entry per observed activation input).
  std::vector<ActivationStats> results() const;

 private:
  struct Slot {
    int node_index;
    int input;
  };
  ActivationStatsOptions options_;
  std::vector<Slot> slots_;
  std::vector<ActivationStats> stats_;
  std::vector<double> sums_;
  std::vector<char> seen_;
};

// Runs the model over all of `data` in batches and returns the statistics. `progress(done, total)` is
// called after each batch when given.
Expected<std::vector<ActivationStats>> collectActivationStats(
    Executor& exec, BatchLoader& data, int64_t batch, const ActivationStatsOptions& options = {},
    const std::function<void(int64_t, int64_t)>& progress = {});

// The statistics of one float array taken as a batch of samples along axis 0 (for tests and tools).
void accumulateActivation(ActivationStats& stats, const float* data, std::span<const int64_t> dims,
                          const ActivationStatsOptions& options, double& sum);

}  // namespace dnnc
