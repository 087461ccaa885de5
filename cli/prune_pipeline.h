// Pipeline text for the pruning commands: `dnnc prune` and `dnnc sensitivity` prune through the pass
// registry, so the passes they name (prune-magnitude here, prune-structured from its own branch) are
// the ones `dnnc run` runs, with the same parameters and errors.
#pragma once
#include <string>
#include <vector>

#include "lib/ir/model.h"
#include "lib/prune/magnitude.h"

namespace dnnc::cli {

// 'value' quoted when it holds pipeline punctuation.
std::string pipelineValue(const std::string& value);

// "a=0.5,b=0.9": the inline layer-sparsity both pruning passes take.
std::string inlineLayerSparsity(const LayerSparsity& targets);

// The pipeline that prunes each layer of `targets` to its sparsity and nothing else: prune-magnitude
// for element and simd:N, prune-structured (its layer-sparsity parameter) for filter and channel.
// Empty targets give "".
std::string layerPrunePipeline(const LayerSparsity& targets, const std::string& granularity);

// Runs pipeline text on the model (quietly: no report kept).
Status runPipelineText(Model& model, const std::string& pipeline, int threads);

}  // namespace dnnc::cli
