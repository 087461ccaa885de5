// SnaPEA exact mode (Akhlaghi et al., "SnaPEA: Predictive Early Activation for Reducing Computation in
// Deep Convolutional Neural Networks", ISCA 2018): a Conv whose only reader is a Relu and whose input is
// non-negative can stop summing as soon as its partial sum can no longer turn positive. Each filter's
// weights are ordered positive (and zero) first, then negative by decreasing magnitude; after the
// bias and all non-negative terms, negative terms are added one at a time and the sum stops at the
// first partial sum <= 0 (every remaining term is <= 0, so the Relu output is 0 whatever they are).
// The MACs skipped are the negative terms never computed.
//
// Measured on real data through a NodeObserver; each covered layer's early-terminated output is also
// compared with the executor's Relu output, so the count comes with its own proof of exactness.
//
// Predictive mode (the paper's speculation unit), per layer (n, threshold): each filter's n
// largest-magnitude weights are summed first (with the bias, by decreasing magnitude); an output whose
// partial sum is below the threshold is predicted negative and set to 0 without computing its other
// terms. Other outputs go on in exact mode: the remaining non-negative terms, then the remaining
// negative ones by decreasing magnitude, stopping at the first partial sum <= 0. Predictive mode changes
// outputs: the collector simulates it by zeroing the predicted outputs in the Relu's output, so the rest
// of the network (and the top-1 measured on it) sees what SnaPEA hardware would compute.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "lib/exec/dataset.h"
#include "lib/exec/executor.h"

