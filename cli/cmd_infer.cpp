// dnnc infer MODEL --data X -o OUT.npz [--outputs a,b]: runs the model over a data set in batches and
// writes every graph output (or the named values, intermediates included) as NumPy arrays.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "cli/command.h"
#include "cli/progress.h"
#include "lib/exec/dataset.h"
#include "lib/exec/executor.h"
#include "lib/exec/npy.h"
#include "lib/ir/onnx_io.h"
#include "lib/support/atomic_file.h"
#include "lib/support/sha256.h"

namespace dnnc::cli {

namespace {

struct InferOptions {
  std::string model, output, outputs;
  DataOptions data;
  int64_t batch = 32, limit = 0;
  bool force = false;
  CommonOptions common;
};

// "k/n samples" on one stderr line, redrawn; only on a TTY and without --quiet.
std::vector<std::string> splitNames(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// Joins per-batch values along axis 0; values without a batch axis are kept from the first batch.
Tensor concatBatches(const std::vector<Tensor>& parts, const std::vector<int64_t>& batch_sizes) {
  bool batched = true;
  for (size_t i = 0; i < parts.size(); ++i)
    batched &= parts[i].rank() > 0 && parts[i].dims()[0] == batch_sizes[i];
  if (!batched || parts.size() == 1) return parts[0];
  std::vector<int64_t> dims = parts[0].dims();
  dims[0] = 0;
  for (const auto& p : parts) dims[0] += p.dims()[0];
  Tensor out(parts[0].dtype(), dims);
  size_t off = 0;
  for (const auto& p : parts) {
    std::memcpy(out.rawData() + off, p.rawData(), p.sizeBytes());
    off += p.sizeBytes();
  }
  return out;
}

int runInfer(const InferOptions& o) {
  const std::string cmd = "infer";
  if (int rc = reportStatus(cmd, checkOutputPath(o.model, o.output, o.force))) return rc;
  if (o.output == "-" && o.common.json == "-")
    return reportError(cmd, Error(Exit::Usage, "-o - and --json both want stdout").withHint("use --json FILE"));
  if (o.batch <= 0) return reportError(cmd, Error(Exit::Usage, "--batch must be positive"));
  auto bytes = readFile(o.model);
  if (!bytes) return reportError(cmd, bytes.error());
  std::string base = std::filesystem::path(o.model).parent_path().string();
  auto model = parseModel(*bytes, o.model, base.empty() ? "." : base);
  if (!model) return reportError(cmd, model.error());
  auto exec = Executor::create(*model, {.threads = o.common.threads});
  if (!exec) return reportError(cmd, exec.error());
  if ((*exec)->inputs().size() != 1)
    return reportError(cmd, Error(Exit::Input, "the model has ", (*exec)->inputs().size(),
                                  " inputs; infer feeds models with exactly one"));
  ExecRunOptions run;
  run.fetch = splitNames(o.outputs);
  for (const auto& name : run.fetch)
    if (!(*exec)->hasValue(name))
      return reportError(cmd, Error(Exit::Usage, "the model has no value named '", name, "'")
                                  .withHint("'dnnc info MODEL' lists the graph; any node output can be fetched"));
  if (run.fetch.empty())
    for (const auto& out : (*exec)->outputs()) run.fetch.push_back(out.name);
  auto loader = openData(o.data, (*exec)->inputs()[0]);
  if (!loader) return reportError(cmd, loader.error());
  int64_t batch = o.batch;
  const auto& in_dims = (*exec)->inputs()[0].dims;
  if (!in_dims.empty() && in_dims[0] > 0) batch = in_dims[0];  // the model fixes its batch size
  const int64_t total = o.limit > 0 ? std::min(o.limit, (*loader)->samples()) : (*loader)->samples();

  std::vector<std::vector<Tensor>> parts(run.fetch.size());
  std::vector<int64_t> sizes;
  Tensor x;
  ProgressLine progress(o.common, "infer");
  auto start = std::chrono::steady_clock::now();
  int64_t done = 0;
  while (done < total) {
    auto more = (*loader)->next(std::min(batch, total - done), x);
    if (!more) return reportError(cmd, more.error());
    if (!*more) break;
    auto out = (*exec)->run({&x}, run);
    if (!out) return reportError(cmd, out.error());
    for (size_t i = 0; i < out->size(); ++i) parts[i].push_back(std::move((*out)[i]));
    sizes.push_back(x.dims()[0]);
    done += x.dims()[0];
    progress.update(done, total);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (done == 0) return reportError(cmd, Error(Exit::Input, "the data holds no samples"));
  std::vector<std::pair<std::string, Tensor>> arrays;
  for (size_t i = 0; i < run.fetch.size(); ++i) arrays.emplace_back(run.fetch[i], concatBatches(parts[i], sizes));
  auto npz = npzBytes(arrays);
  if (!npz) return reportError(cmd, npz.error());
  if (int rc = reportStatus(cmd, writeFileAtomic(o.output, *npz))) return rc;

  Report report(cmd);
  report.addInput(o.model, sha256Hex(*bytes));
  report.root()["data"] = o.data.path;
  report.root()["output"] = o.output;
  report.root()["samples"] = done;
  report.root()["batch"] = batch;
  report.root()["threads"] = (*exec)->threads();
  report.root()["seconds"] = seconds;
  nlohmann::json outs = nlohmann::json::array();
  for (const auto& [name, t] : arrays) outs.push_back({{"name", name}, {"dims", t.dims()}, {"dtype", dtypeName(t.dtype())}});
  report.root()["outputs"] = outs;
  if (!o.common.json.empty()) return emitJson(cmd, report, o.common);
  std::ostringstream msg;
  msg << "infer: " << done << " samples in " << seconds << " s; wrote";
  for (const auto& [name, t] : arrays) msg << " " << name << " " << dimsToString(t.dims());
  msg << " to " << o.output;
  note(o.common, msg.str());
  return 0;
}

}  // namespace

void setupInfer(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<InferOptions>();
  auto* sub = app.add_subcommand("infer", "Run a model on data and write its outputs as .npz");
  sub->add_option("MODEL", o->model, "ONNX model ('-' for stdin)")->required();
  sub->add_option("--data", o->data.path, "Input samples: .npy, .npz (FILE.npz:NAME for one of several) or TensorProto .pb")
      ->required();
  sub->add_option("-o,--output", o->output, "Output .npz ('-' for stdout)")->required();
  sub->add_option("--outputs", o->outputs, "Values to write, comma-separated (default: the graph outputs; any intermediate works)");
  sub->add_option("--batch", o->batch, "Samples per run (default 32; a model with a fixed batch dim uses that)");
  sub->add_option("--limit", o->limit, "Use only the first N samples");
  addPreprocessOptions(sub, o->data);
  sub->add_flag("--force", o->force, "Allow the output to overwrite the input");
  addCommonOptions(sub, o->common);
  commands.push_back({sub, [o] { return runInfer(*o); }});
}

}  // namespace dnnc::cli
