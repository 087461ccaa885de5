// A calibration set (lib/exec/calibration: preprocessed batches in memory, optional labels) with the
// top-1 scoring the sensitivity analysis and the activation-pruning calibration run many times over.
// Loading once keeps each evaluation to the executor's own work.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/exec/calibration.h"
#include "lib/exec/dataset.h"
#include "lib/exec/executor.h"
#include "lib/ir/model.h"

namespace dnnc {

struct Accuracy {
  int64_t correct = 0, samples = 0;
  double top1() const { return samples ? double(correct) / double(samples) : 0.0; }
};

class EvalSet {
 public:
  // Reads the (limited) data for the model's single input; labels optional.
  static Expected<EvalSet> load(const Model& model, const Calibration& calibration);
  // A set already in memory (e.g. one part of a split: selectSamples).
  static EvalSet of(CalibrationSet set) {
    EvalSet e;
    e.set_ = std::move(set);
    return e;
  }
  const std::vector<Tensor>& batches() const { return set_.batches; }
  int64_t samples() const { return set_.samples; }
  bool hasLabels() const { return !set_.labels.empty(); }
  // Top-1 accuracy: argmax of the first output (flattened per sample) against the labels.
  // An observer, when given, sees every node of every batch.
  Expected<Accuracy> evaluate(Executor& exec, NodeObserver* observer = nullptr) const;
  // Runs every batch for the observer's sake (no labels needed).
  Status run(Executor& exec, NodeObserver& observer) const;
  Expected<Accuracy> evaluate(const Model& model, int threads = 0) const;

 private:
  CalibrationSet set_;
};

}  // namespace dnnc
