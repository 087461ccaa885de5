// dnnc prune MODEL -o OUT: sugar that builds a pruning pipeline and runs it.
//   --sparsity S | --q Q | --layer-sparsity NAME=S,... | --schedule FILE  (weights, prune-magnitude;
//   --granularity filter|channel goes to prune-structured, ranked by OBD saliency with --obd), --skip,
//   and --activations for Cnvlutin's activation pruning (prune-activations, calibrated on --data).
//   --obd on single weights, or with --iterations/--finetune-epochs, goes to prune-obd. `--json` gives
//   the run report.
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <iostream>

#include "cli/pipeline_command.h"
#include "lib/support/glob.h"
#include "lib/prune/granularity.h"
#include "lib/prune/magnitude.h"
#include "lib/report/table.h"
#include "passes/pass_results.h"
#include "passes/registry.h"

namespace dnnc::cli {

namespace {

struct PruneOptions : PipelineCommandOptions {
  std::string layer_sparsity, schedule, granularity;
  std::vector<std::string> skip;
  // NaN: not given (so a negative value given is still checked and refused).
  double sparsity = NAN, q = NAN, activation_sparsity = NAN, activation_budget = NAN;
  double accuracy_budget = NAN, target_energy = NAN;  // --energy-aware
  double snapea_budget = NAN;                          // SnaPEA predictive mode, calibrated last
  int64_t iterations = 0, finetune_epochs = 0;         // train-prune-retrain rounds
  std::string accel = "eyeriss-sparse";
  bool magnitude = false, obd = false, energy_aware = false, activations = false;
};

bool given(double v) { return !std::isnan(v); }

std::string joinSkip(const std::vector<std::string>& skip) {
  std::string s;
  for (const auto& item : skip)
    for (const auto& part : splitList(item)) s += (s.empty() ? "" : ",") + part;
  return s;
}

// The granularity a schedule file was derived for ("" when it does not say).
Expected<std::string> scheduleGranularity(const std::string& path) {
  try {
    YAML::Node root = YAML::LoadFile(path);
    if (root.IsMap() && root["granularity"]) return root["granularity"].as<std::string>();
    return std::string();
  } catch (const YAML::Exception& e) {
    return Error(Exit::Input, "cannot read the schedule '", path, "': ", e.what());
  }
}

using Params = std::map<std::string, std::string>;

// prune-magnitude (element, simd:N) or prune-structured (filter, channel) for the weight targets given;
// no element when there is none.
Expected<std::optional<PipelineElement>> weightElement(const PruneOptions& o, std::string& granularity) {
  int targets = (given(o.sparsity)) + (given(o.q)) + !o.layer_sparsity.empty() + !o.schedule.empty();
  if (!o.schedule.empty() && (given(o.sparsity) || given(o.q) || !o.layer_sparsity.empty()))
    return Error(Exit::Usage, "--schedule gives every layer's sparsity; it does not combine with --sparsity, --q or --layer-sparsity");
  if (given(o.sparsity) && given(o.q)) return Error(Exit::Usage, "give --sparsity or --q, not both");
  granularity = o.granularity;
  if (!o.schedule.empty()) {
    if (!std::filesystem::is_regular_file(o.schedule)) return Error(Exit::Input, "cannot read the schedule '", o.schedule, "': no such file");
    DNNC_ASSIGN(std::string g, scheduleGranularity(o.schedule));
    if (granularity.empty()) granularity = g;
    else if (!g.empty() && g != granularity)
      return Error(Exit::Usage, "the schedule '", o.schedule, "' was derived for granularity ", g, ", not ", granularity);
  }
  if (granularity.empty()) granularity = "element";
  DNNC_ASSIGN(Granularity gran, parseGranularity(granularity));
  if (targets == 0) return std::optional<PipelineElement>();
  if (gran.structured() && given(o.q))
    return Error(Exit::Usage, "--q (Han's q x std rule) ranks single weights; it does not apply to ", granularity);
  Params params{{"granularity", granularity}};
  if (given(o.sparsity)) params["sparsity"] = formatDouble(o.sparsity);
  if (given(o.q)) params["q"] = formatDouble(o.q);
  if (!o.layer_sparsity.empty()) params["layer-sparsity"] = o.layer_sparsity;
  if (!o.schedule.empty()) params["layer-sparsity"] = o.schedule;
  if (const std::string skip = joinSkip(o.skip); !skip.empty()) params["skip"] = skip;
  if (gran.structured() && o.obd) params["criterion"] = "obd";
  DNNC_ASSIGN(PipelineElement e, passElement(gran.structured() ? "prune-structured" : "prune-magnitude", params));
  return std::optional<PipelineElement>(std::move(e));
}

// prune-obd: OBD saliency (--obd), or magnitude with Han's train-prune-retrain rounds (--iterations,
// --finetune-epochs), both through the same pass; the Hessian and the retraining use --data/--labels.
Expected<PipelineElement> roundsElement(const PruneOptions& o) {
  if (o.calibration.data.path.empty())
    return Error(Exit::Usage, o.obd ? "--obd computes the Hessian diagonal on data" : "retraining rounds need data")
        .withHint("give --data X (and --labels Y)");
  if (given(o.q) || !o.layer_sparsity.empty() || !o.schedule.empty() || o.activations)
    return Error(Exit::Usage, o.obd ? "--obd" : "--iterations/--finetune-epochs",
                 " take one --sparsity target (global); --q, --layer-sparsity, --schedule and --activations do not combine");
  if (given(o.sparsity)) DNNC_TRY(checkSparsity(o.sparsity, "--sparsity"));
  std::string granularity = o.granularity.empty() || o.granularity == "element" ? "weight" : o.granularity;
  if (granularity != "weight" && granularity != "filter")
    return Error(Exit::Usage, "--granularity ", o.granularity, " does not combine with ", o.obd ? "--obd" : "retraining rounds")
        .withHint("use element or filter");
  Params params{{"criterion", o.obd ? "obd" : "magnitude"}, {"granularity", granularity}};
  if (given(o.sparsity)) params["sparsity"] = formatDouble(o.sparsity);
  if (o.iterations > 0) params["iterations"] = std::to_string(o.iterations);
  if (o.finetune_epochs > 0) params["finetune-epochs"] = std::to_string(o.finetune_epochs);
  return passElement("prune-obd", params);
}

// prune-energy-aware with the targets given; the rest of the pruning flags do not apply to it.
Expected<PipelineElement> energyAwareElement(const PruneOptions& o) {
  if (given(o.sparsity) || given(o.q) || !o.layer_sparsity.empty() || !o.schedule.empty() || o.activations ||
      (!o.granularity.empty() && o.granularity != "element"))
    return Error(Exit::Usage, "--energy-aware chooses every layer's sparsity itself")
        .withHint("give --accuracy-budget POINTS and/or --target-energy FRACTION");
  if (o.calibration.data.path.empty())
    return Error(Exit::Usage, "--energy-aware measures accuracy and activation zeros on data").withHint("give --data X (and --labels Y)");
  if (o.iterations > 0) return Error(Exit::Usage, "--iterations does not apply to --energy-aware (it prunes each layer once)");
  Params params{{"accel", o.accel}};
  if (given(o.accuracy_budget)) params["accuracy-budget"] = formatDouble(o.accuracy_budget);
  if (given(o.target_energy)) params["target-energy"] = formatDouble(o.target_energy);
  if (o.finetune_epochs > 0) params["finetune-epochs"] = std::to_string(o.finetune_epochs);
  if (const std::string skip = joinSkip(o.skip); !skip.empty()) params["skip"] = skip;
  return passElement("prune-energy-aware", params);
}

Expected<Pipeline> buildPruning(const PruneOptions& o) {
  const bool rounds = o.iterations > 0 || o.finetune_epochs > 0;
  // --obd on filters or channels without retraining rounds shrinks the layers (prune-structured ranked by
  // saliency); with rounds, prune-obd zeroes whole filters between retrainings.
  const bool structured_obd = o.obd && !rounds && (o.granularity == "filter" || o.granularity == "channel");
  if (structured_obd && o.calibration.data.path.empty())
    return Error(Exit::Usage, "--obd computes the Hessian diagonal on data").withHint("give --data X (and --labels Y)");
  Pipeline p;
  if (!structured_obd && (o.obd || (rounds && !o.energy_aware))) {
    DNNC_ASSIGN(PipelineElement e, roundsElement(o));
    p.elements.push_back(std::move(e));
    return p;
  }
  if (o.energy_aware) {
    DNNC_ASSIGN(PipelineElement e, energyAwareElement(o));
    p.elements.push_back(std::move(e));
    return p;
  }
  if (given(o.accuracy_budget) || given(o.target_energy))
    return Error(Exit::Usage, "--accuracy-budget and --target-energy go with --energy-aware");
  if (given(o.sparsity)) DNNC_TRY(checkSparsity(o.sparsity, "--sparsity"));
  if (given(o.activation_sparsity)) DNNC_TRY(checkSparsity(o.activation_sparsity, "--activation-sparsity"));
  std::string granularity;
  DNNC_ASSIGN(std::optional<PipelineElement> weights, weightElement(o, granularity));
  if (weights) p.elements.push_back(std::move(*weights));
  if (o.activations) {
    if ((given(o.activation_sparsity)) == (given(o.activation_budget)))
      return Error(Exit::Usage, "--activations needs one target: --activation-sparsity S or --activation-budget POINTS");
    if (o.calibration.data.path.empty())
      return Error(Exit::Usage, "--activations calibrates thresholds on data").withHint("give --data X");
    if (given(o.activation_budget) && o.calibration.labels.empty())
      return Error(Exit::Usage, "--activation-budget is an accuracy budget").withHint("give --labels Y");
    Params params;
    if (given(o.activation_sparsity)) params["sparsity"] = formatDouble(o.activation_sparsity);
    else params["budget"] = formatDouble(o.activation_budget);
    DNNC_ASSIGN(PipelineElement e, passElement("prune-activations", params));
    p.elements.push_back(std::move(e));
  } else if (given(o.activation_sparsity) || given(o.activation_budget)) {
    return Error(Exit::Usage, "--activation-sparsity and --activation-budget go with --activations");
  }
  if (p.elements.empty())
    return Error(Exit::Usage, "nothing to prune")
        .withHint("give --sparsity S, --q Q, --layer-sparsity NAME=S,..., --schedule FILE or --activations");
  return p;
}

// Whether a weight or activation target is given (anything besides --snapea-budget).
bool pruningGiven(const PruneOptions& o) {
  return given(o.sparsity) || given(o.q) || !o.layer_sparsity.empty() || !o.schedule.empty() || o.activations ||
         o.energy_aware || o.obd || o.iterations > 0 || o.finetune_epochs > 0;
}

// The pruning asked for, then the snapea pass last (its thresholds are for the final weights).
Expected<Pipeline> buildPipeline(const PruneOptions& o) {
  Pipeline p;
  if (!given(o.snapea_budget) || pruningGiven(o)) {
    DNNC_ASSIGN(p, buildPruning(o));
  }
  if (given(o.snapea_budget)) {
    if (o.calibration.data.path.empty() || o.calibration.labels.empty())
      return Error(Exit::Usage, "--snapea-budget calibrates on labelled data").withHint("give --data X --labels Y");
    if (!(o.snapea_budget >= 0)) return Error(Exit::Usage, "--snapea-budget must be a non-negative number of points");
    DNNC_ASSIGN(PipelineElement e, passElement("snapea", {{"budget", formatDouble(o.snapea_budget)}}));
    p.elements.push_back(std::move(e));
  }
  return p;
}

std::string percent(double f) { return formatFixed(100.0 * f, 2) + " %"; }

void printText(std::ostream& os, const nlohmann::json& passes, const LayerTable& before, const LayerTable& after,
               const std::string& pipeline) {
  os << "pipeline: " << pipeline << "\n";
  for (const auto& p : passes) {
    const std::string name = p["name"].get<std::string>();
    if (name == "prune-magnitude") {
      TextTable t({"layer", "op", "weights", "sparsity before", "sparsity", "threshold"});
      t.alignRight({2, 3, 4, 5});
      for (const auto& r : p["rewrites"]) {
        const auto d = r["details"].get<PrunedLayerResult>();
        t.addRow({r["nodes"][0].get<std::string>(), d.op, withThousands(d.params), percent(d.sparsityBefore()),
                  percent(d.sparsity()), formatFixed(d.threshold, 6)});
      }
      const auto s = p["summary"].get<PruneMagnitudeSummary>();
      t.addSeparator();
      t.addRow({"total (layers pruned)", "", withThousands(s.params), percent(s.sparsityBefore()), percent(s.sparsity()), ""});
      os << name << " (" << s.granularity << ")\n" << t.render();
    } else if (name == "prune-activations") {
      TextTable t({"relu", "threshold", "zeros before", "zeros after"});
      t.alignRight({1, 2, 3});
      for (const auto& r : p["rewrites"]) {
        const auto d = r["details"].get<ReluThresholdResult>();
        t.addRow({r["nodes"][0].get<std::string>(), formatFixed(d.threshold, 4), percent(d.sparsity_before), percent(d.sparsity)});
      }
      os << name << "\n" << t.render();
      for (const auto& [k, v] : p["summary"].items())
        if (v.is_number() || v.is_string()) os << "  " << k << ": " << v.dump() << "\n";
    } else {
      std::string summary;
      for (const auto& [k, v] : p["summary"].items()) summary += (summary.empty() ? "" : ", ") + k + " " + v.dump();
      os << name << ": " << (summary.empty() ? "done" : summary) << "\n";
    }
    for (const auto& s : p["skipped"]) os << "  skipped " << s["node"].get<std::string>() << ": " << s["reason"].get<std::string>() << "\n";
  }
  TextTable t({"", "before", "after", "reduction"});
  t.alignRight({1, 2, 3});
  auto ratio = [](int64_t a, int64_t b) { return b > 0 ? formatFixed(double(a) / double(b), 2) + "x" : std::string("-"); };
  t.addRow({"params", withThousands(before.params), withThousands(after.params), ratio(before.params, after.params)});
  t.addRow({"nonzero params", withThousands(before.nonzero_params), withThousands(after.nonzero_params),
            ratio(before.nonzero_params, after.nonzero_params)});
  t.addRow({"MACs", withThousands(before.macs), withThousands(after.macs), ratio(before.macs, after.macs)});
  os << t.render();
}

Status runPrune(const PruneOptions& o) {
  DNNC_ASSIGN(Pipeline pipeline, buildPipeline(o));
  DNNC_ASSIGN(PipelineRun run, runPipelineCommand("prune", o, pipeline, {.fold_computed_weights = true}));
  Report report = pipelineReport("prune", o, run);
  if (!o.common.json.empty()) return emitJsonStatus(report, o.common);
  if (!o.common.quiet) printText(summaryStream(o), run.passes, run.before, run.after, run.pipeline.print());
  return {};
}

}  // namespace

void setupPrune(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<PruneOptions>();
  auto* sub = app.add_subcommand("prune", "Prune weights (magnitude, SIMD groups, filters/channels) or activations");
  sub->add_flag("--magnitude", o->magnitude, "Magnitude pruning (the default)");
  sub->add_flag("--obd", o->obd, "Optimal Brain Damage (LeCun 1989): rank by saliency h_kk w^2 / 2 on --data");
  sub->add_option("--iterations", o->iterations, "Prune-retrain rounds (Han et al. 2015), the target reached linearly")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--finetune-epochs", o->finetune_epochs, "Retraining epochs after each round (distillation from the original)")
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("--energy-aware", o->energy_aware,
                "Energy-aware pruning (Yang et al. 2017): most energy-costly layers first, within --accuracy-budget");
  sub->add_option("--accuracy-budget", o->accuracy_budget, "--energy-aware: top-1 points the model may lose (default 1)");
  sub->add_option("--target-energy", o->target_energy,
                  "--energy-aware: stop at this fraction of the original energy; exit 4 if the budget runs out first");
  sub->add_option("--accel", o->accel, "--energy-aware: accelerator preset or spec file that scores energy")
      ->capture_default_str();
  sub->add_option("--sparsity", o->sparsity, "Fraction of weights to zero, one threshold across layers, in [0, 1)")
      ->transform(numberOrFraction());
  sub->add_option("--q", o->q, "Han's per-layer rule: prune |w| < Q x std of the layer's weights");
  sub->add_option("--layer-sparsity", o->layer_sparsity, "Per-layer targets 'conv1=0.5,fc1=0.95', or a YAML/JSON file of name: sparsity");
  sub->add_option("--schedule", o->schedule, "Per-layer schedule written by 'dnnc sensitivity --budget ... -o FILE'");
  sub->add_option("--granularity", o->granularity, "element (default), simd:N, filter or channel");
  sub->add_option("--skip", o->skip, "Layers to leave alone: names or globs (repeat or comma-separate)");
  sub->add_flag("--activations", o->activations, "Prune activations too: Relu -> ThresholdedRelu calibrated on --data (Cnvlutin)");
  sub->add_option("--activation-sparsity", o->activation_sparsity, "Target fraction of zero activations after each Relu");
  sub->add_option("--activation-budget", o->activation_budget, "Largest activation sparsity within this accuracy drop (points; needs --labels)");
  sub->add_option("--snapea-budget", o->snapea_budget,
                  "SnaPEA predictive mode: per-layer thresholds within this top-1 drop (points, on a held-out split of "
                  "--data/--labels), stored in the model's metadata (dnnc.snapea); the graph is unchanged");
  addPipelineCommandOptions(sub, *o, true, ".pruned.onnx");
  commands.push_back({sub, [o] { return reportStatus("prune", runPrune(*o)); }});
}

}  // namespace dnnc::cli
