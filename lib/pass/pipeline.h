// Pipeline text, in the style of LLVM's -passes=:
//   pipeline := elem (',' elem)*
//   elem     := name ('(' key '=' value (',' key '=' value)* ')')?
// Values may be quoted ('...' or "...") to hold commas or parentheses. print() gives a normalised form
// (every parameter, defaults included, in declaration order) that parses back to the same pipeline.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "lib/pass/registry.h"

namespace dnnc {

struct PipelineElement {
  std::string name;
  PassParams params;
};

struct Pipeline {
  std::vector<PipelineElement> elements;
  std::string print() const;
};

Expected<Pipeline> parsePipeline(std::string_view text, const PassRegistry& registry);

struct RunOptions {
  bool verify_each = false;  // run onnx::checker after every pass
};

// Runs each pass in order; returns one report entry per pass (name, params, time_ms, summary, rewrites).
Expected<nlohmann::json> runPipeline(Model& model, const Pipeline& pipeline, const PassRegistry& registry,
                                     PassContext& ctx, const RunOptions& options = {});

}  // namespace dnnc
