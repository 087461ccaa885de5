// The pruning step of `dnnc sensitivity`: each layer pruned to its own sparsity through the pass registry,
// so the passes it runs (prune-magnitude, or prune-structured for filters and channels) are the ones
// `dnnc prune` and `dnnc run` run, with the same parameters and errors.
#pragma once
#include <string>

#include "lib/ir/model.h"
#include "lib/prune/magnitude.h"

namespace dnnc::cli {

// Prunes each layer of `targets` to its sparsity and nothing else (quietly: no report kept); empty
// targets change nothing.
Status pruneLayers(Model& model, const LayerSparsity& targets, const std::string& granularity, int threads);

}  // namespace dnnc::cli
