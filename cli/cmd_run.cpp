// dnnc run MODEL -o OUT --passes 'fold-bn,dce': runs any pipeline and reports what each pass changed.
#include <filesystem>
#include <iostream>

#include "cli/command.h"
#include "cli/progress.h"
#include "lib/analysis/layer_table.h"
#include "lib/ir/onnx_io.h"
#include "lib/pass/pipeline.h"
#include "lib/report/table.h"
#include "lib/support/atomic_file.h"
#include "lib/support/sha256.h"
#include "passes/registry.h"

namespace dnnc::cli {

namespace {

struct RunCmdOptions {
  std::string model, output, passes;
  bool force = false, verify_each = false, external_data = false;
  Calibration calibration;
  CommonOptions common;
};

nlohmann::json totals(const LayerTable& t) {
  return {{"params", t.params}, {"nonzero_params", t.nonzero_params}, {"macs", t.macs}, {"weight_bytes", t.weight_bytes},
          {"nodes", t.nodes}};
}

void printText(std::ostream& os, const nlohmann::json& passes, const LayerTable& before, const LayerTable& after,
               const std::string& pipeline) {
  os << "pipeline: " << pipeline << "\n";
  for (const auto& p : passes) {
    std::string summary;
    for (const auto& [k, v] : p["summary"].items()) summary += (summary.empty() ? "" : ", ") + k + " " + v.dump();
    os << "  " << p["name"].get<std::string>() << ": " << (summary.empty() ? "done" : summary) << " ("
              << formatFixed(p["time_ms"].get<double>(), 1) << " ms)\n";
    for (const auto& s : p["skipped"]) os << "    skipped " << s["node"].get<std::string>() << ": " << s["reason"].get<std::string>() << "\n";
  }
  TextTable t({"", "before", "after"});
  t.alignRight({1, 2});
  t.addRow({"nodes", withThousands(before.nodes), withThousands(after.nodes)});
  t.addRow({"params", withThousands(before.params), withThousands(after.params)});
  t.addRow({"nonzero params", withThousands(before.nonzero_params), withThousands(after.nonzero_params)});
  t.addRow({"MACs", withThousands(before.macs), withThousands(after.macs)});
  t.addRow({"weight bytes", humanBytes(before.weight_bytes), humanBytes(after.weight_bytes)});
  os << t.render();
}

int runRun(const RunCmdOptions& o) {
  const std::string cmd = "run";
  if (int rc = reportStatus(cmd, checkOutputPath(o.model, o.output, o.force))) return rc;
  if (o.output == "-" && o.common.json == "-")
    return reportError(cmd, Error(Exit::Usage, "-o - and --json both want stdout").withHint("use --json FILE"));
  const auto& registry = builtinPasses();
  auto pipeline = parsePipeline(o.passes, registry);
  if (!pipeline) return reportError(cmd, pipeline.error());
  auto bytes = readFile(o.model);
  if (!bytes) return reportError(cmd, bytes.error());
  std::string base = std::filesystem::path(o.model).parent_path().string();
  auto model = parseModel(*bytes, o.model, base.empty() ? "." : base);
  if (!model) return reportError(cmd, model.error());
  auto before = buildLayerTable(*model);
  if (!before) return reportError(cmd, before.error());

  PassContext ctx;
  ctx.threads = o.common.threads;
  ctx.rng.seed(o.common.seed);
  if (!o.calibration.data.path.empty()) ctx.calibration = o.calibration;
  else if (!o.calibration.labels.empty())
    return reportError(cmd, Error(Exit::Usage, "--labels needs --data"));
  ProgressLine progress(o.common, "run");
  ctx.progress = [&](int64_t done, int64_t total, const std::string& what) { progress.step(done, total, what); };
  RunOptions run_options;
  run_options.verify_each = o.verify_each;
  auto passes = runPipeline(*model, *pipeline, registry, ctx, run_options);
  if (!passes) return reportError(cmd, passes.error());
  auto after = buildLayerTable(*model);
  if (!after) return reportError(cmd, after.error());
  SaveOptions save;
  save.external_data = o.external_data;
  if (int rc = reportStatus(cmd, saveModel(*model, o.output, save))) return rc;

  Report report(cmd);
  report.addInput(o.model, sha256Hex(*bytes));
  report.root()["output"] = o.output;
  report.root()["pipeline"] = pipeline->print();
  report.root()["passes"] = *passes;
  report.root()["before"] = totals(*before);
  report.root()["after"] = totals(*after);
  if (!o.common.json.empty()) return emitJson(cmd, report, o.common);
  // The summary is this command's data when the model goes to a file; with -o - it is a diagnostic.
  if (!o.common.quiet) printText(o.output == "-" ? std::cerr : std::cout, *passes, *before, *after, pipeline->print());
  return 0;
}

}  // namespace

void setupRun(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<RunCmdOptions>();
  auto* sub = app.add_subcommand("run", "Run a pass pipeline on a model");
  sub->add_option("MODEL", o->model, "ONNX model ('-' for stdin)")->required();
  sub->add_option("-o,--output", o->output, "Output ONNX model ('-' for stdout)")->required();
  sub->add_option("-p,--passes", o->passes, "Pipeline, e.g. 'fold-bn,dce' ('dnnc passes' lists them)")->required();
  sub->add_flag("--force", o->force, "Allow the output to overwrite the input");
  sub->add_flag("--verify-each", o->verify_each, "Run onnx::checker after every pass");
  sub->add_flag("--external-data", o->external_data, "Store weights in OUT.data beside the model (for models over 2 GiB)");
  addCalibrationOptions(sub, o->calibration);
  addCommonOptions(sub, o->common);
  commands.push_back({sub, [o] { return runRun(*o); }});
}

}  // namespace dnnc::cli
