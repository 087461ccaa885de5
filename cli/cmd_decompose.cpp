// dnnc decompose MODEL -o OUT --method tucker|cp|svd [--layers GLOBS] [--rank N | --ratio R | --energy E]
//   [--data X [--labels Y]]: low-rank decomposition of convolutions (Tucker-2, CP) or fully connected
// layers (SVD), then dead-code elimination. Reports per layer the ranks, params and MACs before and
// after and the relative reconstruction error; with --data also the fidelity of the decomposed model
// against the original (top-1 agreement, max/mean |diff|, SQNR; accuracy of both with --labels).
#include <filesystem>
#include <iostream>

#include "cli/pipeline_command.h"
#include "cli/progress.h"
#include "lib/exec/classifier_eval.h"
#include "lib/report/table.h"
#include "passes/pass_results.h"

namespace dnnc::cli {

namespace {

struct DecomposeOptions : PipelineCommandOptions {
  std::string method, layers, labels;
  int64_t rank = 0;
  double ratio = 0, energy = 0;
  CLI::Option *rank_opt = nullptr, *ratio_opt = nullptr, *energy_opt = nullptr;
  int64_t iterations = -1;
  DataOptions data;
  int64_t batch = 32, limit = 0;
};

Expected<Pipeline> buildPipeline(const DecomposeOptions& o) {
  const std::string pass = "decompose-" + o.method;
  const bool has_rank = o.rank_opt->count() > 0, has_ratio = o.ratio_opt->count() > 0,
             has_energy = o.energy_opt->count() > 0;
  if (has_energy && o.method != "svd")
    return Error(Exit::Usage, "--energy applies to --method svd only").withHint("use --rank or --ratio for " + o.method);
  std::map<std::string, std::string> given;
  if (!o.layers.empty()) given["layers"] = o.layers;
  if (has_rank) given["rank"] = std::to_string(o.rank);
  if (has_ratio) given["ratio"] = formatDouble(o.ratio);
  if (has_energy) given["energy"] = formatDouble(o.energy);
  if (o.iterations >= 0) given["iterations"] = std::to_string(o.iterations);
  Pipeline p;
  DNNC_ASSIGN(PipelineElement decompose, passElement(pass, given));
  p.elements.push_back(std::move(decompose));
  DNNC_ASSIGN(PipelineElement dce, passElement("dce", {}));
  p.elements.push_back(std::move(dce));
  return p;
}

std::string joined(const std::vector<int64_t>& values, const char* separator) {
  std::string s;
  for (int64_t v : values) s += (s.empty() ? "" : separator) + std::to_string(v);
  return s;
}

std::string countPair(std::optional<int64_t> before, std::optional<int64_t> after) {
  if (!before || !after) return "?";
  return withThousands(*before) + " -> " + withThousands(*after);
}

void printText(std::ostream& os, const nlohmann::json& pass, const LayerTable& before, const LayerTable& after,
               const nlohmann::json& fidelity) {
  TextTable t({"layer", "shape", "ranks", "params", "MACs", "rel. error"});
  t.alignRight({2, 3, 4, 5});
  for (const auto& r : pass["rewrites"]) {
    const auto d = r["details"].get<DecomposedLayerResult>();
    t.addRow({d.layer, joined(d.kernel.empty() ? d.matrix : d.kernel, "x"), joined(d.ranks, ","),
              countPair(d.params_before, d.params_after), countPair(d.macs_before, d.macs_after),
              formatFixed(d.rel_error, 4)});
  }
  os << t.render();
  for (const auto& s : pass["skipped"]) os << "skipped " << s["node"].get<std::string>() << ": " << s["reason"].get<std::string>() << "\n";
  TextTable m({"model", "before", "after", "reduction"});
  m.alignRight({1, 2, 3});
  auto factor = [](int64_t a, int64_t b) { return b > 0 ? formatFixed(double(a) / double(b), 2) + "x" : std::string("-"); };
  m.addRow({"params", withThousands(before.params), withThousands(after.params), factor(before.params, after.params)});
  m.addRow({"MACs", withThousands(before.macs), withThousands(after.macs), factor(before.macs, after.macs)});
  os << m.render();
  if (fidelity.is_null()) return;
  TextTable f({"fidelity vs original", "value"});
  f.alignRight({1});
  f.addRow({"samples", std::to_string(fidelity["samples"].get<int64_t>())});
  if (!fidelity["top1"].is_null()) {
    f.addRow({"top-1 accuracy, original", formatFixed(100.0 * fidelity["top1_original"].get<double>(), 2) + " %"});
    f.addRow({"top-1 accuracy, decomposed", formatFixed(100.0 * fidelity["top1"].get<double>(), 2) + " %"});
  }
  f.addRow({"top-1 agreement", formatFixed(100.0 * fidelity["agreement"].get<double>(), 2) + " %"});
  f.addRow({"max |diff|", formatFixed(fidelity["max_abs_diff"].get<double>(), 6)});
  f.addRow({"mean |diff|", formatFixed(fidelity["mean_abs_diff"].get<double>(), 6)});
  f.addRow({"SQNR", fidelity["sqnr_db"].is_null() ? std::string("inf (identical)")
                                                  : formatFixed(fidelity["sqnr_db"].get<double>(), 2) + " dB"});
  os << f.render();
}

// Runs the decomposed model against the original on --data.
Expected<nlohmann::json> fidelity(const DecomposeOptions& o, const Model& original, const Model& decomposed) {
  DNNC_ASSIGN(auto ref, Executor::create(original, {.threads = o.common.threads}));
  DNNC_ASSIGN(auto exec, Executor::create(decomposed, {.threads = o.common.threads}));
  if (exec->inputs().size() != 1)
    return Error(Exit::Input, "the model has ", exec->inputs().size(), " inputs; --data feeds models with exactly one");
  DNNC_ASSIGN(auto loader, openData(o.data, exec->inputs()[0]));
  std::vector<int64_t> labels;
  if (!o.labels.empty()) {
    DNNC_ASSIGN(labels, readLabels(o.labels));
  }
  ProgressLine progress(o.common, "decompose: fidelity");
  const ClassifierEvalSettings settings{.batch = o.batch, .limit = o.limit};
  auto show = [&](int64_t done, int64_t total) { progress.update(done, total); };
  DNNC_ASSIGN(ClassifierScores s, evaluateClassifier(*exec, ref.get(), *loader, labels, settings, show));
  const double n = double(s.samples);
  auto sqnr = s.sqnrDb();
  return nlohmann::json{{"data", o.data.path},
                        {"samples", s.samples},
                        {"top1", s.has_labels ? nlohmann::json(s.top1 / n) : nlohmann::json(nullptr)},
                        {"top1_original", s.has_labels ? nlohmann::json(s.reference_top1 / n) : nlohmann::json(nullptr)},
                        {"agreement", s.agreement()},
                        {"max_abs_diff", s.max_abs_diff},
                        {"mean_abs_diff", s.meanAbsDiff()},
                        {"sqnr_db", sqnr ? nlohmann::json(*sqnr) : nlohmann::json(nullptr)}};
}

Status runDecompose(const DecomposeOptions& o) {
  const std::string cmd = "decompose";
  if (o.batch <= 0) return Error(Exit::Usage, "--batch must be positive");
  if (!o.labels.empty() && o.data.path.empty()) return Error(Exit::Usage, "--labels needs --data");
  DNNC_ASSIGN(Pipeline pipeline, buildPipeline(o));
  // With --data, the decomposed model is measured against the original before it is written.
  nlohmann::json fid = nullptr;
  PipelineRunHooks hooks;
  hooks.keep_input = !o.data.path.empty();
  hooks.before_save = [&](const Model* original, const Model& decomposed) -> Status {
    if (!original) return {};
    DNNC_ASSIGN(fid, fidelity(o, *original, decomposed));
    return {};
  };
  DNNC_ASSIGN(PipelineRun run, runPipelineCommand(cmd, o, pipeline, hooks));

  const nlohmann::json& pass = run.passes[0];
  Report report = pipelineReport(cmd, o, run);
  auto& r = report.root();
  r.erase("passes");
  r["method"] = o.method;
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& rw : pass["rewrites"]) layers.push_back(rw["details"]);
  r["layers"] = layers;
  r["skipped"] = pass["skipped"];
  r["fidelity"] = fid;
  if (!o.common.json.empty()) return emitJsonStatus(report, o.common);
  if (!o.common.quiet) printText(summaryStream(o), pass, run.before, run.after, fid);
  return {};
}

}  // namespace

