// dnnc finetune MODEL -o OUT --data X [--labels Y] [--teacher T.onnx] ...: retrains the model's weights
// in dnnc (lib/train): SGD with momentum or Adam, weight decay, step or cosine schedule, knowledge
// distillation (label-free without --labels), pruned weights kept at zero and shared weights shared.
#include <filesystem>
#include <iostream>

#include "cli/command.h"
#include "cli/progress.h"
#include "lib/ir/onnx_io.h"
#include "lib/report/table.h"
#include "lib/support/atomic_file.h"
#include "lib/support/format_double.h"
#include "lib/support/sha256.h"
#include "lib/train/finetune_job.h"

namespace dnnc::cli {

namespace {

struct FinetuneCmdOptions {
  std::string model, output, bn = "frozen";
  bool force = false, external_data = false;
  train::FinetuneJob job;
  CommonOptions common;
};

std::string pct(double v) { return v < 0 ? "-" : formatFixed(100.0 * v, 2) + " %"; }

int runFinetune(FinetuneCmdOptions& o) {
  const std::string cmd = "finetune";
  if (int rc = reportStatus(cmd, checkOutputPath(o.model, o.output, o.force))) return rc;
  if (o.output == "-" && o.common.json == "-")
    return reportError(cmd, Error(Exit::Usage, "-o - and --json both want stdout").withHint("use --json FILE"));
  auto bytes = readFile(o.model);
  if (!bytes) return reportError(cmd, bytes.error());
  std::string base = std::filesystem::path(o.model).parent_path().string();
  auto model = parseModel(*bytes, o.model, base.empty() ? "." : base);
  if (!model) return reportError(cmd, model.error());
  auto& opts = o.job.options;
  opts.threads = o.common.threads;
  opts.seed = o.common.seed;
  opts.bn_batch_stats = o.bn == "batch";
  if (opts.batch <= 0) return reportError(cmd, Error(Exit::Usage, "--batch must be positive"));
  if (opts.optimizer.lr <= 0) return reportError(cmd, Error(Exit::Usage, "--lr must be positive"));
  if (opts.loss.temperature <= 0 || opts.loss.alpha < 0 || opts.loss.alpha > 1)
    return reportError(cmd, Error(Exit::Usage, "--temperature must be positive and --alpha in [0, 1]"));

  ProgressLine progress(o.common, "finetune");
  int64_t last_epoch = 0;
  auto on_step = [&](int64_t epoch, int64_t done, int64_t total, double loss, double acc) {
    if (epoch != last_epoch) last_epoch = epoch;
    progress.update(done, total,
                    "epoch " + std::to_string(epoch) + "/" + std::to_string(opts.epochs) + ", loss " + formatFixed(loss, 4) +
                        ", " + (o.job.labels.empty() ? "agreement " : "accuracy ") + formatFixed(100.0 * acc, 2) + " %");
  };
  auto report = train::runFinetuneJob(*model, o.job, nullptr, on_step);
  if (!report) return reportError(cmd, report.error());
  if (int rc = reportStatus(cmd, saveModel(*model, o.output, {.external_data = o.external_data}))) return rc;

  Report r(cmd);
  r.addInput(o.model, sha256Hex(*bytes));
  r.root()["output"] = o.output;
  r.root()["finetune"] = train::finetuneReportJson(*report);
  if (!o.common.json.empty()) return emitJson(cmd, r, o.common);
  if (o.common.quiet) return 0;
  std::ostream& os = o.output == "-" ? std::cerr : std::cout;
  os << "objective: " << report->objective << ", " << withThousands(report->samples) << " samples, "
     << withThousands(report->params) << " params (" << withThousands(report->masked_zeros) << " pruned zeros kept)\n";
  if (report->val_accuracy_before >= 0) os << "validation accuracy before: " << pct(report->val_accuracy_before) << "\n";
  TextTable t({"epoch", "loss", o.job.labels.empty() ? "train agreement" : "train accuracy", "val accuracy", "lr", "seconds"});
  t.alignRight({0, 1, 2, 3, 4, 5});
  for (const auto& e : report->epochs)
    t.addRow({std::to_string(e.epoch), formatFixed(e.loss, 4), pct(e.train_accuracy), pct(e.val_accuracy),
              formatFixed(e.lr, 6), formatFixed(e.seconds, 1)});
  os << t.render();
  for (const auto& l : report->shared)
    os << "shared " << l.weight << " (" << l.form << "): " << withThousands(l.values_before) << " -> "
       << withThousands(l.values_after) << " distinct nonzero values\n";
  for (const auto& l : report->shared)
    if (l.form == "free")
      std::cerr << "dnnc: finetune: warning: '" << l.weight << "' held " << withThousands(l.values_before)
                << " distinct nonzero values, more than --shared-values " << opts.shared_values
                << ", and was trained freely: it now holds " << withThousands(l.values_after) << " (hint: --shared-values "
                << l.values_before << " keeps it shared)\n";
  if (report->lr_backoffs > 0)
    std::cerr << "dnnc: finetune: warning: training diverged at the learning rate asked for; " << report->lr_backoffs
              << " epoch(s) were undone and retried, ending at lr x" << formatDouble(report->lr_scale)
              << " (hint: a smaller --lr)\n";
  for (const auto& e : report->epochs)
    if (e.diverged)
      std::cerr << "dnnc: finetune: warning: epoch " << e.epoch << " diverged at every learning rate tried and was undone\n";
  return 0;
}

}  // namespace

void setupFinetune(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<FinetuneCmdOptions>();
  auto& j = o->job;
  auto* sub = app.add_subcommand("finetune", "Retrain weights (labels and/or knowledge distillation), keeping pruned weights at zero");
  sub->add_option("MODEL", o->model, "ONNX model")->required();
  addOutputOption(sub, o->output, o->model, o->common, "Output model", ".finetuned.onnx");
  sub->add_option("--data", j.data.path, "Training inputs: .npy, .npz (FILE.npz:NAME) or TensorProto .pb")->required();
  sub->add_option("--labels", j.labels, "Class labels; without them, distil label-free from --teacher");
  sub->add_option("--teacher", j.teacher, "Teacher model for knowledge distillation (e.g. the model before compression)");
  sub->add_option("--epochs", j.options.epochs, "Passes over the training data (default 1)")->check(CLI::NonNegativeNumber);
  sub->add_option("--lr", j.options.optimizer.lr, "Learning rate (default 0.01)");
  sub->add_option("--batch", j.options.batch, "Samples per step (default 64)");
  sub->add_option("--optimizer", j.options.optimizer.kind, "sgd (with momentum) or adam")->check(CLI::IsMember({"sgd", "adam"}));
  sub->add_option("--momentum", j.options.optimizer.momentum, "SGD momentum (default 0.9)");
  sub->add_option("--weight-decay", j.options.optimizer.weight_decay, "L2 weight decay (default 0)");
  sub->add_option("--schedule", j.options.schedule, "Learning-rate schedule: none, step (x0.1 at 50 % and 75 %), cosine")
      ->check(CLI::IsMember({"none", "step", "cosine"}));
  sub->add_option("--alpha", j.options.loss.alpha, "Weight of the label loss when distilling with labels (default 0.5)");
  sub->add_option("--temperature", j.options.loss.temperature, "Distillation temperature T (default 4)");
  sub->add_option("--bn", o->bn, "BatchNormalization while training: frozen (running statistics) or batch")
      ->check(CLI::IsMember({"frozen", "batch"}));
  sub->add_option("--val-data", j.val_data, "Held-out inputs, scored before training and after every epoch");
  sub->add_option("--val-labels", j.val_labels, "Held-out labels");
  sub->add_option("--limit", j.limit, "Use only the first N training samples");
  sub->add_option("--shared-values", j.options.shared_values,
                  "A weight with at most this many distinct nonzero values (a materialized shared layer) trains with "
                  "them tied, staying shared (default 256; 0: never)")
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("--force", o->force, "Allow -o to overwrite the input");
  sub->add_flag("--external-data", o->external_data, "Store weights in OUT.data beside the model (for models over 2 GiB)");
  addPreprocessOptions(sub, j.data);
  addCommonOptions(sub, o->common);
  commands.push_back({sub, [o] { return runFinetune(*o); }});
}

}  // namespace dnnc::cli
