// dnnc compress MODEL -o OUT --data X --labels Y --accuracy-budget P --target T: from a budget to the best
// model. Searches pruning and weight sharing with retraining at every step (cli/compress_search.h) until
// the resource goals (cli/compress_target.h) are met within the accuracy budget on held-out data, then
// writes OUT.onnx and OUT.dnnc, a report (--json) with the trajectory, the Pareto front, every step's
// pipeline text and a before/after table, and the trajectory as CSV. Exit 4 when the goals are not met
// (the best model found is still written); SIGINT or --time-budget end the search early, keeping the best.
#include <atomic>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unistd.h>

#include "cli/command.h"
#include "cli/html_output.h"
#include "cli/compress_meter.h"
#include "cli/compress_search.h"
#include "cli/compress_split.h"
#include "cli/compress_target.h"
#include "lib/analysis/layer_table.h"
#include "lib/energy/technique_energy.h"
#include "lib/exec/npy.h"
#include "lib/ir/onnx_io.h"
#include "lib/pack/pack.h"
#include "lib/report/table.h"
#include "lib/support/atomic_file.h"
#include "lib/support/format_double.h"
#include "lib/support/cancellation.h"
#include "lib/support/sha256.h"

namespace dnnc::cli {

namespace {

namespace fs = std::filesystem;

struct CompressOptions {
  std::string model, output, labels, val_data, val_labels, test_data, test_labels, accel = "eyeriss-sparse",
      measure = "model", workdir, csv, html;
  DataOptions data;
  std::vector<std::string> targets;
  std::vector<std::string> without;  // kinds of move left out: activations, decompose, int8
  double accuracy_budget = -1, time_budget = 0, lr = 0.003;
  int64_t finetune_samples = 0, val_samples = 0, polish_epochs = 8, stretch_epochs = 16;
  int retrain_rounds = 3;
  bool force = false, techniques = false;
  CommonOptions common;
};

// ---- SIGINT: the first ends the search (the best model is written), a second one ends dnnc ----

std::atomic<bool> g_stop{false};
void (*g_previous)(int) = SIG_DFL;

void onInterrupt(int sig) {
  requestCancel();  // a retraining in progress stops at its next batch
  if (g_stop.exchange(true)) {
    std::signal(sig, g_previous);
    std::raise(sig);
  }
}

void installInterruptHandler() {
  installTempFileCleanup();  // first, so that a second SIGINT still removes pending temp files
  g_previous = std::signal(SIGINT, onInterrupt);
  if (g_previous == SIG_ERR || g_previous == onInterrupt) g_previous = SIG_DFL;
}

// ---- presentation ----

bool isSize(const ResourceGoal& g) { return g.resource == Resource::Size; }

// A value against the original: for size the input .onnx file's bytes over the value ("23.4x"), for
// the rest the fraction of the input model's value ("0.310").
std::string ratioText(const ResourceGoal& g, double value, double original, double onnx_bytes) {
  if (isSize(g)) return formatFixed(onnx_bytes / value, 2) + "x";
  return formatFixed(value / original, 3);
}

std::string goalText(const ResourceGoal& g) {
  if (isSize(g)) return g.ratio > 0 ? formatFixed(1 / g.ratio, 2) + "x" : formatDouble(g.absolute) + " bytes";
  return formatFixed(g.ratio, 3);
}

std::string duration(double s) {
  if (s < 0) return "?";
  if (s < 90) return formatFixed(s, 0) + " s";
  if (s < 5400) return formatFixed(s / 60, 1) + " min";
  return formatFixed(s / 3600, 1) + " h";
}

std::string fingerprint(const std::string& model_sha, const CompressOptions& o) {
  std::ostringstream os;
  os << model_sha << "|" << o.data.path << "|" << o.labels << "|" << o.val_data << "|" << o.val_labels << "|"
     << o.accuracy_budget << "|" << o.accel << "|" << o.measure << "|" << o.common.seed << "|" << o.finetune_samples
     << "|" << o.val_samples << "|" << o.lr << "|" << o.retrain_rounds << "|" << o.stretch_epochs;
  for (const auto& t : o.targets) os << "|" << t;
  if (!o.without.empty()) os << "|without";  // (absent before --without existed: those workdirs still resume)
  for (const auto& w : o.without) os << "|" << w;
  return sha256Hex(os.str());
}

// A compare-table value: counts and bytes as grouped integers, small values (milliseconds) to three
// significant digits, so that a 0.107 ms latency does not print as 0.
std::string tableValue(double v) {
  if (std::abs(v) >= 100 || v == 0) return withThousands(int64_t(std::llround(v)));
  const int decimals = std::max(0, 2 - int(std::floor(std::log10(std::abs(v)))));
  return formatFixed(v, decimals);
}

// Whole numbers as integers (formatDouble writes 90 as 9e+01), others in their shortest exact form.
std::string csvNumber(double v) {
  if (std::abs(v) < 1e15 && v == std::round(v)) return std::to_string(int64_t(v));
  return formatDouble(v);
}

std::string trajectoryCsv(const CompressState& s, const CompressMeter& meter) {
  std::ostringstream os;
  os << "step,phase,move,layer,accepted,accuracy,probe_accuracy";
  for (size_t i = 0; i < meter.goals().size(); ++i) {
    const std::string name = resourceName(meter.goals()[i].resource);
    os << "," << name << "_" << meter.unit(i) << "," << name << "_ratio";
  }
  os << ",seconds\n";
  auto row = [&](int step, const std::string& phase, const std::string& move, const std::string& layer, bool accepted,
                 double acc, double probe, const std::vector<double>& values, double seconds) {
    os << step << "," << phase << "," << move << "," << layer << "," << (accepted ? 1 : 0) << "," << csvNumber(acc) << ","
       << csvNumber(probe);
    for (size_t i = 0; i < values.size(); ++i)
      os << "," << csvNumber(values[i]) << "," << formatFixed(values[i] / s.original.values[i], 6);
    os << "," << formatFixed(seconds, 2) << "\n";
  };
  row(0, "original", "", "", true, s.original.accuracy, -1, s.original.values, 0);
  for (const auto& st : s.steps)
    if (!st.values.empty())
      row(st.index, st.phase, st.move, st.layer, st.accepted, st.accuracy, st.probe_accuracy, st.values, st.seconds);
  return os.str();
}

// The points no other point beats on both accuracy and the first goal's metric (the original included).
nlohmann::json paretoFront(const CompressState& s) {
  struct Point {
    int step;
    double accuracy, value;
    std::string reproduce;
  };
  std::vector<Point> points = {{0, s.original.accuracy, s.original.values[0], ""}};
  for (const auto& st : s.steps)
    if (!st.values.empty()) points.push_back({st.index, st.accuracy, st.values[0], st.reproduce});
  nlohmann::json front = nlohmann::json::array();
  for (const Point& p : points) {
    bool dominated = false;
    for (const Point& q : points)
      if (q.accuracy >= p.accuracy && q.value <= p.value && (q.accuracy > p.accuracy || q.value < p.value)) dominated = true;
    if (!dominated)
      front.push_back({{"step", p.step}, {"accuracy", p.accuracy}, {"value", p.value},
                       {"ratio", p.value / s.original.values[0]}, {"pipeline", p.reproduce}});
  }
  return front;
}

// ---- the command ----

struct Sets {
  CalibrationSet val, probe, energy_probe, test;
  bool has_test = false;
};

Expected<CalibrationSet> loadSet(const Model& model, const DataOptions& preprocess, const std::string& data,
                                 const std::string& labels, int64_t limit) {
  Calibration c;
  c.data = preprocess;
  c.data.path = data;
  c.labels = labels;
  c.limit = limit;
  DNNC_ASSIGN(CalibrationSet set, loadCalibrationSet(model, c));
  if (set.labels.empty()) return Error(Exit::Input, "'", data, "' has no labels");
  return set;
}

Status checkOptions(const CompressOptions& o) {
  if (o.accuracy_budget < 0) return Error(Exit::Usage, "--accuracy-budget must be given, in points of top-1 (e.g. 0.5)");
  if (o.val_data.empty() != o.val_labels.empty()) return Error(Exit::Usage, "--val-data and --val-labels go together");
  if (o.test_data.empty() != o.test_labels.empty()) return Error(Exit::Usage, "--test-data and --test-labels go together");
  if (o.output.empty() || o.output == "-") return Error(Exit::Usage, "-o OUT is required (OUT.onnx and OUT.dnnc are written)");
  if (o.lr <= 0) return Error(Exit::Usage, "--lr must be positive");
  return {};
}

int runCompress(CompressOptions& o) {
  const std::string cmd = "compress";
  if (int rc = reportStatus(cmd, checkOptions(o))) return rc;
  auto goals = parseGoals(o.targets);
  if (!goals) return reportError(cmd, goals.error());
  std::string base = o.output;
  if (fs::path(base).extension() == ".onnx") base = fs::path(base).replace_extension().string();
  const std::string out_onnx = base + ".onnx", out_dnnc = base + ".dnnc";
  if (int rc = reportStatus(cmd, checkOutputPath(o.model, out_onnx, o.force))) return rc;

  auto loaded = loadModelWithDigest(o.model);
  if (!loaded) return reportError(cmd, loaded.error());
  Model original = std::move(loaded->model);
  std::error_code ec;
  const double onnx_bytes = double(fs::file_size(o.model, ec));
  // size=50x compares the .dnnc against the input .onnx file: the goal is that file's bytes / 50.
  for (ResourceGoal& g : *goals)
    if (isSize(g) && g.absolute == 0) g.absolute = g.ratio * onnx_bytes;

  // The workdir: given (kept, resumable), or a temporary one removed at the end.
  const bool own_workdir = o.workdir.empty();
  std::string workdir = own_workdir ? (fs::temp_directory_path() / ("dnnc-compress-" + std::to_string(getpid()))).string()
                                    : o.workdir;
  fs::create_directories(workdir, ec);
  if (ec) return reportError(cmd, Error(Exit::Output, "cannot create the workdir '", workdir, "': ", ec.message()));
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code e;
      if (!dir.empty()) fs::remove_all(dir, e);
    }
  } cleanup{own_workdir ? workdir : ""};

