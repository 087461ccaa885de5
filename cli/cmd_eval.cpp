// dnnc eval MODEL --data X [--labels Y] [--reference REF.onnx]: accuracy (top-1, top-5) against labels,
// and fidelity against a reference model run on the same batches (top-1 agreement, max and mean
// absolute output difference, SQNR in dB).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <numeric>

#include "cli/command.h"
#include "cli/progress.h"
#include "lib/exec/classifier_eval.h"
#include "lib/exec/dataset.h"
#include "lib/exec/executor.h"
#include "lib/ir/onnx_io.h"
#include "lib/report/table.h"
#include "lib/support/atomic_file.h"
#include "lib/support/sha256.h"

namespace dnnc::cli {

namespace {

struct EvalOptions {
  std::string model, labels, reference;
  DataOptions data;
  int64_t batch = 32, limit = 0;
  CommonOptions common;
};

struct Loaded {
  std::string bytes;
  std::unique_ptr<Executor> exec;
};

Expected<Loaded> load(const std::string& path, int threads) {
  Loaded l;
  DNNC_ASSIGN(l.bytes, readFile(path));
  std::string base = std::filesystem::path(path).parent_path().string();
  DNNC_ASSIGN(Model model, parseModel(l.bytes, path, base.empty() ? "." : base));
  DNNC_ASSIGN(l.exec, Executor::create(model, {.threads = threads}));
  if (l.exec->inputs().size() != 1)
    return Error(Exit::Input, "'", path, "' has ", l.exec->inputs().size(), " inputs; eval feeds models with exactly one");
  return l;
}

int runEval(const EvalOptions& o) {
  const std::string cmd = "eval";
  if (o.batch <= 0) return reportError(cmd, Error(Exit::Usage, "--batch must be positive"));
  if (o.labels.empty() && o.reference.empty())
    return reportError(cmd, Error(Exit::Usage, "nothing to compare with").withHint("give --labels Y, --reference REF.onnx, or both"));
  auto main = load(o.model, o.common.threads);
  if (!main) return reportError(cmd, main.error());
  std::optional<Loaded> ref;
  if (!o.reference.empty()) {
    auto r = load(o.reference, o.common.threads);
    if (!r) return reportError(cmd, r.error());
    ref = std::move(*r);
  }
  auto loader = openData(o.data, main->exec->inputs()[0]);
  if (!loader) return reportError(cmd, loader.error());
  const int64_t total = o.limit > 0 ? std::min(o.limit, (*loader)->samples()) : (*loader)->samples();
  std::vector<int64_t> labels;
  if (!o.labels.empty()) {
    auto l = readLabels(o.labels);
    if (!l) return reportError(cmd, l.error());
    labels = std::move(*l);
    if (static_cast<int64_t>(labels.size()) < total)
      return reportError(cmd, Error(Exit::Input, "'", o.labels, "' holds ", labels.size(), " labels for ", total, " samples"));
  }
  ProgressLine progress(o.common, "eval");
  auto scores = evaluateClassifier(*main->exec, ref ? ref->exec.get() : nullptr, **loader, labels,
                                   {.batch = o.batch, .limit = o.limit},
                                   [&](int64_t done, int64_t all) { progress.update(done, all); });
  if (!scores) return reportError(cmd, scores.error());
  const ClassifierScores& sc = *scores;
  const int64_t done = sc.samples, top1 = sc.top1, top5 = sc.top5;
  const double seconds = sc.seconds, max_abs = sc.max_abs_diff;
  const auto sqnr = sc.sqnrDb();

  Report report(cmd);
  report.addInput(o.model, sha256Hex(main->bytes));
  if (ref) report.addInput(o.reference, sha256Hex(ref->bytes));
  auto& r = report.root();
  r["data"] = o.data.path;
  r["samples"] = done;
  r["seconds"] = seconds;
  r["top1"] = labels.empty() ? nlohmann::json(nullptr) : nlohmann::json(double(top1) / done);
  r["top5"] = labels.empty() ? nlohmann::json(nullptr) : nlohmann::json(double(top5) / done);
  r["top1_correct"] = labels.empty() ? nlohmann::json(nullptr) : nlohmann::json(top1);
  r["agreement"] = ref ? nlohmann::json(sc.agreement()) : nlohmann::json(nullptr);
  r["max_abs_diff"] = ref ? nlohmann::json(max_abs) : nlohmann::json(nullptr);
  r["mean_abs_diff"] = ref ? nlohmann::json(sc.meanAbsDiff()) : nlohmann::json(nullptr);
  // SQNR = 10 log10(sum ref^2 / sum (out - ref)^2); null when the outputs are identical (infinite).
  r["sqnr_db"] = ref && sqnr ? nlohmann::json(*sqnr) : nlohmann::json(nullptr);
  if (!o.common.json.empty()) return emitJson(cmd, report, o.common);

  TextTable t({"metric", "value"});
  t.alignRight({1});
  t.addRow({"samples", std::to_string(done)});
  if (!labels.empty()) {
    t.addRow({"top-1 accuracy", formatFixed(100.0 * top1 / done, 2) + " % (" + std::to_string(top1) + ")"});
    t.addRow({"top-5 accuracy", formatFixed(100.0 * top5 / done, 2) + " %"});
  }
  if (ref) {
    t.addRow({"top-1 agreement", formatFixed(100.0 * sc.agreement(), 2) + " %"});
    t.addRow({"max |diff|", formatFixed(max_abs, 6)});
    t.addRow({"mean |diff|", formatFixed(sc.meanAbsDiff(), 6)});
    t.addRow({"SQNR", sqnr ? formatFixed(*sqnr, 2) + " dB" : std::string("inf (identical)")});
  }
  std::cout << t.render();
  return 0;
}

}  // namespace

void setupEval(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<EvalOptions>();
  auto* sub = app.add_subcommand("eval", "Accuracy against labels, fidelity against a reference model");
  sub->add_option("MODEL", o->model, "ONNX model")->required();
  sub->add_option("--data", o->data.path, "Input samples: .npy, .npz (FILE.npz:NAME) or TensorProto .pb")->required();
  sub->add_option("--labels", o->labels, "Class labels: integer .npy/.npz/.pb, [N] or [N,1]");
  sub->add_option("--reference", o->reference, "Reference ONNX model for fidelity (e.g. the uncompressed one)");
  sub->add_option("--batch", o->batch, "Samples per run (default 32; a model with a fixed batch dim uses that)");
  sub->add_option("--limit", o->limit, "Use only the first N samples");
  addPreprocessOptions(sub, o->data);
  addCommonOptions(sub, o->common);
  commands.push_back({sub, [o] { return runEval(*o); }});
}

}  // namespace dnnc::cli
