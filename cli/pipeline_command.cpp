#include "cli/pipeline_command.h"

#include <filesystem>
#include <iostream>

#include "cli/progress.h"
#include "lib/analysis/weight_layers.h"
#include "lib/ir/onnx_io.h"
#include "lib/pass/params.h"
#include "lib/support/atomic_file.h"
#include "lib/support/sha256.h"
#include "passes/registry.h"

namespace dnnc::cli {

namespace {

nlohmann::json totals(const LayerTable& t) {
  return {{"params", t.params}, {"nonzero_params", t.nonzero_params}, {"macs", t.macs},
          {"weight_bytes", t.weight_bytes}, {"nodes", t.nodes}};
}

}  // namespace

void addPipelineCommandOptions(CLI::App* sub, PipelineCommandOptions& o, bool with_calibration,
                               const std::string& output_suffix) {
  sub->add_option("MODEL", o.model, "ONNX model ('-' for stdin)")->required();
  if (output_suffix.empty()) sub->add_option("-o,--output", o.output, "Output ONNX model ('-' for stdout)")->required();
  else addOutputOption(sub, o.output, o.model, o.common, "Output ONNX model", output_suffix);
  sub->add_flag("--force", o.force, "Allow the output to overwrite the input");
  sub->add_flag("--verify-each", o.verify_each, "Run onnx::checker after every pass");
  sub->add_flag("--external-data", o.external_data, "Store weights in OUT.data beside the model (for models over 2 GiB)");
  addInputShapeOption(sub, o.shapes);
  if (with_calibration) addCalibrationOptions(sub, o.calibration);
  addCommonOptions(sub, o.common);
}

Expected<PipelineElement> passElement(const std::string& pass, const std::map<std::string, std::string>& params) {
  const PassInfo* info = builtinPasses().find(pass);
  DNNC_CHECK(info != nullptr, "pass ", pass, " is not in the registry");
  std::vector<std::pair<std::string, std::string>> given(params.begin(), params.end());
  DNNC_ASSIGN(PassParams parsed, PassParams::parse(pass, info->params, given));
  return PipelineElement{pass, std::move(parsed)};
}

namespace {

// Whether a weight layer reads weights an export computes (the reason weight_layers gives for them).
bool hasComputedWeights(Model& model) {
  Graph graph(model.graph(), model.base_dir);
  for (const auto& s : enumerateWeightLayers(graph).skipped)
    if (s.reason.find("the fold-constants pass makes it a weight") != std::string::npos) return true;
  return false;
}

}  // namespace

Expected<PipelineRun> runPipelineCommand(const std::string& command, const PipelineCommandOptions& o,
                                         const Pipeline& pipeline, const PipelineRunHooks& hooks) {
  DNNC_TRY(checkOutputPath(o.model, o.output, o.force));
  if (o.output == "-" && o.common.json == "-")
    return Error(Exit::Usage, "-o - and --json both want stdout").withHint("use --json FILE");
  if (o.calibration.data.path.empty() && !o.calibration.labels.empty()) return Error(Exit::Usage, "--labels needs --data");
  DNNC_ASSIGN(InputShapes input_shapes, o.shapes.resolve());
  PipelineRun run;
  {
    DNNC_ASSIGN(LoadedModel loaded, loadModelWithDigest(o.model));
    run.result = std::move(loaded.model);
    run.input_sha256 = std::move(loaded.sha256);
  }
  run.pipeline = pipeline;
  if (hooks.fold_computed_weights && hasComputedWeights(run.result)) {
    DNNC_ASSIGN(PipelineElement fold, passElement("fold-constants", {}));
    run.pipeline.elements.insert(run.pipeline.elements.begin(), std::move(fold));
  }

  PassContext ctx;
  ctx.threads = o.common.threads;
  ctx.rng.seed(o.common.seed);
  ctx.seed = o.common.seed;
  ctx.input_shapes = input_shapes;
  if (!o.calibration.data.path.empty()) ctx.calibration = o.calibration;
  ProgressLine progress(o.common, command);
  ctx.progress = [&](int64_t done, int64_t total, const std::string& what) { progress.step(done, total, what); };
  DNNC_ASSIGN(const LayerTable* before, ctx.analyses.get(run.result, LayerTableAnalysis{input_shapes}));
  run.before = *before;
  std::optional<Model> input;
  if (hooks.keep_input) input = run.result;

  RunOptions options;
  options.verify_each = o.verify_each;
  DNNC_ASSIGN(run.passes, runPipeline(run.result, run.pipeline, builtinPasses(), ctx, options));
  DNNC_ASSIGN(const LayerTable* after, ctx.analyses.get(run.result, LayerTableAnalysis{input_shapes}));
  run.after = *after;
  if (hooks.before_save) DNNC_TRY(hooks.before_save(input ? &*input : nullptr, run.result));
  SaveOptions save;
  save.external_data = o.external_data;
  DNNC_TRY(saveModel(run.result, o.output, save));
  return run;
}

Report pipelineReport(const std::string& command, const PipelineCommandOptions& o, const PipelineRun& run) {
  Report report(command);
  report.addInput(o.model, run.input_sha256);
  report.root()["output"] = o.output;
  report.root()["pipeline"] = run.pipeline.print();
  report.root()["seed"] = o.common.seed;  // with the pipeline, what reproduces the run
  report.root()["passes"] = run.passes;
  report.root()["before"] = totals(run.before);
  report.root()["after"] = totals(run.after);
  return report;
}

std::ostream& summaryStream(const PipelineCommandOptions& o) { return o.output == "-" ? std::cerr : std::cout; }

}  // namespace dnnc::cli