  // Held-out data: --val-data, or a seeded split of the training data (the search never trains on it).
  CompressSettings settings;
  settings.model_path = o.model;
  settings.accuracy_budget = o.accuracy_budget;
  settings.train = o.data;
  settings.train_labels = o.labels;
  settings.finetune_samples = o.finetune_samples;
  settings.retrain_rounds = o.retrain_rounds;
  settings.lr = o.lr;
  settings.polish_epochs = o.polish_epochs;
  settings.stretch_epochs = o.stretch_epochs;
  for (const auto& w : o.without) {
    if (w == "activations") settings.activation_moves = false;
    if (w == "decompose") settings.decompose_moves = false;
    if (w == "int8") settings.int8_phase = false;
  }
  settings.threads = o.common.threads;
  settings.seed = o.common.seed;
  settings.time_budget_s = o.time_budget;
  std::string val_data = o.val_data, val_labels = o.val_labels;
  if (val_data.empty()) {
    auto n = readNpy(o.labels);
    if (!n) return reportError(cmd, n.error());
    const int64_t total = n->rank() ? n->dims()[0] : 0;
    const int64_t held = o.val_samples > 0 ? o.val_samples : std::clamp<int64_t>(total / 10, 1, 5000);
    auto split = splitTrainingData(o.data.path, o.labels, held, o.common.seed, workdir);
    if (!split) return reportError(cmd, split.error());
    settings.train.path = split->train_data;
    settings.train_labels = split->train_labels;
    val_data = split->val_data;
    val_labels = split->val_labels;
  }
  Sets sets;
  {
    auto val = loadSet(original, o.data, val_data, val_labels, o.val_data.empty() ? 0 : o.val_samples);
    if (!val) return reportError(cmd, val.error());
    sets.val = std::move(*val);
    auto probe = loadSet(original, o.data, val_data, val_labels, std::min<int64_t>(1000, sets.val.samples));
    if (!probe) return reportError(cmd, probe.error());
    sets.probe = std::move(*probe);
    auto energy_probe = loadSet(original, o.data, val_data, val_labels, std::min<int64_t>(64, sets.val.samples));
    if (!energy_probe) return reportError(cmd, energy_probe.error());
    sets.energy_probe = std::move(*energy_probe);
    if (!o.test_data.empty()) {
      auto test = loadSet(original, o.data, o.test_data, o.test_labels, 0);
      if (!test) return reportError(cmd, test.error());
      sets.test = std::move(*test);
      sets.has_test = true;
    }
  }