namespace dnnc {

// The geometry of one 2-D Conv over a batch (NCHW input, MCHW/group weights).
struct SnapeaConv {
  int64_t batch = 0, channels = 0, height = 0, width = 0;  // input
  int64_t filters = 0, kernel_h = 0, kernel_w = 0, group = 1;
  int64_t out_h = 0, out_w = 0;
  int64_t stride_h = 1, stride_w = 1, pad_top = 0, pad_left = 0, dilation_h = 1, dilation_w = 1;
};

// One covered Conv -> Relu pair, accumulated over the data set.
struct SnapeaLayer {
  std::string node;  // the Conv
  std::string relu;  // the Relu reading it
  int64_t outputs = 0;             // output elements computed
  int64_t terminated_outputs = 0;  // outputs whose sum stopped early (or never started negatives) at <= 0
  int64_t macs = 0;                // every filter term of every output (padding included, as MAC counts are)
  int64_t negative_macs = 0;       // of those, terms with a negative weight
  int64_t skipped_macs = 0;        // terms not computed
  // Of the skipped terms, those whose input is a real nonzero value (not padding, not 0): what zero
  // gating of ifmaps would not have saved anyway.
  int64_t skipped_nonzero_macs = 0;
  // Predictive mode: the speculation's n and threshold (n = 0: exact mode), the outputs predicted
  // negative, and of those the ones whose exact Relu output is > 0 (mispredicted: the output changed).
  int64_t speculation_n = 0;
  double threshold = 0;
  int64_t predicted_outputs = 0;
  int64_t mispredicted = 0;
  // Exactness against the executor's Relu output: the largest absolute difference, how many outputs
  // differ by more than the summation-order tolerance, how many terminated outputs the executor did not
  // give as exactly 0, and input values < 0 seen (the premise broken: none expected).
  double max_abs_diff = 0;
  int64_t mismatches = 0;
  int64_t terminated_nonzero = 0;
  int64_t negative_inputs = 0;
  double skipFraction() const { return macs ? static_cast<double>(skipped_macs) / static_cast<double>(macs) : 0.0; }
  double skipNonzeroFraction() const {
    return macs ? static_cast<double>(skipped_nonzero_macs) / static_cast<double>(macs) : 0.0;
  }
  bool exact() const { return mismatches == 0 && negative_inputs == 0; }
};

// A Conv that the count does not cover, and why.
struct SnapeaUncovered {
  std::string node;
  std::string reason;
};

struct SnapeaResult {
  std::vector<SnapeaLayer> layers;          // graph order
  std::vector<SnapeaUncovered> uncovered;   // graph order
  int64_t macs() const;                     // of the covered layers
  int64_t skippedMacs() const;
  double skipFraction() const;
  bool exact() const;
  bool predictive() const;  // some layer has a speculation
};

// One layer's predictive-mode parameters (see above); n = 0 is exact mode.
struct SnapeaPrediction {
  std::string node;  // the Conv
  int64_t n = 0;
  double threshold = 0;
};

// Runs exact-mode early termination over one batch of one layer and adds to `layer`. `x` is the NCHW
// input, `w` the weights, `bias` may be null; `relu_out` (the executor's Relu output, same layout as
// the Conv output) may be null, then exactness is not checked.
// With `predicted` (one flag per output, from predictNegative), the layer runs in predictive mode with
// speculation size `n`: flagged outputs are 0 after n terms.
void accumulateSnapea(SnapeaLayer& layer, const SnapeaConv& conv, const float* x, const float* w,
                      const float* bias, const float* relu_out, const char* predicted = nullptr, int64_t n = 0);

// The speculation's partial sums, one per output (NCHW order): the bias plus each filter's n
// largest-magnitude terms (ties in storage order), summed in double by decreasing magnitude. Padding
// taps add nothing.
std::vector<double> speculativeSums(const SnapeaConv& conv, const float* x, const float* w, const float* bias, int64_t n);
// The outputs predicted negative: speculative sum < threshold.
std::vector<char> predictNegative(const SnapeaConv& conv, const float* x, const float* w, const float* bias,
                                  const SnapeaPrediction& p);

// The covered Conv -> Relu pairs of a graph (node indices and names) and the Convs that are not, with why.
struct SnapeaSite {
  int conv = -1, relu = -1;
  std::string node, relu_name;
};
struct SnapeaCoverage {
  std::vector<SnapeaSite> sites;            // graph order
  std::vector<SnapeaUncovered> uncovered;   // graph order
};
SnapeaCoverage findSnapeaSites(const Executor& exec);
// A covered Conv's geometry from its inputs during a run (x, w, optional bias), or why the count cannot
// follow it (Exit::Input, naming `label`).
Expected<SnapeaConv> snapeaGeometry(const onnx::NodeProto& node, std::span<const Value* const> inputs,
                                    const std::string& label);

// A NodeObserver that finds the covered Conv -> Relu pairs of `exec`'s graph and accumulates them over
// every run it sees.
// With predictions, the layers they name (by Conv name) run in predictive mode, simulated: the predicted
// outputs are set to 0 in the Relu's output. `count` false skips the count (the simulation alone, for
// calibration runs).
struct SnapeaRunOptions {
  std::vector<SnapeaPrediction> predictions;
  bool count = true;
};

class SnapeaCollector : public NodeObserver {
 public:
  explicit SnapeaCollector(const Executor& exec, SnapeaRunOptions options = {});
  void beforeNode(int index, const onnx::NodeProto& node, std::span<const Value* const> inputs) override;
  void afterNode(int index, const onnx::NodeProto& node, std::span<const Value* const> outputs) override;
  // An error when a covered Conv had a shape or attribute the count cannot follow.
  Status status() const { return status_; }
  SnapeaResult result() const { return result_; }

 private:
  struct Pending {  // a covered Conv's input and weights, kept until its Relu has run
    SnapeaConv conv;
    std::vector<float> x, w, bias;
    std::vector<char> predicted;  // predictive mode: outputs predicted negative
    bool ready = false;
  };
  SnapeaRunOptions options_;
  std::vector<const SnapeaPrediction*> prediction_;  // per covered layer, or nullptr (exact mode)
  std::vector<int> conv_node_;  // per covered layer: the Conv's node index
  std::vector<int> relu_node_;  // per covered layer: the Relu's node index
  std::vector<Pending> pending_;
  SnapeaResult result_;
  Status status_;
};

// Runs the model over all of `data` in batches and returns the count; `progress(done, total)` after
// each batch when given.
// With predictions, in predictive mode (simulated; each must name a covered layer, else Exit::Input).
Expected<SnapeaResult> collectSnapea(Executor& exec, BatchLoader& data, int64_t batch,
                                     const std::function<void(int64_t, int64_t)>& progress = {},
                                     const std::vector<SnapeaPrediction>& predictions = {});

}  // namespace dnnc
