// dnnc sensitivity MODEL --data X --labels Y: prune each Conv/Gemm/MatMul layer alone at each level
// (0.1 ... 0.9 by default) for each granularity asked for, and report top-1 accuracy as a table, JSON
// (--json) and CSV (--csv FILE). --budget POINTS derives a per-layer sparsity schedule within that
// accuracy drop (-o schedule.yaml|json), which `dnnc prune --schedule` consumes. Logic: lib/prune/sensitivity.
#include <cmath>
#include <filesystem>
#include <optional>
#include <iostream>

#include "cli/command.h"
#include "cli/html_output.h"
#include "cli/progress.h"
#include "cli/prune_pipeline.h"
#include "lib/ir/onnx_io.h"
#include "lib/pass/params.h"
#include "lib/support/glob.h"
#include "lib/prune/granularity.h"
#include "lib/prune/sensitivity.h"
#include "lib/report/table.h"
#include "lib/support/atomic_file.h"
#include "lib/support/sha256.h"

namespace dnnc::cli {

namespace {

struct SensitivityOptions {
  std::string model, labels, csv, output, html;
  std::vector<double> levels = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
  std::vector<std::string> granularities, skip;
  double budget = NAN;
  int64_t limit = 0;
  bool force = false;
  DataOptions data;
  CommonOptions common;
};

double drop(const Accuracy& base, const Accuracy& a) { return 100.0 * (base.top1() - a.top1()); }

std::string csvText(const SensitivityResult& r) {
  std::string out = "layer,granularity,level,top1,correct,samples,drop_points\n";
  auto field = [](const std::string& s) {
    return s.find_first_of(",\"") == std::string::npos ? s : "\"" + s + "\"";  // names have no quotes in practice
  };
  for (const auto& p : r.points)
    out += strCat(field(p.layer), ",", p.granularity, ",", formatDouble(p.level), ",", formatDouble(p.accuracy.top1()), ",",
                  p.accuracy.correct, ",", p.accuracy.samples, ",", formatDouble(drop(r.baseline, p.accuracy)), "\n");
  return out;
}

nlohmann::json resultJson(const SensitivityResult& r) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& layer : r.layers) {
    nlohmann::json g = nlohmann::json::object();
    for (const auto& gran : r.granularities) {
      nlohmann::json pts = nlohmann::json::array();
      for (double level : r.levels)
        if (const auto* p = r.find(layer, gran, level))
          pts.push_back({{"level", level}, {"top1", p->accuracy.top1()}, {"correct", p->accuracy.correct},
                         {"drop_points", drop(r.baseline, p->accuracy)}});
      g[gran] = pts;
    }
    layers.push_back({{"layer", layer}, {"granularities", g}});
  }
  return {{"baseline", {{"top1", r.baseline.top1()}, {"correct", r.baseline.correct}, {"samples", r.baseline.samples}}},
          {"levels", r.levels}, {"granularities", r.granularities}, {"layers", layers}};
}

std::string tableText(const SensitivityResult& r) {
  std::string out = strCat("baseline top-1: ", formatFixed(100.0 * r.baseline.top1(), 2), " % (", r.baseline.correct, "/",
                           r.baseline.samples, ")\n");
  for (const auto& g : r.granularities) {
    std::vector<std::string> header = {"layer (" + g + ")"};
    std::vector<size_t> right;
    for (double level : r.levels) {
      right.push_back(header.size());
      header.push_back(formatDouble(level));
    }
    TextTable t(header);
    t.alignRight(right);
    for (const auto& layer : r.layers) {
      std::vector<std::string> row = {layer};
      for (double level : r.levels) {
        const auto* p = r.find(layer, g, level);
        row.push_back(p ? formatFixed(100.0 * p->accuracy.top1(), 2) : "-");
      }
      t.addRow(row);
    }
    out += "top-1 accuracy (%) with one layer pruned to each sparsity, granularity " + g + "\n" + t.render();
  }
  return out;
}

