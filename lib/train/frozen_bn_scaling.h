// Fine-tuning through frozen BatchNormalization, with the steps of the folded model.
//
// Behind a Conv (or Gemm) that only a frozen BN reads, channel k computes
//   y_k = a_k (W_k * x + b_k - mu_k) + beta_k,   a_k = gamma_k / sqrt(var_k + eps),
// which is the folded layer W'_k = a_k W_k, b'_k = a_k (b_k - mu_k) + beta_k. SGD on W sees the gradient
// a_k g'_k and so moves W'_k by a_k^2 times the step SGD on the folded model would take. Trained BNs have
// a_k far from 1: the residual CNN's stem reaches a_k = 6.8 (running variance 0.017), a 46x larger step,
// and label-free distillation at lr 0.005 diverged there (93.35 % -> 8.95 % test top-1 in two epochs)
// while the same run on its fold-bn form kept 93.35 %.
//
// FrozenBnScaling divides those gradient rows of W and b by a_k^2 and holds gamma fixed, so that SGD (with
// momentum) on (W, b, beta) takes exactly the steps it takes on the folded (W', b'), without changing the
// graph: the output keeps its BatchNormalization nodes. Adam rescales each gradient element itself and is
// left alone; with batch statistics BN is scale-invariant and nothing is needed either.
#pragma once
#include <vector>

#include "lib/ir/model.h"
#include "lib/train/tape.h"

namespace dnnc::train {

class FrozenBnScaling {
 public:
  // The Conv/Gemm layers of `model` whose output only a BatchNormalization with constant statistics reads,
  // and whose weight, scale and variance are initializers that nothing else reads (params of `tape`).
  static FrozenBnScaling find(const Model& model, const Tape& tape);  // the tape of `model`

  // Scales the gradients of the layers' weights and biases in place (after backward, before the update).
  void scaleGradients(Tape& tape) const;
  // Parameters held fixed: the scales (gamma) of those BatchNormalizations.
  bool holds(int param) const;
  // Leaves the layer whose weight is parameter `weight` to plain steps (and its gamma free): a weight
  // trained tied to shared values, whose folded form (per-channel scales) would not share them.
  void release(int weight);
  int layers() const { return static_cast<int>(layers_.size()); }

 private:
  struct Layer {
    int weight = -1, bias = -1, gamma = -1;  // tape parameter indices (bias -1: none)
    bool channel_leading = true;            // weight [K, ...] (Conv, Gemm transB=1); else [in, K]
    std::vector<float> var;                 // running variance, constant while BN is frozen
    float eps = 1e-5f;
  };
  std::vector<Layer> layers_;
  std::vector<bool> held_;
};

}  // namespace dnnc::train
