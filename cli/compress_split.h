// The held-out set of `dnnc compress` when no --val-data is given: a seeded random split of the training
// .npy files into a training part and a validation part, written as .npy files into the workdir (the
// search's finetune steps name them, so every step's pipeline text reads the same training part).
#pragma once
#include <cstdint>
#include <string>

#include "lib/support/error.h"

namespace dnnc::cli {

struct SplitFiles {
  std::string train_data, train_labels, val_data, val_labels;
  int64_t train_samples = 0, val_samples = 0;
};

// Splits data/labels (.npy, same first dim) into dir/{train,val}_{images,labels}.npy: val_samples rows
// chosen by a shuffle seeded with `seed`, both parts in their original order. Errors: Exit::Input (unreadable or mismatched arrays, too few
// samples), Exit::Output (cannot write).
Expected<SplitFiles> splitTrainingData(const std::string& data, const std::string& labels, int64_t val_samples,
                                       uint64_t seed, const std::string& dir);

}  // namespace dnnc::cli
