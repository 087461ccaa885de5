#include "cli/prune_pipeline.h"

#include "lib/pass/params.h"
#include "lib/pass/pipeline.h"
#include "passes/registry.h"

namespace dnnc::cli {

std::string pipelineValue(const std::string& v) {
  if (v.find_first_of(",()'\" ") == std::string::npos && !v.empty()) return v;
  return v.find('\'') == std::string::npos ? "'" + v + "'" : "\"" + v + "\"";
}

std::string layerPrunePipeline(const LayerSparsity& targets, const std::string& granularity,
                               const std::vector<std::string>& all_layers) {
  if (targets.empty()) return "";
  if (granularity == "filter" || granularity == "channel") {
    std::string out;
    for (const auto& [layer, level] : targets) {
      std::string skip;
      for (const auto& other : all_layers)
        if (other != layer) skip += (skip.empty() ? "" : ",") + other;
      out += (out.empty() ? "" : ",") + strCat("prune-structured(sparsity=", formatDouble(level), ",granularity=", granularity);
      out += skip.empty() ? ")" : ",skip=" + pipelineValue(skip) + ")";
    }
    return out;
  }
  std::string map;
  for (const auto& [layer, level] : targets) map += (map.empty() ? "" : ",") + layer + "=" + formatDouble(level);
  return strCat("prune-magnitude(layer-sparsity=", pipelineValue(map), ",granularity=", granularity, ")");
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
