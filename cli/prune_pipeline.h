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

// The pipeline that prunes each layer of `targets` to its sparsity: one prune-magnitude element for
// element and simd:N; for filter and channel one prune-structured element per layer, skipping the
// others (`all_layers`). Empty targets give "".
std::string layerPrunePipeline(const LayerSparsity& targets, const std::string& granularity,
                               const std::vector<std::string>& all_layers);

// Runs pipeline text on the model (quietly: no report kept).
Status runPipelineText(Model& model, const std::string& pipeline, int threads);

}  // namespace dnnc::cli
