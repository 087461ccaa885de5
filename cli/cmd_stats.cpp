// dnnc stats MODEL --data X: for every Conv/Gemm/MatMul input activation over the data set, the fraction
// of exact zeros, the value range, a histogram and the zero-run-length distribution (lib/exec/activation_stats).
// With --snapea, also the MACs SnaPEA's exact-mode early termination skips (lib/analysis/snapea).
// With --delta, also the bits per value of each input coded as spatial (and with --frames, temporal)
// differences against the values (lib/energy/delta_stats).
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <iostream>

#include "cli/command.h"
#include "cli/progress.h"
#include "lib/analysis/snapea.h"
#include "lib/energy/delta_report.h"
#include "lib/exec/activation_stats.h"
#include "lib/exec/dataset.h"
#include "lib/exec/executor.h"
#include "lib/ir/onnx_io.h"
#include "lib/report/table.h"
#include "lib/support/atomic_file.h"
#include "lib/support/sha256.h"

namespace dnnc::cli {

namespace {

struct StatsOptions {
  std::string model;
  DataOptions data;
  int64_t batch = 32, limit = 0;
  int bins = 64, max_run = 64;
  bool snapea = false;
  bool delta = false, frames = false;
  CommonOptions common;
};

// Only the first `limit` rows of another source.
class LimitedSource : public ArraySource {
 public:
  LimitedSource(std::unique_ptr<ArraySource> inner, int64_t rows) : inner_(std::move(inner)) {
    dtype_ = inner_->dtype();
    dims_ = inner_->dims();
    dims_[0] = std::min(dims_[0], rows);
    what_ = inner_->what();
  }
  Status readRows(int64_t first, int64_t count, std::byte* dst) override { return inner_->readRows(first, count, dst); }

