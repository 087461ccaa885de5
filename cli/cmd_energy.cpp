// dnnc energy MODEL [MODEL2]: per-layer energy, data movement and latency of a model on a row-stationary
// accelerator (lib/energy: Eyeriss and others), with the mapping chosen per layer; with MODEL2, the ratios
// model2 / model1, i.e. what a compression step bought. Activation zeros come from --act-sparsity (flags or
// a `dnnc stats --json` file) or are measured by running the model on --data. The workflow and its report
// live in lib/energy/energy_workflow; this file turns flags into a request and prints the result.
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "cli/html_output.h"
#include "cli/progress.h"
#include "lib/energy/energy_workflow.h"

namespace dnnc::cli {

namespace {

using namespace dnnc::energy;
const std::string kCmd = "energy";

struct EnergyOptions {
  std::string model, model2, html;
  std::string accel = "eyeriss", objective = "energy", mapping, act_sparsity;
  int batch = 0;
  bool no_rlc = false, dump_accel = false, allow_partial = false;
  bool delta = false, frames = false;
  bool snapea = false;
  InputShapeOptions shapes;
  DataOptions data;
  int64_t data_batch = 32;
  CommonOptions common;
};

Status runEnergy(const EnergyOptions& o) {
  if (o.dump_accel) {
    DNNC_ASSIGN(AcceleratorSpec spec, loadAcceleratorSpec(o.accel));
    std::cout << dumpAcceleratorSpec(spec);
    return {};
  }
  EnergyRequest request;
  for (const auto* p : {&o.model, &o.model2})
    if (!p->empty()) request.models.push_back(*p);
  request.accel = o.accel;
  request.objective = o.objective;
  request.batch = o.batch;
  DNNC_ASSIGN(request.input_shapes, o.shapes.resolve());
  request.mapping = o.mapping;
  request.act_sparsity = o.act_sparsity;
  request.compression = !o.no_rlc;
  request.allow_partial = o.allow_partial;
  request.data = o.data;
  request.data_batch = o.data_batch;
  request.threads = o.common.threads;
  request.delta = o.delta;
  request.frames = o.frames;
  request.snapea = o.snapea;
  std::unique_ptr<ProgressLine> progress;
  std::string measuring;
  auto show = [&](const std::string& path, int64_t done, int64_t total) {
    if (!progress || path != measuring) {
      progress.reset();  // ends the previous model's line
      progress = std::make_unique<ProgressLine>(o.common, "energy: measuring " + path);
      measuring = path;
    }
    progress->update(done, total);
  };
  DNNC_ASSIGN(EnergyResult result, runEnergyRequest(request, show));
  progress.reset();
  if (o.common.verbose)
    for (const auto& m : result.models) note(o.common, energyTimings(m));
  if (!o.common.json.empty() || !o.html.empty()) {
    Report report(kCmd);
    for (const auto& [path, sha] : result.inputs) report.addInput(path, sha);
    report.root().update(energyReportJson(result, request));
    DNNC_TRY(emitHtml(report, o.html));
    if (!o.common.json.empty()) return emitJsonStatus(report, o.common);
  }
  std::cout << formatEnergyReport(result);
  return {};
}

}  // namespace

void setupEnergy(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<EnergyOptions>();
  auto* sub = app.add_subcommand(
      "energy", "Energy, data movement and latency per layer on a row-stationary accelerator (Eyeriss and others)");
  sub->add_option("MODEL", o->model, "ONNX model ('-' for stdin)");
  sub->add_option("MODEL2", o->model2, "A second model (e.g. the compressed one) to compare with the first");
  sub->add_option("--accel", o->accel, "Accelerator: eyeriss, eyeriss-sparse, edge-8bit, eyeriss-ucnn, or a spec FILE.yaml (default eyeriss)");
  sub->add_option("--batch", o->batch, "Batch size N (default: the model's static batch, else 1)")
      ->check(CLI::Range(1, 1 << 20));
  sub->add_option("--objective", o->objective, "What the mapping search minimises: energy, latency or edp (default energy)");
  sub->add_option("--mapping", o->mapping, "Fixed row-stationary mappings per layer (YAML; others are searched)");
  sub->add_option("--act-sparsity", o->act_sparsity,
                  "Zero fractions of layer inputs: 'conv2=0.387,conv3=72.5%,*=0.5', or a `dnnc stats --json` file");
  sub->add_flag("--no-rlc", o->no_rlc, "Dense DRAM traffic: no compression of feature maps or weights");
  sub->add_flag("--allow-partial", o->allow_partial,
                "Score the layers that can be modelled when some cannot (they are listed, not in the totals)");
  addInputShapeOption(sub, o->shapes);
  sub->add_flag("--dump-accel", o->dump_accel, "Print the resolved accelerator spec (YAML) and exit");
  sub->add_option("--data", o->data.path, "Measure activation zero runs by running the model on these samples (.npy, .npz, .pb)");
  sub->add_option("--data-batch", o->data_batch, "Samples per run with --data (default 32)");
  sub->add_flag("--delta", o->delta,
                "With --data: also the DRAM traffic and energy of feature maps coded as differences to the left neighbour "
                "(RLC of the deltas) against the values");
  sub->add_flag("--frames", o->frames,
                "With --delta: the samples are consecutive frames; also code each as its difference to the previous one");
  sub->add_flag("--snapea", o->snapea,
                "With --data: SnaPEA early termination in each Conv -> Relu, measured on the data (exact mode, or predictive "
                "with the parameters `dnnc prune --snapea-budget` stored) and scored next to the energy without it");
  addPreprocessOptions(sub, o->data, "With --data: ");
  addHtmlOption(sub, o->html);
  addCommonOptions(sub, o->common);
  commands.push_back({sub, [o] { return reportStatus(kCmd, runEnergy(*o)); }});
}

}  // namespace dnnc::cli
