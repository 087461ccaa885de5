// Top-1 score of a classifier on an in-memory calibration set: accuracy against labels, or agreement with
// reference predictions (those of the uncompressed model) when the set is unlabelled. Optionally collects
// the activation statistics of the same run, so that one pass over the data gives both accuracy and
// the zeros the energy model needs.
#pragma once
#include <cstdint>
#include <vector>

#include "lib/exec/activation_stats.h"
#include "lib/exec/calibration.h"
#include "lib/ir/model.h"

namespace dnnc {

struct ClassifierScore {
  double accuracy = 0;                // percent
  std::vector<int64_t> predictions;   // argmax of the first output, per sample
  std::vector<ActivationStats> stats;  // when asked for
};

class ClassifierScorer {
 public:
  ClassifierScorer(const CalibrationSet& set, int threads) : set_(set), threads_(threads) {}
  // Predictions to agree with when the set has no labels.
  void setReference(std::vector<int64_t> predictions) { reference_ = std::move(predictions); }
  bool labelled() const { return !set_.labels.empty(); }

  // Errors: Exit::Input when the first output is not [N, classes].
  Expected<ClassifierScore> score(const Model& model, const ActivationStatsOptions* stats = nullptr) const;

 private:
  const CalibrationSet& set_;
  int threads_;
  std::vector<int64_t> reference_;
};

}  // namespace dnnc
