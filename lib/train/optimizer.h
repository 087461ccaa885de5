// Optimisers over the tape's parameters: SGD with (heavy-ball) momentum and Adam (Kingma & Ba 2015),
// with L2 weight decay added to the gradient (as torch.optim does), and the learning-rate schedules.
#pragma once
#include <string>
#include <vector>

#include "lib/train/buffer.h"

namespace dnnc::train {

struct OptimizerOptions {
  std::string kind = "sgd";  // sgd | adam
  double lr = 0.01;
  double momentum = 0.9;     // SGD
  double weight_decay = 0.0;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // Adam
};

class Optimizer {
 public:
  Optimizer(const OptimizerOptions& o, int params) : o_(o), m_(params), v_(params), t_(params, 0) {}
  // One update of parameter k with its gradient, at learning rate lr.
  void step(int k, Buf& param, const Buf& grad, double lr);

 private:
  OptimizerOptions o_;
  std::vector<std::vector<float>> m_, v_;  // momentum buffer (SGD) or first/second moments (Adam)
  std::vector<int64_t> t_;
};

// Learning rate at step `step` of `total`: "none" (constant), "step" (x0.1 at 50 % and 75 % of
// training), "cosine" (lr * (1 + cos(pi * step / total)) / 2).
double scheduledLr(const std::string& schedule, double lr, int64_t step, int64_t total);

}  // namespace dnnc::train
