// The recurrent ops LSTM, GRU and RNN (opsets 7-14) share: attributes (direction forward / reverse /
// bidirectional, layout 0 or 1, hidden_size, activations with their alpha/beta, clip, input_forget,
// linear_before_reset), the input projection of every step at once (one GEMM per direction), the
// recurrence (one GEMM per step) and sequence_lens (a batch entry stops at its length; Y is zero past it,
// and a reverse pass starts at its last valid step). Outputs Y, Y_h and, for LSTM, Y_c; float32.
#pragma once
#include <string>
#include <vector>

#include "lib/exec/kernel.h"

namespace dnnc::ops {

enum class RnnCell { Lstm, Gru, Simple };

// One of ONNX's RNN activation functions with its parameters.
struct RnnActivation {
  enum class Kind { Sigmoid, Tanh, Relu, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, Softplus };
  Kind kind = Kind::Sigmoid;
  float alpha = 0, beta = 0;
  float operator()(float x) const;
};

struct RnnSpec {
  RnnCell cell = RnnCell::Lstm;
  int64_t hidden = 0;
  int dirs = 1;
  bool reverse_only = false;  // direction=reverse
  int layout = 0;
  float clip = 0;  // 0: none
  bool input_forget = false;
  bool linear_before_reset = false;
  std::vector<RnnActivation> activations;  // per direction: LSTM f, g, h; GRU f, g; RNN f
};

Expected<RnnSpec> parseRnnSpec(const NodeInfo& info, RnnCell cell);
Status runRnn(KernelContext& ctx, const RnnSpec& spec);

}  // namespace dnnc::ops
