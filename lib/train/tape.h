// Tape: the forward and reverse passes of an ONNX graph for training, inside dnnc.
//
//   DNNC_ASSIGN(auto tape, Tape::create(model, {.threads = 2}));
//   DNNC_TRY(tape->forward(x, Phase::Train));          // keeps every intermediate
//   tape->seedGrad(logits_grad);                       // dLoss/dlogits
//   tape->backward(Mode::Gradient);                    // fills paramGrad(k) for every parameter k
//
// Why a tape of its own and not lib/exec's Executor: training reads every intermediate again in the
// reverse pass, while the executor frees each value after its last reader and plans buffers for that.
// Here each value keeps its forward buffer, and each op keeps what its backward needs (Conv's im2col
// columns, MaxPool's argmax, BatchNormalization's batch statistics).
//
// Parameters are the float initializers a trainable input reads (weights, biases, BN scale and bias, a
// Gather codebook). BatchNormalization's running mean and variance are buffers (updated in training
// mode), and shape, index and bound inputs are constants. Integer values (shapes, indices: a shared
// layer's Gather(codebook, Cast(indices))) are constants to training too: Cast, Shape, Gather, Concat and
// Unsqueeze compute them, and no gradient flows into or out of them. A node whose op has no reverse rule
// is an Exit::Input error at create() naming the op and the node.
//
// Mode::Curvature runs the same reverse sweep with every local derivative squared: the diagonal
// Gauss-Newton (Levenberg-Marquardt) back-propagation of LeCun, Denker and Solla 1989, used by OBD.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "lib/ir/model.h"
#include "lib/ir/tensor.h"
#include "lib/support/error.h"
#include "lib/train/buffer.h"

namespace dnnc::train {

enum class Phase { Eval, Train };  // Train: Dropout drops, BatchNormalization may use batch statistics
enum class Mode { Gradient, Curvature };

struct TapeOptions {
  int threads = 0;             // 0: all cores
  bool bn_batch_stats = false;  // Phase::Train normalises with batch statistics (and updates running ones)
  float bn_momentum = -1.0f;    // running-stat update weight of the new batch; <0: from the node (ONNX momentum)
  bool bn_population = false;   // with bn_batch_stats: running statistics are the mean and unbiased variance of
                                // every value seen since create(), not a moving average (recalibrate-bn)
  uint64_t seed = 0;            // Dropout masks
  bool fuse_activations = true;  // an op that can applies the Relu/Clip that alone reads its output (Op::fuseClamp)
};

class Op;

// One value of the graph: float data (and its gradient) or int64 data (shapes, indices).
struct Slot {
  std::string name;
  Buf val, grad;
  std::vector<int64_t> ints, int_dims;
  bool is_int = false;
  bool is_param = false;     // trainable initializer
  bool is_const = false;     // known before running (initializer or Constant)
  bool frozen = false;       // a constant that is not float32: never trained
  bool needs_grad = false;   // a parameter is upstream of it (or it is one)
  int param_index = -1;
  bool prunable = false;     // a weight matrix/kernel or a Gather codebook: its exact zeros are pruned weights
};

class Tape {
 public:
  static Expected<std::unique_ptr<Tape>> create(const Model& model, const TapeOptions& options = {});
  ~Tape();

  // Graph input (the one non-initializer input) and output (the first graph output) names.
  const std::string& inputName() const { return slots_[input_].name; }
  const std::vector<int64_t>& outputDims() const { return slots_[output_].val.dims; }
  const Buf& output() const { return slots_[output_].val; }

  // Runs the graph on x (dims as the input declares, batch first). Values stay until the next forward.
  Status forward(const Buf& x, Phase phase);
  // Sets dLoss/doutput (same dims as output()) before backward().
  void seedGrad(const Buf& g);
  // Reverse sweep: gradients (or Gauss-Newton curvature) of every parameter, overwritten (not summed).
  void backward(Mode mode);

  // Ops on the tape, one per node, less the activations fused into their producer (Op::fuseClamp).
  int numOps() const { return static_cast<int>(ops_.size()); }
  int numParams() const { return static_cast<int>(params_.size()); }
  const std::string& paramName(int k) const { return slots_[params_[k]].name; }
  Buf& param(int k) { return slots_[params_[k]].val; }
  const Buf& param(int k) const { return slots_[params_[k]].val; }
  const Buf& paramGrad(int k) const { return slots_[params_[k]].grad; }
  Buf& paramGrad(int k) { return slots_[params_[k]].grad; }
  bool paramPrunable(int k) const { return slots_[params_[k]].prunable; }
  // Running statistics (BN mean/var) updated by training-mode forwards: name -> values.
  std::vector<std::pair<std::string, const Buf*>> buffers() const;
  // Writes parameters and buffers back into the model's initializers (names kept).
  Status writeBack(Model& model) const;

  // For ops.
  Slot& slot(int i) { return slots_[i]; }
  const Slot& slot(int i) const { return slots_[i]; }
  // During backward(): slot i's gradient buffer, zeroed on its first use in the sweep (nullptr when the
  // slot needs no gradient).
  float* gradBuffer(int i);
  // The same without the zeroing: *fresh is true on the first use, and the caller then writes every
  // element (=) instead of adding to it.
  float* gradBufferForWrite(int i, bool* fresh);
  Phase phase() const { return phase_; }
  const TapeOptions& options() const { return options_; }
  int threads() const { return threads_; }
  std::mt19937_64& rng() { return rng_; }

 private:
  Tape() = default;
  std::vector<Slot> slots_;
  std::map<std::string, int> slot_of_;
  std::vector<std::unique_ptr<Op>> ops_;
  std::vector<int> params_, buffers_;
  int input_ = -1, output_ = -1;
  Phase phase_ = Phase::Eval;
  TapeOptions options_;
  int threads_ = 1;
  std::mt19937_64 rng_;
  std::vector<char> ready_;  // backward(): gradient buffers already zeroed in this sweep
  friend struct TapeBuilder;
};

}  // namespace dnnc::train
