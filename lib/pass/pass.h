// Pass: one model-to-model transformation. A pass never prints; it records what it changed in its
// PassLog, which the pipeline puts into the Report.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "lib/analysis/analysis_manager.h"
#include "lib/analysis/shape_resolution.h"
#include "lib/exec/calibration.h"
#include "lib/ir/model.h"
#include "lib/pass/params.h"
#include "lib/support/error.h"

namespace dnnc {

// What one pass did: a summary object and a list of rewrites that name the nodes involved.
struct PassLog {
  nlohmann::json summary = nlohmann::json::object();
  nlohmann::json rewrites = nlohmann::json::array();
  nlohmann::json skipped = nlohmann::json::array();  // {node, reason}: what the pass left alone and why

  void rewrite(const std::string& what, std::vector<std::string> nodes, nlohmann::json details = {});
  void skip(const std::string& node, const std::string& reason);
};

// Progress callback: (done, total, label). The CLI draws it on a TTY; tests ignore it.
using ProgressFn = std::function<void(int64_t, int64_t, const std::string&)>;

struct PassContext {
  AnalysisManager analyses;
  std::mt19937_64 rng{0};
  uint64_t seed = 0;  // --seed, which rng starts from: a pass that seeds per layer derives from it
  int threads = 0;  // 0: all cores
  ProgressFn progress = [](int64_t, int64_t, const std::string&) {};
  PassLog* log = nullptr;  // set by the pipeline for the running pass
  // Samples (and labels) for passes that need activations; unset when the user gave no --data. A pass
  // that requires it fails with Exit::Usage naming the option.
  std::optional<Calibration> calibration;
  // The model as the pipeline received it: recovery passes (finetune) distil from it by default, as the
  // model before compression. Set by runPipeline when a pass says it uses it (Pass::usesPipelineInput).
  std::shared_ptr<const Model> pipeline_input;
  // --input-shape and --batch: what symbolic input dims stand for when a pass needs shapes.
  InputShapes input_shapes;

  // The model's resolved shapes for input_shapes (cached until a pass changes the graph's structure).
  Expected<const ResolvedShapes*> shapes(const Model& model) { return analyses.get(model, ShapeAnalysis{input_shapes}); }
};

// What a pass that changed weight values, and nothing else, preserves: everything computed from the graph's
// structure and shapes alone.
inline PreservedAnalyses weightValuesChanged() { return PreservedAnalyses::none().preserve<ShapeAnalysis>(); }

class Pass {
 public:
  virtual ~Pass() = default;
  virtual Expected<PreservedAnalyses> run(Model& model, PassContext& ctx) = 0;
  // Whether the pass reads ctx.pipeline_input (the model before the pipeline, e.g. as a distillation
  // teacher): the pipeline keeps that copy only when some pass asks for it.
  virtual bool usesPipelineInput() const { return false; }
};

}  // namespace dnnc
