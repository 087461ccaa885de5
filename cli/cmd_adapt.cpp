// dnnc adapt MODEL -o OUT --data X [--labels Y] --budget energy=0.5: NetAdapt, sugar over the `netadapt`
// pass. Writes the adapted model and, with --trajectory FILE.json, the resource/accuracy trajectory as
// JSON and as CSV beside it (FILE.csv).
#include <filesystem>
#include <iostream>
#include <sstream>

#include "cli/pipeline_command.h"
#include "lib/report/table.h"
#include "lib/support/atomic_file.h"
#include "passes/pass_results.h"

namespace dnnc::cli {
namespace {

struct AdaptOptions : PipelineCommandOptions {
  std::string budget = "energy=0.5", measure = "model", accel = "eyeriss", trajectory;
  int iterations = 20;
  double step = 0.1;
  int64_t short_samples = 1000, long_epochs = 1, val_samples = 500;
  bool compare_uniform = false;
};

// "energy=0.5" -> ("energy", "0.5").
Expected<std::pair<std::string, std::string>> parseBudget(const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos)
    return Error(Exit::Usage, "--budget: expected RESOURCE=FRACTION such as energy=0.5, got '", text, "'");
  std::string resource = text.substr(0, eq), value = text.substr(eq + 1);
  if (resource != "energy" && resource != "latency" && resource != "macs")
    return Error(Exit::Usage, "--budget: unknown resource '", resource, "'").withHint("use energy, latency or macs");
  return std::make_pair(resource, value);
}

std::string trajectoryCsv(const std::vector<NetAdaptStep>& trajectory) {
  std::ostringstream os;
  os << "iteration,resource,accuracy,layer\n";
  for (const auto& t : trajectory) os << t.iteration << "," << t.resource << "," << t.accuracy << "," << t.layer.value_or("") << "\n";
  return os.str();
}

Status runAdapt(const AdaptOptions& o) {
  const std::string cmd = "adapt";
  DNNC_ASSIGN(auto budget, parseBudget(o.budget));
  if (o.calibration.data.path.empty()) return Error(Exit::Usage, "--data is required");
  DNNC_ASSIGN(PipelineElement element,
              passElement("netadapt", {{"resource", budget.first},
                                       {"budget", budget.second},
                                       {"measure", o.measure},
                                       {"accel", o.accel},
                                       {"iterations", std::to_string(o.iterations)},
                                       {"step", formatDouble(o.step)},
                                       {"short-samples", std::to_string(o.short_samples)},
                                       {"long-epochs", std::to_string(o.long_epochs)},
                                       {"val-samples", std::to_string(o.val_samples)},
                                       {"compare-uniform", o.compare_uniform ? "true" : "false"}}));
  Pipeline pipeline;
  pipeline.elements.push_back(std::move(element));
  DNNC_ASSIGN(PipelineRun run, runPipelineCommand(cmd, o, pipeline));
  const auto summary = run.passes[0]["summary"].get<NetAdaptSummary>();
  if (!o.trajectory.empty()) {
    DNNC_TRY(writeFileAtomic(o.trajectory, nlohmann::json(summary.trajectory).dump(2) + "\n"));
    std::string csv = std::filesystem::path(o.trajectory).replace_extension(".csv").string();
    DNNC_TRY(writeFileAtomic(csv, trajectoryCsv(summary.trajectory)));
  }
  Report report = pipelineReport(cmd, o, run);
  report.root().erase("passes");
  report.root()["netadapt"] = summary;
  if (!o.common.json.empty()) return emitJsonStatus(report, o.common);
  if (!o.common.quiet) {
    std::cout << "netadapt: " << summary.resource << " " << formatFixed(100 * summary.resource_ratio, 1) << " % of the original after "
              << summary.iterations << " iterations; accuracy " << formatFixed(summary.accuracy_before, 2) << " -> "
              << formatFixed(summary.accuracy_after, 2) << " (" << summary.accuracy_metric << ")\n";
    for (const auto& t : summary.trajectory)
      std::cout << "  " << t.iteration << "  " << formatFixed(100 * t.resource, 1) << " %  " << formatFixed(t.accuracy, 2) << "  "
                << t.layer.value_or("") << "\n";
    if (summary.uniform) {
      const NetAdaptUniform& u = *summary.uniform;
      std::cout << "uniform filter pruning at the same budget: ";
      if (!u.reached)
        std::cout << "not reached (" << formatFixed(100 * u.resource_ratio, 1) << " % at " << formatFixed(100 * u.sparsity, 1)
                  << " % of the filters)\n";
      else
        std::cout << formatFixed(100 * u.sparsity, 1) << " % of every group's filters, " << formatFixed(100 * u.resource_ratio, 1)
                  << " % of the resource; accuracy " << formatFixed(u.accuracy_one_shot.value_or(0), 2) << " one-shot, "
                  << formatFixed(u.accuracy.value_or(0), 2) << " after the same fine-tune\n";
    }
  }
  return {};
}

}  // namespace

void setupAdapt(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<AdaptOptions>();
  auto* sub = app.add_subcommand("adapt", "NetAdapt: shrink filters until an energy, latency or MAC budget is met");
  sub->add_option("--budget", o->budget, "RESOURCE=FRACTION: energy, latency or macs, e.g. latency=0.5")->capture_default_str();
  sub->add_option("--measure", o->measure, "model: the accelerator model; cpu: dnnc's executor, timed")
      ->check(CLI::IsMember({"model", "cpu"}))->capture_default_str();
  sub->add_option("--accel", o->accel, "Accelerator preset or spec file for --measure model")->capture_default_str();
  sub->add_option("--iterations", o->iterations, "At most this many iterations")->capture_default_str();
  sub->add_option("--step", o->step, "First iteration's resource cut (fraction of the original)")->capture_default_str();
  sub->add_option("--short-samples", o->short_samples, "Distillation samples per proposal")->capture_default_str();
  sub->add_option("--long-epochs", o->long_epochs, "Epochs of the final fine-tune")->capture_default_str();
  sub->add_option("--val-samples", o->val_samples, "Calibration samples held out to score proposals")->capture_default_str();
  sub->add_option("--trajectory", o->trajectory, "Write the trajectory as JSON to FILE and as CSV beside it");
  sub->add_flag("--compare-uniform", o->compare_uniform,
                "Also prune every filter group by one fraction to the same budget, fine-tune it the same way, and report it");
  addPipelineCommandOptions(sub, *o, true, ".adapted.onnx");
  commands.push_back({sub, [o] { return reportStatus("adapt", runAdapt(*o)); }});
}

}  // namespace dnnc::cli
