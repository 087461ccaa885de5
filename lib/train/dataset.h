// A training or calibration set held in memory: every sample preprocessed as the model's input
// expects, plus optional class labels. Fashion-MNIST's 60,000 images take 188 MB as float32.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/exec/dataset.h"
#include "lib/ir/model.h"
#include "lib/train/buffer.h"

namespace dnnc::train {

struct Dataset {
  Buf x;                        // [samples, ...] as the model input
  std::vector<int64_t> labels;  // empty, or one per sample
  int64_t samples() const { return x.dims.empty() ? 0 : x.dims[0]; }
  int64_t sampleSize() const { return samples() ? x.numel() / samples() : 0; }
  // Rows idx[first, first + count) as one batch.
  Buf batch(const std::vector<int64_t>& idx, int64_t first, int64_t count) const;
};

// Reads data (and labels when the path is not empty) for the model's one data input. limit > 0 keeps
// only the first `limit` samples.
Expected<Dataset> loadDataset(const Model& model, const DataOptions& data, const std::string& labels, int64_t limit = 0);

// The model's one non-initializer input, as the executor's loaders describe it.
Expected<ValueInfo> dataInput(const Model& model);

}  // namespace dnnc::train
