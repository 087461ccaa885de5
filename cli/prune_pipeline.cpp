#include "cli/prune_pipeline.h"

#include "cli/pipeline_command.h"
#include "passes/registry.h"

namespace dnnc::cli {

Status pruneLayers(Model& model, const LayerSparsity& targets, const std::string& granularity, int threads) {
  if (targets.empty()) return {};
  std::string layers;
  for (const auto& [layer, level] : targets) layers += (layers.empty() ? "" : ",") + layer + "=" + formatDouble(level);
  const bool structured = granularity == "filter" || granularity == "channel";
  Pipeline pipeline;
  DNNC_ASSIGN(PipelineElement e, passElement(structured ? "prune-structured" : "prune-magnitude",
                                             {{"layer-sparsity", layers}, {"granularity", granularity}}));
  pipeline.elements.push_back(std::move(e));
  PassContext ctx;
  ctx.threads = threads;
  DNNC_TRY(runPipeline(model, pipeline, builtinPasses(), ctx));
  return {};
}

}  // namespace dnnc::cli
