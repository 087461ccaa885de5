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

#include "lib/exec/calibration.h"
#include "lib/ir/model.h"
#include "lib/pass/analysis.h"
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
  int threads = 0;  // 0: all cores
  ProgressFn progress = [](int64_t, int64_t, const std::string&) {};
  PassLog* log = nullptr;  // set by the pipeline for the running pass
  // Samples (and labels) for passes that need activations; unset when the user gave no --data. A pass
  // that requires it fails with Exit::Usage naming the option.
  std::optional<Calibration> calibration;
  // The model as the pipeline received it: recovery passes (finetune, the fine-tune steps of pruning
  // passes) distil from it by default, as the model before compression. Set by runPipeline.
  std::shared_ptr<const Model> pipeline_input;
};

class Pass {
 public:
  virtual ~Pass() = default;
  virtual Expected<PreservedAnalyses> run(Model& model, PassContext& ctx) = 0;
};

}  // namespace dnnc