void setupDecompose(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<DecomposeOptions>();
  auto* sub = app.add_subcommand("decompose", "Low-rank decomposition: Tucker-2 or CP for convolutions, SVD for Gemm/MatMul");
  sub->add_option("--method", o->method, "tucker (Conv, Tucker-2), cp (Conv, CP) or svd (Gemm/MatMul)")
      ->required()
      ->check(CLI::IsMember({"tucker", "cp", "svd"}));
  sub->add_option("--layers", o->layers, "Comma-separated globs of node names (default: every eligible layer)");
  o->rank_opt = sub->add_option("--rank", o->rank, "Fixed rank for every selected layer (default for tucker/svd: EVBMF)");
  o->ratio_opt = sub->add_option("--ratio", o->ratio, "Target params after / before per layer, in (0, 1]");
  o->energy_opt = sub->add_option("--energy", o->energy, "svd: share of singular-value energy to keep, in (0, 1]");
  sub->add_option("--iterations", o->iterations, "most HOOI sweeps (tucker, default 10) or most ALS sweeps (cp, default 200)");
  sub->add_option("--data", o->data.path, "Samples to measure fidelity against the original: .npy, .npz, .pb");
  sub->add_option("--labels", o->labels, "Class labels for --data: accuracy of both models");
  sub->add_option("--batch", o->batch, "Samples per run for --data (default 32)");
  sub->add_option("--limit", o->limit, "Use only the first N samples of --data");
  addPreprocessOptions(sub, o->data, "--data: ");
  addPipelineCommandOptions(sub, *o, false, ".decomposed.onnx");
  commands.push_back({sub, [o] { return reportStatus("decompose", runDecompose(*o)); }});
}

}  // namespace dnnc::cli