  CompressMeter meter(*goals, o.accel, o.measure == "cpu", sets.energy_probe, o.common.threads);
  if (int rc = reportStatus(cmd, meter.init())) return rc;
  CompressSearch search(settings, meter, sets.val, sets.probe);

  // Resume from the workdir's checkpoint, or start.
  const std::string print = fingerprint(loaded->sha256, o);
  const fs::path state_path = fs::path(workdir) / "state.json", model_path = fs::path(workdir) / "current.onnx";
  CompressState state;
  Model current = original;
  bool resumed = false;
  if (!own_workdir && fs::exists(state_path)) {
    auto text = readFile(state_path.string());
    if (!text) return reportError(cmd, text.error());
    nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.contains("fingerprint"))
      return reportError(cmd, Error(Exit::Input, "cannot resume from '", state_path.string(), "': not a compress state"));
    if (j["fingerprint"] != print)
      return reportError(cmd, Error(Exit::Input, "cannot resume from '", workdir,
                                    "': it holds a search of another model or other settings")
                                  .withHint("use a new --workdir, or the options of the search that made it"));
    auto s = compressStateFromJson(j["state"]);
    if (!s) return reportError(cmd, s.error());
    auto m = loadModel(model_path.string());
    if (!m) return reportError(cmd, m.error());
    state = std::move(*s);
    current = std::move(*m);
    resumed = true;
    note(o.common, "dnnc: compress: resuming from " + workdir + " at step " + std::to_string(state.steps.size()) +
                       " (" + state.phase + ")");
  } else {
    auto s = search.start(original);
    if (!s) return reportError(cmd, s.error());
    state = std::move(*s);
  }
  if (resumed && state.phase == "done") state.stop_reason.clear();

  auto distance = [&](const std::vector<double>& values) { return goalDistance(*goals, values, state.original.values); };
  const double start_distance = distance(state.original.values);
  auto summary = [&](const CompressState& s) {
    // On the stretch's way accuracy may go further down; its long retraining must come back above the floor.
    std::string t = "top-1 " + formatFixed(s.current.accuracy, 2) + " % (floor " +
                    formatFixed(search.floorAccuracy(s, "polish"), 2) +
                    (s.phase == "stretch" ? ", the way's " + formatFixed(search.floorAccuracy(s, "stretch"), 2) : "") + ")";
    for (size_t i = 0; i < goals->size(); ++i)
      t += ", " + resourceName((*goals)[i].resource) + " " + ratioText((*goals)[i], s.current.values[i], s.original.values[i], onnx_bytes) +
           " (goal " + goalText((*goals)[i]) + ")";
    return t;
  };

  installInterruptHandler();
  CompressHooks hooks;
  hooks.stop_requested = [] { return g_stop.load(); };
  hooks.checkpoint = [&](const CompressState& s, const Model& m) -> Status {
    if (own_workdir) return {};
    DNNC_TRY(saveModel(m, model_path.string()));
    nlohmann::json j = {{"fingerprint", print}, {"model", o.model}, {"state", toJson(s)}};
    DNNC_TRY(writeFileAtomic(state_path.string(), j.dump(1) + "\n"));
    return writeFileAtomic((fs::path(workdir) / "trajectory.csv").string(), trajectoryCsv(s, meter));
  };
  // A new search checkpoints its start: killed in its first step (minutes on a big model), a rerun resumes
  // without measuring the original again.
  if (!resumed)
    if (int rc = reportStatus(cmd, hooks.checkpoint(state, current))) return rc;
  const double run_start = state.seconds;
  hooks.progress = [&](const CompressState& s, const std::string& what) {
    if (o.common.quiet) return;
    std::string line = "dnnc: compress: step " + std::to_string(s.steps.size() + (what.empty() ? 0 : 1));
    if (!what.empty()) {
      std::cerr << line << ": " << what << "\n";
      return;
    }
    const CompressStep& st = s.steps.back();
    line += " " + st.phase + " " + st.move + " " + st.layer + ": top-1 " + formatFixed(st.accuracy, 2) + " % -> " +
            (st.accepted ? "kept" : "rejected") + " (" + duration(st.seconds) + ")";
    // ETA: the rate at which the goal distance has fallen so far (log scale), continued to 1.
    const double d = distance(s.current.values), spent = s.seconds - run_start;
    double eta = -1;
    if (d <= 1) eta = 0;
    else if (start_distance > d && spent > 0 && s.seconds > 0)
      eta = s.seconds * std::log(d) / (std::log(start_distance) - std::log(d));
    if (o.time_budget > 0) {
      const double left = std::max(0.0, o.time_budget - spent);
      eta = eta < 0 ? left : std::min(eta, left);
    }
    // The stretch's way is not a model within the budget (yet): not called best.
    std::cerr << line << (s.phase == "stretch" ? "\n  way: " : "\n  best: ") << summary(s) << "; " << duration(s.seconds) << " so far, eta " << duration(eta)
              << "\n";
  };
  if (!o.common.quiet)
    std::cerr << "dnnc: compress: " << (resumed ? "best so far: " : "original: ") << summary(state) << "; "
              << sets.val.samples << " held-out samples\n";

  Status searched = search.run(state, current, hooks);
  if (!searched.ok()) return reportStatus(cmd, searched);
  if (g_stop) note(o.common, "dnnc: compress: interrupted; writing the best model found");

  // Outputs: the best model as ONNX and packed.
  if (int rc = reportStatus(cmd, saveModel(current, out_onnx))) return rc;
  auto packed = pack::packModel(current.proto);
  if (!packed) return reportError(cmd, packed.error());
  if (int rc = reportStatus(cmd, pack::writePacked(*packed, out_dnnc)))
    return rc;

  // Test accuracy before and after, when a test set is given.
  double test_before = -1, test_after = -1;
  if (sets.has_test) {
    auto a = meter.accuracy(original, sets.test);
    auto b = meter.accuracy(current, sets.test);
    if (!a) return reportError(cmd, a.error());
    if (!b) return reportError(cmd, b.error());
    test_before = *a, test_after = *b;
  }
  const bool met = distance(state.current.values) <= 1.0;

  // The report.
  Report r(cmd);
  r.addInput(o.model, loaded->sha256);
  nlohmann::json& root = r.root();
  root["outputs"] = {out_onnx, out_dnnc};
  root["met"] = met;
  root["stop_reason"] = state.stop_reason.empty() ? (met ? "goals met" : "no further step keeps the accuracy")
                                                  : state.stop_reason;
  root["seconds"] = state.seconds;
  root["accuracy"] = {{"metric", "top-1 (%) on the held-out set"},
                      {"held_out_samples", sets.val.samples},
                      {"budget_points", o.accuracy_budget},
                      {"original", state.original.accuracy},
                      {"final", state.current.accuracy},
                      {"floor", state.original.accuracy - o.accuracy_budget}};
  if (sets.has_test) root["test_accuracy"] = {{"samples", sets.test.samples}, {"original", test_before}, {"final", test_after}};
  root["targets"] = nlohmann::json::array();
  for (size_t i = 0; i < goals->size(); ++i) {
    const ResourceGoal& g = (*goals)[i];
    const double orig = state.original.values[i], now = state.current.values[i], goal = g.goal(orig);
    // Size ratios are against the input .onnx file; the rest against the input model's own value.
    const double reference = isSize(g) ? onnx_bytes : orig;
    root["targets"].push_back({{"target", g.text}, {"resource", resourceName(g.resource)}, {"unit", meter.unit(i)},
                               {"original", orig}, {"reference", reference}, {"goal", goal}, {"final", now},
                               {"ratio", now / reference}, {"met", now <= goal}, {"remaining_factor", now / goal}});
  }
  root["pipeline"] = [&] {
    std::string t;
    for (const auto& s : state.accepted) t += (t.empty() ? "" : ",") + s;
    return t;
  }();
  root["search"] = toJson(state);
  root["pareto"] = paretoFront(state);
  // The compare table, as rows.
  LayerTable before_table, after_table;
  if (auto t = buildLayerTable(original)) before_table = *t;
  if (auto t = buildLayerTable(current)) after_table = *t;
  auto packed_before = pack::packModel(original.proto);
  const double dnnc_before = packed_before ? double(packed_before->size) : -1;
  nlohmann::json compare = nlohmann::json::array();
  compare.push_back({{"metric", ".onnx -> .dnnc bytes"}, {"before", onnx_bytes}, {"after", double(packed->size)}});
  compare.push_back({{"metric", ".dnnc bytes"}, {"before", dnnc_before}, {"after", double(packed->size)}});
  compare.push_back({{"metric", "nonzero weights"}, {"before", before_table.nonzero_params}, {"after", after_table.nonzero_params}});
  compare.push_back({{"metric", "held-out top-1 (%)"}, {"before", state.original.accuracy}, {"after", state.current.accuracy}});
  if (sets.has_test) compare.push_back({{"metric", "test top-1 (%)"}, {"before", test_before}, {"after", test_after}});
  for (size_t i = 0; i < goals->size(); ++i)
    if (!isSize((*goals)[i]))
      compare.push_back({{"metric", resourceName((*goals)[i].resource) + " (" + meter.unit(i) + ")"},
                         {"before", state.original.values[i]}, {"after", state.current.values[i]}});
  root["compare"] = compare;
  std::string techniques_text;
  if (o.techniques) {
    // What each accelerator technique would buy on the input and on the result, on the held-out data.
    energy::EnergyRequest request;
    request.accel = o.accel;
    request.data = o.data;
    request.data.path = val_data;
    request.threads = o.common.threads;
    auto before = energy::techniqueEnergies(o.model, request);
    if (!before) return reportError(cmd, before.error());
    auto after = energy::techniqueEnergies(out_onnx, request);
    if (!after) return reportError(cmd, after.error());
    auto spec = energy::loadAcceleratorSpec(o.accel);
    if (!spec) return reportError(cmd, spec.error());
    const double unit = spec->mac_energy_pj.value;
    root["techniques"] = {{"before", energy::techniqueJson(*before, unit)}, {"after", energy::techniqueJson(*after, unit)}};
    techniques_text = energy::formatTechniques(*before, *after, o.accel, unit);
  }

  const std::string csv_path = !o.csv.empty() ? o.csv : own_workdir ? "" : (fs::path(workdir) / "trajectory.csv").string();
  if (!csv_path.empty())
    if (int rc = reportStatus(cmd, writeFileAtomic(csv_path, trajectoryCsv(state, meter)))) return rc;
  if (int rc = reportStatus(cmd, emitHtml(r, o.html))) return rc;
  if (!o.common.json.empty())
    if (int rc = emitJson(cmd, r, o.common)) return rc;

  if (!o.common.quiet) {
    std::ostream& os = o.common.json == "-" ? std::cerr : std::cout;
    TextTable t({"", "before", "after", "ratio"});
    t.alignRight({1, 2, 3});
    for (const auto& row : compare) {
      const double b = row["before"].get<double>(), a = row["after"].get<double>();
      const bool pct = row["metric"].get<std::string>().find('%') != std::string::npos;
      t.addRow({row["metric"].get<std::string>(), pct ? formatFixed(b, 2) : tableValue(b), pct ? formatFixed(a, 2) : tableValue(a),
                pct ? formatFixed(a - b, 2) + " pt" : a > 0 && b > 0 ? formatFixed(b / a, 2) + "x" : "-"});
    }
    os << t.render();
    if (!techniques_text.empty()) os << techniques_text;
    os << "steps: " << state.steps.size() << " (" << state.accepted.size() << " kept), " << duration(state.seconds)
       << "; wrote " << out_onnx << " and " << out_dnnc << "\n";
  }
  if (!met) {
    std::string why = "dnnc: compress: target not reached:";
    for (size_t i = 0; i < goals->size(); ++i) {
      const ResourceGoal& g = (*goals)[i];
      if (state.current.values[i] <= g.goal(state.original.values[i])) continue;
      why += " " + g.text + " reached " + ratioText(g, state.current.values[i], state.original.values[i], onnx_bytes) + ",";
    }
    why += " within " + formatDouble(o.accuracy_budget) + " pt (" + root["stop_reason"].get<std::string>() +
           "); the best model found was written";
    std::cerr << why << "\n";
    return int(Exit::Target);
  }
  return 0;
}

}  // namespace