 private:
  std::unique_ptr<ArraySource> inner_;
};

nlohmann::json snapeaJson(const SnapeaResult& s) {
  nlohmann::json layers = nlohmann::json::array(), uncovered = nlohmann::json::array();
  for (const auto& l : s.layers)
    layers.push_back({{"node", l.node},
                      {"relu", l.relu},
                      {"outputs", l.outputs},
                      {"terminated_outputs", l.terminated_outputs},
                      {"macs", l.macs},
                      {"negative_macs", l.negative_macs},
                      {"skipped_macs", l.skipped_macs},
                      {"skipped_nonzero_macs", l.skipped_nonzero_macs},
                      {"skip_fraction", l.skipFraction()},
                      {"max_abs_diff", l.max_abs_diff},
                      {"mismatches", l.mismatches},
                      {"terminated_nonzero", l.terminated_nonzero},
                      {"negative_inputs", l.negative_inputs},
                      {"exact", l.exact()}});
  for (const auto& u : s.uncovered) uncovered.push_back({{"node", u.node}, {"reason", u.reason}});
  return {{"mode", "exact"},
          {"layers", layers},
          {"uncovered", uncovered},
          {"macs", s.macs()},
          {"skipped_macs", s.skippedMacs()},
          {"skip_fraction", s.skipFraction()},
          {"exact", s.exact()}};
}

void printSnapea(const SnapeaResult& s) {
  std::cout << "\nSnaPEA exact mode (Conv -> Relu with non-negative input): MACs early termination skips\n";
  TextTable t({"conv", "relu", "outputs", "zero outputs", "MACs", "skipped", "skip", "max |diff|", "exact"});
  t.alignRight({2, 3, 4, 5, 6, 7});
  auto pct = [](int64_t a, int64_t b) { return formatFixed(b ? 100.0 * static_cast<double>(a) / static_cast<double>(b) : 0.0, 2) + " %"; };
  for (const auto& l : s.layers)
    t.addRow({l.node, l.relu, std::to_string(l.outputs), pct(l.terminated_outputs, l.outputs), std::to_string(l.macs),
              std::to_string(l.skipped_macs), pct(l.skipped_macs, l.macs), formatFixed(l.max_abs_diff, 7),
              l.exact() ? "yes" : "NO"});
  t.addRow({"total", "", "", "", std::to_string(s.macs()), std::to_string(s.skippedMacs()), pct(s.skippedMacs(), s.macs()), "",
            s.exact() ? "yes" : "NO"});
  std::cout << t.render();
  if (!s.uncovered.empty()) {
    std::cout << "Not covered:\n";
    for (const auto& u : s.uncovered) std::cout << "  " << u.node << ": " << u.reason << "\n";
  }
}

// Early termination that changed an output means the count is wrong: say so and fail.
int snapeaExactness(const std::string& cmd, const std::optional<SnapeaResult>& s) {
  if (!s || s->exact()) return 0;
  for (const auto& l : s->layers)
    if (!l.exact())
      return reportError(cmd, Error(Exit::Internal, "SnaPEA early termination of Conv '", l.node, "' changed ", l.mismatches,
                                    " outputs and saw ", l.negative_inputs, " negative inputs"));
  return 0;
}

int runStats(const StatsOptions& o) {
  const std::string cmd = "stats";
  if (o.batch <= 0) return reportError(cmd, Error(Exit::Usage, "--batch must be positive"));
  if (o.bins < 2 || o.bins % 2) return reportError(cmd, Error(Exit::Usage, "--bins must be even and at least 2"));
  if (o.max_run < 1) return reportError(cmd, Error(Exit::Usage, "--max-run must be positive"));
  if (o.frames && !o.delta) return reportError(cmd, Error(Exit::Usage, "--frames needs --delta"));
  auto bytes = readFile(o.model);
  if (!bytes) return reportError(cmd, bytes.error());
  std::string base = std::filesystem::path(o.model).parent_path().string();
  auto model = parseModel(*bytes, o.model, base.empty() ? "." : base);
  if (!model) return reportError(cmd, model.error());
  auto exec = Executor::create(*model, {.threads = o.common.threads});
  if (!exec) return reportError(cmd, exec.error());
  if ((*exec)->inputs().size() != 1)
    return reportError(cmd, Error(Exit::Input, "the model has ", (*exec)->inputs().size(), " inputs; stats feeds models with exactly one"));
  auto source = openArray(o.data.path);
  if (!source) return reportError(cmd, source.error());
  std::unique_ptr<ArraySource> src = std::move(*source);
  if (o.limit > 0 && !src->dims().empty()) src = std::make_unique<LimitedSource>(std::move(src), o.limit);
  Preprocess pre;
  pre.scale = o.data.scale;
  if (!o.data.mean.empty()) {
    auto m = parseFloatList(o.data.mean, "--mean");
    if (!m) return reportError(cmd, m.error());
    pre.mean = *m;
  }
  if (!o.data.std.empty()) {
    auto s = parseFloatList(o.data.std, "--std");
    if (!s) return reportError(cmd, s.error());
    pre.std = *s;
  }
  auto loader = BatchLoader::create(std::move(src), (*exec)->inputs()[0], pre);
  if (!loader) return reportError(cmd, loader.error());
  int64_t batch = o.batch;
  const auto& in_dims = (*exec)->inputs()[0].dims;
  if (!in_dims.empty() && in_dims[0] > 0) batch = in_dims[0];

  ActivationStatsOptions opts;
  opts.bins = o.bins;
  opts.max_run = o.max_run;
  ProgressLine progress(o.common, "stats");
  auto start = std::chrono::steady_clock::now();
  auto stats = collectActivationStats(**exec, **loader, batch, opts, [&](int64_t d, int64_t t) { progress.update(d, t); });
  if (!stats) return reportError(cmd, stats.error());
  std::optional<SnapeaResult> snapea;
  if (o.snapea) {
    ProgressLine snapea_progress(o.common, "stats --snapea");
    auto counted = collectSnapea(**exec, **loader, batch, [&](int64_t d, int64_t t) { snapea_progress.update(d, t); });
    if (!counted) return reportError(cmd, counted.error());
    snapea = std::move(*counted);
  }
  std::optional<std::vector<energy::DeltaStats>> delta;
  const energy::DeltaStatsOptions delta_options{.frames = o.frames};
  if (o.delta) {
    ProgressLine delta_progress(o.common, "stats --delta");
    auto coded = energy::collectDeltaStats(**exec, **loader, batch, delta_options,
                                           [&](int64_t d, int64_t t) { delta_progress.update(d, t); });
    if (!coded) return reportError(cmd, coded.error());
    delta = std::move(*coded);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  Report report(cmd);
  report.addInput(o.model, sha256Hex(*bytes));
  auto& r = report.root();
  r["data"] = o.data.path;
  r["samples"] = (*loader)->samples();
  r["seconds"] = seconds;
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& s : *stats) {
    layers.push_back({{"node", s.node},
                      {"op", s.op},
                      {"input", s.input},
                      {"value", s.value},
                      {"sample_dims", s.sample_dims},
                      {"count", s.count},
                      {"zeros", s.zeros},
                      {"zero_fraction", s.zeroFraction()},
                      {"min", s.min},
                      {"max", s.max},
                      {"mean", s.mean},
                      {"histogram", {{"lo", s.histogram.lo}, {"hi", s.histogram.hi}, {"counts", s.histogram.counts}}},
                      {"zero_runs", {{"runs", s.runs}, {"mean_length", s.meanRunLength()}, {"counts", s.zero_runs},
                                     {"last_bucket_is_at_least", s.zero_runs.size()}}}});
  }
  r["activations"] = layers;
  if (snapea) r["snapea"] = snapeaJson(*snapea);
  if (delta) r["delta"] = energy::deltaStatsJson(*delta, delta_options);
  if (!o.common.json.empty()) {
    int code = emitJson(cmd, report, o.common);
    return code ? code : snapeaExactness(cmd, snapea);
  }

  TextTable t({"node", "op", "activation", "dims", "zeros", "min", "max", "mean", "mean zero run"});
  t.alignRight({4, 5, 6, 7, 8});
  for (const auto& s : *stats)
    t.addRow({s.node.empty() ? "-" : s.node, s.op, s.value, dimsToString(s.sample_dims),
              formatFixed(100.0 * s.zeroFraction(), 2) + " %", formatFixed(s.min, 4), formatFixed(s.max, 4),
              formatFixed(s.mean, 4), formatFixed(s.meanRunLength(), 2)});
  std::cout << (*loader)->samples() << " samples\n" << t.render();
  if (snapea) printSnapea(*snapea);
  if (delta) std::cout << energy::formatDeltaStats(*delta, delta_options);
  return snapeaExactness(cmd, snapea);
}

}  // namespace

void setupStats(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<StatsOptions>();
  auto* sub = app.add_subcommand("stats", "Activation statistics (zeros, range, histogram, zero runs) of every Conv/Gemm/MatMul input");
  sub->add_option("MODEL", o->model, "ONNX model")->required();
  sub->add_option("--data", o->data.path, "Input samples: .npy, .npz (FILE.npz:NAME) or TensorProto .pb")->required();
  sub->add_option("--batch", o->batch, "Samples per run (default 32)");
  sub->add_option("--limit", o->limit, "Use only the first N samples");
  sub->add_option("--bins", o->bins, "Histogram bins (even; default 64)");
  sub->add_option("--max-run", o->max_run, "Zero-run lengths counted exactly below this; longer ones share the last bucket (default 64)");
  sub->add_flag("--snapea", o->snapea,
                "Also count the MACs SnaPEA exact-mode early termination skips in each Conv -> Relu with non-negative input, "
                "and check the terminated outputs against the executor's Relu");
  sub->add_flag("--delta", o->delta,
                "Also the entropy, zeros, zero runs and RLC size of each input coded as differences to the left "
                "neighbour (along W) against the values, as 16-bit words");
  sub->add_flag("--frames", o->frames,
                "With --delta: the samples are consecutive frames of one sequence; also code each as its difference "
                "to the previous sample");
  addPreprocessOptions(sub, o->data);
  addCommonOptions(sub, o->common);
  commands.push_back({sub, [o] { return runStats(*o); }});
}

}  // namespace dnnc::cli