int runSensitivity(const SensitivityOptions& o) {
  const std::string cmd = "sensitivity";
  std::vector<std::string> grans = o.granularities.empty() ? std::vector<std::string>{"element"} : std::vector<std::string>{};
  for (const auto& g : o.granularities)
    for (const auto& part : splitList(g)) {
      auto parsed = parseGranularity(part);
      if (!parsed) return reportError(cmd, parsed.error());
      grans.push_back(parsed->text());
    }
  if (int rc = reportStatus(cmd, checkLevels(o.levels))) return rc;
  const bool with_budget = !std::isnan(o.budget);
  if (with_budget && !(o.budget >= 0)) return reportError(cmd, Error(Exit::Usage, "--budget must be a non-negative number of accuracy points"));
  if (with_budget && grans.size() != 1)
    return reportError(cmd, Error(Exit::Usage, "--budget derives a schedule for one granularity, got ", grans.size()));
  if (!o.output.empty() && !with_budget)
    return reportError(cmd, Error(Exit::Usage, "-o writes the schedule that --budget derives").withHint("add --budget POINTS"));
  if (!o.output.empty())
    if (int rc = reportStatus(cmd, checkOutputPath(o.model, o.output, o.force))) return rc;

  auto bytes = readFile(o.model);
  if (!bytes) return reportError(cmd, bytes.error());
  std::string base = std::filesystem::path(o.model).parent_path().string();
  auto model = parseModel(*bytes, o.model, base.empty() ? "." : base);
  if (!model) return reportError(cmd, model.error());

  // The layers: every prunable weight layer, less --skip.
  std::vector<std::string> skip;
  for (const auto& s : o.skip)
    for (const auto& part : splitList(s)) skip.push_back(part);
  Model scratch = *model;
  Graph graph(scratch.graph(), scratch.base_dir);
  WeightLayers found = enumerateWeightLayers(graph);
  if (int rc = reportStatus(cmd, checkLayerNames(found.layers, skip, "--skip"))) return rc;
  std::vector<std::string> layers;
  for (const auto& l : found.layers)
    if (!layerMatchesAny(l, skip)) layers.push_back(l.name);
  if (layers.empty()) return reportError(cmd, Error(Exit::Input, "the model has no Conv/Gemm/MatMul weight layer to analyse"));
  for (const auto& g : grans) {
    auto parsed = parseGranularity(g);
    for (const auto& l : found.layers)
      if (!layerMatchesAny(l, skip))
        if (int rc = reportStatus(cmd, checkGranularityFits(*parsed, l))) return rc;
  }

  Calibration calibration;
  calibration.data = o.data;
  calibration.labels = o.labels;
  calibration.limit = o.limit;
  calibration.batch = 100;
  auto set = EvalSet::load(*model, calibration);
  if (!set) return reportError(cmd, set.error());
  const int threads = o.common.threads;
  PruneLayersFn prune = [&](Model& m, const LayerSparsity& targets, const std::string& g) -> Status {
    return pruneLayers(m, targets, g, threads);
  };
  EvaluateFn evaluate = [&](const Model& m) { return set->evaluate(m, threads); };
  ProgressLine progress(o.common, "sensitivity");
  auto result = analyseSensitivity(*model, layers, o.levels, grans, prune, evaluate,
                                   [&](int64_t d, int64_t t) { progress.update(d, t); });
  if (!result) return reportError(cmd, result.error());
  if (!o.csv.empty())
    if (int rc = reportStatus(cmd, writeFileAtomic(o.csv, csvText(*result)))) return rc;

  Report report(cmd);
  report.addInput(o.model, sha256Hex(*bytes));
  report.root()["data"] = o.data.path;
  report.root()["samples"] = set->samples();
  report.root()["sensitivity"] = resultJson(*result);
  std::optional<Error> budget_error;
  if (with_budget) {
    auto schedule = deriveSchedule(*model, *result, grans[0], o.budget, prune, evaluate);
    if (!schedule) {
      budget_error = schedule.error();
    } else {
      nlohmann::json l = nlohmann::json::object();
      for (const auto& [name, level] : schedule->layers) l[name] = level;
      report.root()["schedule"] = {{"granularity", schedule->granularity}, {"budget_points", o.budget},
                                   {"top1", schedule->accuracy.top1()}, {"drop_points", drop(result->baseline, schedule->accuracy)},
                                   {"tolerance_points", schedule->tolerance_points}, {"layers", l}};
      if (!o.output.empty()) {
        bool json = std::filesystem::path(o.output).extension() == ".json";
        if (int rc = reportStatus(cmd, writeFileAtomic(o.output, scheduleText(*schedule, json)))) return rc;
      }
    }
  }
  if (int html_rc = reportStatus(cmd, emitHtml(report, o.html))) return html_rc;
  int rc = 0;
  if (!o.common.json.empty()) rc = emitJson(cmd, report, o.common);
  else if (!o.common.quiet) {
    std::cout << tableText(*result);
    if (report.root().contains("schedule")) {
      const auto& s = report.root()["schedule"];
      TextTable t({"layer", "sparsity"});
      t.alignRight({1});
      for (const auto& [name, level] : s["layers"].items()) t.addRow({name, formatFixed(level.get<double>(), 2)});
      std::cout << "schedule within " << formatDouble(o.budget) << " points: top-1 " << formatFixed(100.0 * s["top1"].get<double>(), 2)
                << " % (drop " << formatFixed(s["drop_points"].get<double>(), 2) << " points)\n" << t.render();
    }
  }
  if (budget_error) return reportError(cmd, *budget_error);
  return rc;
}

}  // namespace

void setupSensitivity(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<SensitivityOptions>();
  auto* sub = app.add_subcommand("sensitivity", "Accuracy with each layer pruned alone at each sparsity; a schedule for an accuracy budget");
  sub->add_option("MODEL", o->model, "ONNX model")->required();
  sub->add_option("--data", o->data.path, "Input samples: .npy, .npz (FILE.npz:NAME) or TensorProto .pb")->required();
  sub->add_option("--labels", o->labels, "Class labels: integer .npy/.npz/.pb")->required();
  sub->add_option("--levels", o->levels, "Sparsities to try, increasing (default 0.1,0.2,...,0.9)")->delimiter(',');
  sub->add_option("--granularity", o->granularities, "element (default), simd:N, filter, channel; several comma-separated");
  sub->add_option("--skip", o->skip, "Layers to leave out: names or globs");
  sub->add_option("--budget", o->budget, "Accuracy drop allowed, in percentage points: derive a per-layer schedule");
  sub->add_option("-o,--output", o->output, "Write the --budget schedule here (.yaml, or .json)");
  sub->add_option("--csv", o->csv, "Write the table as CSV to FILE");
  sub->add_option("--limit", o->limit, "Use only the first N samples");
  sub->add_flag("--force", o->force, "Allow -o to overwrite the model (never wanted)");
  addPreprocessOptions(sub, o->data);
  addHtmlOption(sub, o->html);
  addCommonOptions(sub, o->common);
  commands.push_back({sub, [o] { return runSensitivity(*o); }});
}

}  // namespace dnnc::cli
