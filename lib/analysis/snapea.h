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
#pragma once
#include <cstdint>
#include <functional>
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
  int64_t skipped_macs = 0;        // negative terms not computed
  // Exactness against the executor's Relu output: the largest absolute difference, how many outputs
  // differ by more than the summation-order tolerance, how many terminated outputs the executor did not
  // give as exactly 0, and input values < 0 seen (the premise broken: none expected).
  double max_abs_diff = 0;
  int64_t mismatches = 0;
  int64_t terminated_nonzero = 0;
  int64_t negative_inputs = 0;
  double skipFraction() const { return macs ? static_cast<double>(skipped_macs) / static_cast<double>(macs) : 0.0; }
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
};

// Runs exact-mode early termination over one batch of one layer and adds to `layer`. `x` is the NCHW
// input, `w` the weights, `bias` may be null; `relu_out` (the executor's Relu output, same layout as
// the Conv output) may be null, then exactness is not checked.
void accumulateSnapea(SnapeaLayer& layer, const SnapeaConv& conv, const float* x, const float* w,
                      const float* bias, const float* relu_out);

// A NodeObserver that finds the covered Conv -> Relu pairs of `exec`'s graph and accumulates them over
// every run it sees.
class SnapeaCollector : public NodeObserver {
 public:
  explicit SnapeaCollector(const Executor& exec);
  void beforeNode(int index, const onnx::NodeProto& node, std::span<const Value* const> inputs) override;
  void afterNode(int index, const onnx::NodeProto& node, std::span<const Value* const> outputs) override;
  // An error when a covered Conv had a shape or attribute the count cannot follow.
  Status status() const { return status_; }
  SnapeaResult result() const { return result_; }

 private:
  struct Pending {  // a covered Conv's input and weights, kept until its Relu has run
    SnapeaConv conv;
    std::vector<float> x, w, bias;
    bool ready = false;
  };
  std::vector<int> conv_node_;  // per covered layer: the Conv's node index
  std::vector<int> relu_node_;  // per covered layer: the Relu's node index
  std::vector<Pending> pending_;
  SnapeaResult result_;
  Status status_;
};

// Runs the model over all of `data` in batches and returns the count; `progress(done, total)` after
// each batch when given.
Expected<SnapeaResult> collectSnapea(Executor& exec, BatchLoader& data, int64_t batch,
                                     const std::function<void(int64_t, int64_t)>& progress = {});

}  // namespace dnnc
