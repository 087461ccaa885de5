// Calibration data for passes that look at activations (energy-aware pruning, activation pruning, OBD,
// fine-tuning): the CLI's --data/--labels and preprocessing, and the set loaded into memory once.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lib/exec/dataset.h"
#include "lib/ir/model.h"
#include "lib/ir/tensor.h"
#include "lib/support/error.h"

namespace dnnc {

struct Calibration {
  DataOptions data;    // samples for the model's single input
  std::string labels;  // class labels; "" when the data is unlabelled
  int64_t limit = 0;   // use only the first N samples (0: all)
  int64_t batch = 64;  // samples per executor run
};

// The samples as batches in the model input's dtype, with their labels (empty when unlabelled).
struct CalibrationSet {
  std::vector<Tensor> batches;
  std::vector<int64_t> labels;
  int64_t samples = 0;
};

// Reads the whole (limited) set for `model`'s single input. Errors: Exit::Input for data or labels that do
// not fit the model or each other.
Expected<CalibrationSet> loadCalibrationSet(const Model& model, const Calibration& calibration);

// The samples at `rows` (indices into `set`, in that order), in batches of up to `batch`, with their
// labels: a split of a loaded set (e.g. a held-out part) without reading the data again.
CalibrationSet selectSamples(const CalibrationSet& set, std::span<const int64_t> rows, int64_t batch);

}  // namespace dnnc
