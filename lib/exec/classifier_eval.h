// Scoring a classifier on a data set: accuracy against labels (top-1, top-5) and fidelity against a
// reference model run on the same batches (top-1 agreement, max and mean absolute output difference,
// SQNR). Shared by `dnnc eval` and every command that compares a compressed model with its original.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "lib/exec/dataset.h"
#include "lib/exec/executor.h"

namespace dnnc {

struct ClassifierEvalSettings {
  int64_t batch = 32;  // a model with a fixed batch dim uses that instead
  int64_t limit = 0;   // 0: every sample
};

struct ClassifierScores {
  int64_t samples = 0, classes = 0;
  bool has_labels = false, has_reference = false;
  int64_t top1 = 0, top5 = 0;  // the model against the labels
  int64_t reference_top1 = 0;  // the reference against the labels
  int64_t agree = 0;           // samples whose top-1 class is the reference's
  double max_abs_diff = 0, sum_abs_diff = 0;
  int64_t diff_count = 0;
  double signal = 0, noise = 0;  // sum ref^2, sum (out - ref)^2
  double seconds = 0;

  double agreement() const { return samples ? double(agree) / double(samples) : 0.0; }
  double meanAbsDiff() const { return diff_count ? sum_abs_diff / double(diff_count) : 0.0; }
  // 10 log10(signal / noise); nullopt when the outputs are identical (infinite SQNR).
  std::optional<double> sqnrDb() const;
};

// Runs `model` (and `reference`, when not null) over `data`; labels may be empty. Both models must have
// one input and give [N, classes] scores (trailing dims flattened). progress(done, total) after each batch.
Expected<ClassifierScores> evaluateClassifier(Executor& model, Executor* reference, BatchLoader& data, const std::vector<int64_t>& labels,
                              const ClassifierEvalSettings& settings = {},
                              const std::function<void(int64_t, int64_t)>& progress = {});

}  // namespace dnnc
