// dnnc batch: compress a whole model zoo with one command.
//   dnnc batch MANIFEST.yaml -o OUT [-j N] [--shard I/N] [--force] [--timeout S] [--max-memory 8G]
//   dnnc batch FOLDER --recipe "prune --sparsity 0.5" -o OUT       (every .onnx of a folder)
//   dnnc batch --merge OUT1 OUT2 ... -o OUT                         (join shards run elsewhere)
// Each model runs as its own dnnc process; results, models, reports and logs go under OUT, and
// OUT/summary.{md,csv,json} lists every model. A rerun skips what is done (see batch_runner.h).
#include <chrono>
#include <filesystem>
#include <iostream>

#include "cli/batch_manifest.h"
#include "cli/batch_runner.h"
#include "cli/batch_summary.h"
#include "cli/command.h"
#include "cli/html_output.h"
#include "lib/report/report.h"
#include "lib/report/table.h"

namespace dnnc::cli {

namespace fs = std::filesystem;

namespace {

struct BatchCmdOptions {
  std::string source, output, recipe, eval, energy, shard, max_memory, html;
  std::vector<std::string> merge;
  int jobs = 1;
  double timeout = 0;
  bool force = false;
  CommonOptions common;
};

Expected<std::vector<BatchJob>> loadJobs(const BatchCmdOptions& o) {
  BatchDefaults overrides;
  overrides.recipe = o.recipe;
  overrides.eval = o.eval;
  overrides.energy = o.energy;
  overrides.timeout_seconds = o.timeout;
  if (!o.max_memory.empty()) {
    DNNC_ASSIGN(overrides.max_memory_bytes, parseMemorySize(o.max_memory));
  }
  std::error_code ec;
  if (fs::is_directory(o.source, ec)) return folderJobs(o.source, overrides);
  if (!fs::exists(o.source, ec)) return Error(Exit::Input, "cannot read '", o.source, "': no such file or folder");
  return loadManifest(o.source, overrides);
}

int finish(const std::string& cmd, const BatchCmdOptions& o, const std::vector<nlohmann::json>& results) {
  if (int rc = reportStatus(cmd, writeSummary(o.output, results))) return rc;
  const int code = batchExitCode(results);
  Report report(cmd);
  report.root()["output"] = o.output;
  report.root()["models"] = results;
  report.root()["exit_code"] = code;
  if (int rc = reportStatus(cmd, emitHtml(report, o.html))) return rc;
  if (!o.common.json.empty()) {
    if (int rc = emitJson(cmd, report, o.common)) return rc;
  } else if (!o.common.quiet) {
    std::cout << summaryMarkdown(results);
  }
  return code;
}

int runBatchCmd(const BatchCmdOptions& o) {
  const std::string cmd = "batch";
  if (!o.merge.empty()) {
    if (!o.source.empty()) return reportError(cmd, Error(Exit::Usage, "--merge takes result folders, not a manifest"));
    auto results = readResults(o.merge);
    if (!results) return reportError(cmd, results.error());
    return finish(cmd, o, *results);
  }
  if (o.source.empty()) return reportError(cmd, Error(Exit::Usage, "give a manifest or a folder of models (or --merge)"));
  auto jobs = loadJobs(o);
  if (!jobs) return reportError(cmd, jobs.error());
  if (!o.shard.empty()) {
    auto shard = parseShard(o.shard);
    if (!shard) return reportError(cmd, shard.error());
    *jobs = shardOf(*jobs, shard->first, shard->second);
  }
  BatchRunOptions run;
  run.out_dir = o.output;
  run.jobs = o.jobs;
  run.force = o.force;
  run.threads = o.common.threads > 0 ? o.common.threads : 1;
  const auto start = std::chrono::steady_clock::now();
  size_t failed = 0;
  run.on_result = [&](const nlohmann::json& r, size_t finished, size_t total) {
    if (r["status"] != "ok") ++failed;
    if (o.common.quiet) return;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double eta = finished ? elapsed / double(finished) * double(total - finished) : 0;
    std::cerr << "batch: [" << finished << "/" << total << ", " << failed << " not ok] " << r["id"].get<std::string>() << " "
              << r["status"].get<std::string>() << (r.value("skipped", false) ? " (done before)" : "")
              << (finished < total ? ", ETA " + formatFixed(eta, 0) + " s" : "") << "\n";
  };
  auto results = runBatch(*jobs, run);
  if (!results) return reportError(cmd, results.error());
  return finish(cmd, o, *results);
}

}  // namespace

void setupBatch(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<BatchCmdOptions>();
  auto* sub = app.add_subcommand("batch", "Compress many models: a manifest or a folder, N at a time, resumable, shardable");
  sub->add_option("SOURCE", o->source, "Manifest (.yaml) or a folder of .onnx models");
  sub->add_option("-o,--output", o->output, "Output folder (results, models, reports, logs, summary)")->required();
  sub->add_option("--recipe", o->recipe, "The dnnc command line after MODEL, e.g. \"prune --sparsity 0.5\" (overrides the manifest's default)");
  sub->add_option("--eval", o->eval, "Score each model before and after with these dnnc eval flags, e.g. \"--data X --labels Y\"");
  sub->add_option("--energy", o->energy, "Compare modelled energy and latency before and after with these dnnc energy flags, e.g. \"--accel eyeriss\"");
  sub->add_option("-j,--jobs", o->jobs, "Models at once (default 1)")->check(CLI::PositiveNumber);
  sub->add_option("--shard", o->shard, "Run only share I/N of the models (the same split on every machine)");
  sub->add_option("--timeout", o->timeout, "Seconds per model before it is stopped (default: none)")->check(CLI::NonNegativeNumber);
  sub->add_option("--max-memory", o->max_memory, "Address-space cap per model, e.g. 8G (default: none)");
  sub->add_flag("--force", o->force, "Recompute models a previous run finished");
  sub->add_option("--merge", o->merge, "Join the results of these batch output folders (shards) into -o")->expected(1, -1);
  addHtmlOption(sub, o->html);
  addCommonOptions(sub, o->common);
  commands.push_back({sub, [o] { return runBatchCmd(*o); }});
}

}  // namespace dnnc::cli
