#include "cli/prune_pipeline.h"

#include "lib/pass/params.h"
#include "lib/pass/pipeline.h"
#include "passes/registry.h"

namespace dnnc::cli {

std::string pipelineValue(const std::string& v) {
  if (v.find_first_of(",()'\" ") == std::string::npos && !v.empty()) return v;
  return v.find('\'') == std::string::npos ? "'" + v + "'" : "\"" + v + "\"";
}

std::string inlineLayerSparsity(const LayerSparsity& targets) {
  std::string map;
  for (const auto& [layer, level] : targets) map += (map.empty() ? "" : ",") + layer + "=" + formatDouble(level);
  return map;
}

std::string layerPrunePipeline(const LayerSparsity& targets, const std::string& granularity) {
  if (targets.empty()) return "";
  const bool structured = granularity == "filter" || granularity == "channel";
  return strCat(structured ? "prune-structured" : "prune-magnitude", "(layer-sparsity=", pipelineValue(inlineLayerSparsity(targets)),
                ",granularity=", granularity, ")");
}

Status runPipelineText(Model& model, const std::string& text, int threads) {
  if (text.empty()) return {};
  DNNC_ASSIGN(Pipeline p, parsePipeline(text, builtinPasses()));
  PassContext ctx;
  ctx.threads = threads;
  DNNC_TRY(runPipeline(model, p, builtinPasses(), ctx));
  return {};
}

}  // namespace dnnc::cli
