// dnnc compare BEFORE.onnx AFTER.onnx --data X [--labels Y]: what a compression bought, in one table:
// top-1 accuracy on the data, size on disk (.onnx, and .dnnc when packed files are given), parameters and
// nonzero parameters, MACs, modelled energy and latency on an accelerator (activation zeros measured on
// the same data), and the measured CPU latency of dnnc's executor at batch 1.
#include <filesystem>
#include <iostream>
#include <set>

#include "cli/command.h"
#include "cli/html_output.h"
#include "lib/analysis/layer_table.h"
#include "lib/energy/energy.h"
#include "lib/energy/model_energy.h"
#include "lib/energy/technique_energy.h"
#include "lib/exec/batch_latency.h"
#include "lib/exec/classifier_score.h"
#include "lib/exec/executor.h"
#include "lib/ir/onnx_io.h"
#include "lib/report/table.h"

namespace dnnc::cli {
namespace {

struct CompareOptions {
  std::string before, after, packed_before, packed_after, accel = "eyeriss", html;
  bool techniques = false;
  Calibration calibration;
  InputShapeOptions shapes;
  CommonOptions common;
};

struct Column {
  std::string path;
  int64_t onnx_bytes = 0, dnnc_bytes = -1;
  LayerTable table;
  ClassifierScore score;
  double energy_pj = 0, latency_cycles = 0, latency_ms_model = 0, cpu_ms = 0;
};

// The input shape MACs are counted at: --input-shape when given, else one sample of the data (what the
// accuracy, energy and latency columns see), so a model with symbolic H and W is counted at the data's.
Expected<InputShapes> shapesForMacs(const Model& model, const CompareOptions& o, const CalibrationSet& set) {
  DNNC_ASSIGN(InputShapes shapes, o.shapes.resolve());
  if (!shapes.given.empty() || set.batches.empty()) return shapes;
  std::set<std::string> initializers;
  for (const auto& t : model.graph().initializer()) initializers.insert(t.name());
  for (const auto& in : model.graph().input())
    if (!initializers.count(in.name())) {
      std::vector<int64_t> dims = set.batches.front().dims();
      if (!dims.empty()) dims[0] = 1;
      shapes.given.emplace_back(in.name(), dims);
      break;
    }
  return shapes;
}

Expected<Column> measure(const std::string& path, const std::string& packed, const CompareOptions& o,
                         const energy::AcceleratorSpec& spec, const std::vector<int64_t>* reference) {
  Column c;
  c.path = path;
  DNNC_ASSIGN(Model model, loadModel(path));
  c.onnx_bytes = static_cast<int64_t>(std::filesystem::file_size(path));
  if (!packed.empty()) {
    std::error_code ec;
    c.dnnc_bytes = static_cast<int64_t>(std::filesystem::file_size(packed, ec));
    if (ec) return Error(Exit::Input, "cannot read '", packed, "': ", ec.message());
  }
  DNNC_ASSIGN(CalibrationSet set, loadCalibrationSet(model, o.calibration));
  DNNC_ASSIGN(InputShapes shapes, shapesForMacs(model, o, set));
  DNNC_ASSIGN(c.table, buildLayerTable(model, shapes));
  ClassifierScorer scorer(set, o.common.threads);
  if (reference) scorer.setReference(*reference);
  const ActivationStatsOptions stats = energy::energyStatsOptions();
  DNNC_ASSIGN(c.score, scorer.score(model, &stats));
  DNNC_ASSIGN(auto e, energy::evaluateModelEnergy(model, spec, c.score.stats));
  c.energy_pj = e.cost.energy_pj.total();
  c.latency_cycles = e.cost.latency_cycles;
  c.latency_ms_model = e.cost.latency_ms();
  DNNC_ASSIGN(c.cpu_ms, singleSampleLatencyMs(model, set.batches.front(), o.common.threads, 25, 0.5));
  return c;
}

std::string ratio(double before, double after) { return after > 0 ? formatFixed(before / after, 2) + "x" : "-"; }

int runCompare(const CompareOptions& o) {
  const std::string cmd = "compare";
  if (o.calibration.data.path.empty()) return reportError(cmd, Error(Exit::Usage, "--data is required"));
  auto spec = energy::loadAcceleratorSpec(o.accel);
  if (!spec) return reportError(cmd, spec.error());
  auto before = measure(o.before, o.packed_before, o, *spec, nullptr);
  if (!before) return reportError(cmd, before.error());
  // Unlabelled data: "accuracy" is top-1 agreement with the first model.
  const std::vector<int64_t>* reference = o.calibration.labels.empty() ? &before->score.predictions : nullptr;
  if (reference) before->score.accuracy = 100.0;
  auto after = measure(o.after, o.packed_after, o, *spec, reference);
  if (!after) return reportError(cmd, after.error());

  Report report(cmd);
  auto column = [&](const Column& c) {
    return nlohmann::json{{"path", c.path},
                          {"top1", c.score.accuracy / 100.0},
                          {"onnx_bytes", c.onnx_bytes},
                          {"dnnc_bytes", c.dnnc_bytes < 0 ? nlohmann::json(nullptr) : nlohmann::json(c.dnnc_bytes)},
                          {"params", c.table.params},
                          {"nonzero_params", c.table.nonzero_params},
                          {"macs", c.table.macs},
                          {"energy_pj", c.energy_pj},
                          {"latency_cycles", c.latency_cycles},
                          {"cpu_latency_ms", c.cpu_ms}};
  };
  report.root()["accelerator"] = o.accel;
  report.root()["accuracy_metric"] = o.calibration.labels.empty() ? "top-1 agreement with the first model" : "top-1";
  report.root()["before"] = column(*before);
  report.root()["after"] = column(*after);
  std::vector<energy::TechniqueEnergy> tech_before, tech_after;
  if (o.techniques) {
    energy::EnergyRequest request;
    request.accel = o.accel;
    request.data = o.calibration.data;
    request.threads = o.common.threads;
    auto shapes = o.shapes.resolve();
    if (!shapes) return reportError(cmd, shapes.error());
    request.input_shapes = *shapes;
    auto b = energy::techniqueEnergies(o.before, request);
    if (!b) return reportError(cmd, b.error());
    auto a = energy::techniqueEnergies(o.after, request);
    if (!a) return reportError(cmd, a.error());
    tech_before = std::move(*b);
    tech_after = std::move(*a);
    const double unit = spec->mac_energy_pj.value;
    report.root()["techniques"] = {{"before", energy::techniqueJson(tech_before, unit)},
                                   {"after", energy::techniqueJson(tech_after, unit)}};
  }
  if (int rc = reportStatus(cmd, emitHtml(report, o.html))) return rc;
  if (!o.common.json.empty()) return emitJson(cmd, report, o.common);

  const Column &b = *before, &a = *after;
  TextTable t({"", "before", "after", "before/after"});
  t.alignRight({1, 2, 3});
  t.addRow({o.calibration.labels.empty() ? "top-1 agreement" : "top-1 accuracy", formatFixed(b.score.accuracy, 2) + " %",
            formatFixed(a.score.accuracy, 2) + " %", formatFixed(a.score.accuracy - b.score.accuracy, 2) + " pt"});
  t.addRow({"size .onnx", humanBytes(b.onnx_bytes), humanBytes(a.onnx_bytes), ratio(b.onnx_bytes, a.onnx_bytes)});
  if (b.dnnc_bytes >= 0 || a.dnnc_bytes >= 0)
    t.addRow({"size .dnnc", b.dnnc_bytes >= 0 ? humanBytes(b.dnnc_bytes) : "-", a.dnnc_bytes >= 0 ? humanBytes(a.dnnc_bytes) : "-",
              b.dnnc_bytes >= 0 && a.dnnc_bytes > 0 ? ratio(b.dnnc_bytes, a.dnnc_bytes) : "-"});
  t.addRow({"params", withThousands(b.table.params), withThousands(a.table.params), ratio(b.table.params, a.table.params)});
  t.addRow({"nonzero params", withThousands(b.table.nonzero_params), withThousands(a.table.nonzero_params),
            ratio(b.table.nonzero_params, a.table.nonzero_params)});
  t.addRow({"MACs", withThousands(b.table.macs), withThousands(a.table.macs), ratio(b.table.macs, a.table.macs)});
  t.addRow({"energy (" + o.accel + ")", formatFixed(b.energy_pj / 1e6, 2) + " uJ", formatFixed(a.energy_pj / 1e6, 2) + " uJ",
            ratio(b.energy_pj, a.energy_pj)});
  t.addRow({"latency (" + o.accel + ")", formatFixed(b.latency_ms_model, 3) + " ms", formatFixed(a.latency_ms_model, 3) + " ms",
            ratio(b.latency_cycles, a.latency_cycles)});
  t.addRow({"CPU latency, batch 1", formatFixed(b.cpu_ms, 3) + " ms", formatFixed(a.cpu_ms, 3) + " ms", ratio(b.cpu_ms, a.cpu_ms)});
  std::cout << "before: " << b.path << "\nafter:  " << a.path << "\n" << t.render();
  if (o.techniques) std::cout << "\n" << energy::formatTechniques(tech_before, tech_after, o.accel, spec->mac_energy_pj.value);
  return 0;
}

}  // namespace

void setupCompare(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<CompareOptions>();
  auto* sub = app.add_subcommand("compare", "Before/after table: accuracy, size, MACs, modelled energy and latency, CPU latency");
  sub->add_option("BEFORE", o->before, "The original ONNX model")->required();
  sub->add_option("AFTER", o->after, "The compressed ONNX model")->required();
  sub->add_option("--packed-before", o->packed_before, ".dnnc file of BEFORE, for its packed size");
  sub->add_option("--packed-after", o->packed_after, ".dnnc file of AFTER, for its packed size");
  sub->add_option("--accel", o->accel, "Accelerator preset or spec file for energy and latency")->capture_default_str();
  sub->add_flag("--techniques", o->techniques,
                "Also the energy of both models with each accelerator technique added: zero gating, UCNN, SnaPEA "
                "(exact, measured on --data), delta coding of feature maps");
  addCalibrationOptions(sub, o->calibration);
  addInputShapeOption(sub, o->shapes);
  addHtmlOption(sub, o->html);
  addCommonOptions(sub, o->common);
  commands.push_back({sub, [o] { return runCompare(*o); }});
}

}  // namespace dnnc::cli
