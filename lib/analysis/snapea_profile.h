// The profile that SnaPEA predictive-mode calibration starts from: for each covered Conv -> Relu layer
// and each speculation size n, the speculative partial sums (lib/analysis/snapea.h) of every output of
// the exact model, and of the outputs that are positive. A threshold then has a measured cost and gain:
// the fraction of positive outputs it would zero (loss) and of all outputs it would predict (skip).
#pragma once
#include <cstdint>
#include <vector>

#include "lib/analysis/snapea.h"

namespace dnnc {

struct SnapeaCandidate {
  SnapeaPrediction prediction;
  double positive_loss = 0;       // fraction of the profile's positive outputs predicted negative
  double predicted_fraction = 0;  // fraction of all outputs predicted negative
  double estimated_skip = 0;      // predicted_fraction x (terms - n) / terms: MACs skipped by predictions
};

struct SnapeaProfileOptions {
  std::vector<double> n_fractions = {0.125, 0.25, 0.5};  // speculation sizes, as fractions of a filter's terms
  // Thresholds: the largest that predicts at most this fraction of the profile's positive outputs negative.
  std::vector<double> positive_losses = {0.0, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2};
};

// Watches runs of the exact model over the profile samples.
class SnapeaProfiler : public NodeObserver {
 public:
  SnapeaProfiler(const Executor& exec, SnapeaProfileOptions options = {});
  void beforeNode(int index, const onnx::NodeProto& node, std::span<const Value* const> inputs) override;
  void afterNode(int index, const onnx::NodeProto& node, std::span<const Value* const> outputs) override;
  Status status() const { return status_; }
  const std::vector<SnapeaSite>& sites() const { return coverage_.sites; }
  const std::vector<SnapeaUncovered>& uncovered() const { return coverage_.uncovered; }
  int64_t terms(size_t site) const { return terms_[site]; }
  // Site `k`'s candidates, by increasing estimated skip (distinct settings only).
  std::vector<SnapeaCandidate> candidates(size_t k) const;

 private:
  SnapeaProfileOptions options_;
  SnapeaCoverage coverage_;
  std::vector<int64_t> terms_;                          // per site
  std::vector<std::vector<int64_t>> n_;                 // per site: the speculation sizes
  std::vector<std::vector<std::vector<double>>> all_;   // per site, per n: every output's sum
  std::vector<std::vector<std::vector<double>>> positive_;  // ... of the outputs > 0
  std::vector<std::vector<std::vector<double>>> pending_;   // per site, per n: this batch's sums
  Status status_;
};

}  // namespace dnnc