void setupCompress(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<CompressOptions>();
  auto* sub = app.add_subcommand("compress", "Search pruning and weight sharing, with retraining, for the smallest model within an accuracy budget");
  sub->add_option("MODEL", o->model, "ONNX model (a classifier)")->required();
  sub->add_option("-o,--output", o->output, "Output base: writes OUT.onnx and OUT.dnnc")->required();
  sub->add_option("--data", o->data.path, "Training inputs (.npy)")->required();
  sub->add_option("--labels", o->labels, "Training labels (.npy)")->required();
  sub->add_option("--accuracy-budget", o->accuracy_budget, "Points of held-out top-1 the model may lose")->required();
  sub->add_option("--target", o->targets,
                  "Goals: size=50x | size=40KB | energy=0.25 | latency=0.5 | macs=0.3 (comma-separated or repeated)")
      ->required();
  sub->add_option("--accel", o->accel, "Accelerator preset or spec for energy and modelled latency (default eyeriss-sparse)");
  sub->add_flag("--techniques", o->techniques,
                "Also report the energy of the input and the result with each accelerator technique added (zero gating, "
                "UCNN, SnaPEA, delta coding), measured on the held-out data");
  sub->add_option("--measure", o->measure, "latency: model (the accelerator's cycles) or cpu (dnnc's executor, ms)")
      ->check(CLI::IsMember({"model", "cpu"}));
  sub->add_option("--val-data", o->val_data, "Held-out inputs that score every step (default: a seeded split of --data)");
  sub->add_option("--val-labels", o->val_labels, "Held-out labels");
  sub->add_option("--val-samples", o->val_samples,
                  "Held-out samples: the split's size (default 10 % of --data, at most 5,000), or the first N of --val-data");
  sub->add_option("--test-data", o->test_data, "Test inputs: the final model is scored on them, before and after");
  sub->add_option("--test-labels", o->test_labels, "Test labels");
  sub->add_option("--time-budget", o->time_budget, "Seconds the search may take (the best model so far is written)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--workdir", o->workdir, "Checkpoint every step here; rerunning with it resumes the search");
  sub->add_option("--csv", o->csv, "Write the trajectory as CSV (default: WORKDIR/trajectory.csv)");
  addHtmlOption(sub, o->html);
  sub->add_option("--finetune-samples", o->finetune_samples, "Training samples of each retraining round (0: all)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--retrain-rounds", o->retrain_rounds,
                  "Retraining rounds at most per step, while each raises held-out accuracy (default 3)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--polish-epochs", o->polish_epochs, "Epochs of the final retraining, kept when within the accuracy budget (0: none, and no recover steps)")->check(CLI::NonNegativeNumber);
  sub->add_option("--stretch-epochs", o->stretch_epochs,
                  "Epochs of the long retraining that ends the stretch phase (default 16; 0: no "
                  "stretch)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--without", o->without,
                  "Kinds of move the search leaves out: activations (ThresholdedRelu cut-offs), decompose "
                  "(SVD/Tucker-2 factors), int8 (the final INT8 step); comma-separated")
      ->delimiter(',')
      ->check(CLI::IsMember({"activations", "decompose", "int8"}));
  sub->add_option("--lr", o->lr, "Learning rate of the retraining (SGD with momentum; default 0.003)");
  sub->add_flag("--force", o->force, "Allow OUT.onnx to overwrite the input");
  addPreprocessOptions(sub, o->data);
  addCommonOptions(sub, o->common);
  commands.push_back({sub, [o] { return runCompress(*o); }});
}

}  // namespace dnnc::cli
