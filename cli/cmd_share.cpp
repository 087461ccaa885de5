// Sugar for the weight-sharing and quantisation passes:
//   dnnc share MODEL -o OUT [--bits B | --conv-bits 8 --fc-bits 5] [--method M] [--materialize]
//   dnnc quantize MODEL -o OUT [--per-channel] [--asymmetric]
// Each builds a one-pass pipeline (printed in the report) and runs it like `dnnc run`.
#include <filesystem>
#include <iostream>

#include "cli/command.h"
#include "lib/ir/onnx_io.h"
#include "lib/pass/pipeline.h"
#include "lib/report/table.h"
#include "lib/support/atomic_file.h"
#include "lib/support/sha256.h"
#include "passes/registry.h"

namespace dnnc::cli {

namespace {

struct SugarOptions {
  std::string model, output;
  bool force = false;
  CommonOptions common;
};

std::string fmtOrDash(const nlohmann::json& v, int digits) { return v.is_number() ? formatFixed(v.get<double>(), digits) : "-"; }

void printLayers(std::ostream& os, const nlohmann::json& pass) {
  TextTable t({"layer", "weight", "bits", "codebook", "nonzeros", "MSE", "SQNR dB"});
  t.alignRight({2, 3, 4, 5, 6});
  for (const auto& r : pass["rewrites"]) {
    const auto& d = r["details"];
    if (!d.contains("codebook_size")) continue;
    char mse[32];
    std::snprintf(mse, sizeof mse, "%.3g", d["mse"].get<double>());
    t.addRow({r["nodes"][0].get<std::string>(), d["weight"].get<std::string>(), std::to_string(d["bits"].get<int>()),
              std::to_string(d["codebook_size"].get<int>()), withThousands(d["nonzeros"].get<int64_t>()), mse,
              fmtOrDash(d["sqnr_db"], 1)});
  }
  os << t.render();
}

int runSugar(const std::string& cmd, const SugarOptions& o, const std::string& pipeline_text) {
  if (int rc = reportStatus(cmd, checkOutputPath(o.model, o.output, o.force))) return rc;
  const auto& registry = builtinPasses();
  auto pipeline = parsePipeline(pipeline_text, registry);
  if (!pipeline) return reportError(cmd, pipeline.error());
  auto bytes = readFile(o.model);
  if (!bytes) return reportError(cmd, bytes.error());
  std::string base = std::filesystem::path(o.model).parent_path().string();
  auto model = parseModel(*bytes, o.model, base.empty() ? "." : base);
  if (!model) return reportError(cmd, model.error());
  PassContext ctx;
  ctx.threads = o.common.threads;
  ctx.rng.seed(o.common.seed);
  auto passes = runPipeline(*model, *pipeline, registry, ctx, RunOptions{});
  if (!passes) return reportError(cmd, passes.error());
  if (int rc = reportStatus(cmd, saveModel(*model, o.output))) return rc;
  Report report(cmd);
  report.addInput(o.model, sha256Hex(*bytes));
  report.root()["output"] = o.output;
  report.root()["pipeline"] = pipeline->print();
  report.root()["passes"] = *passes;
  if (!o.common.json.empty()) return emitJson(cmd, report, o.common);
  if (!o.common.quiet) {
    std::ostream& os = o.output == "-" ? std::cerr : std::cout;
    os << "pipeline: " << pipeline->print() << "\n";
    printLayers(os, (*passes)[0]);
  }
  return 0;
}

struct ShareCmdOptions : SugarOptions {
  int bits = 0, conv_bits = 8, fc_bits = 5;
  std::string method = "linear-lloyd";
  bool materialize = false;
};

struct QuantizeCmdOptions : SugarOptions {
  bool per_channel = false, asymmetric = false;
};

}  // namespace

void setupShare(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<ShareCmdOptions>();
  auto* sub = app.add_subcommand("share", "Weight sharing: per-layer k-means codebooks (Deep Compression)");
  sub->add_option("MODEL", o->model, "ONNX model ('-' for stdin)")->required();
  sub->add_option("-o,--output", o->output, "Output ONNX model ('-' for stdout)")->required();
  sub->add_option("--bits", o->bits, "Bits per index for every layer (overrides --conv-bits/--fc-bits)")->check(CLI::Range(1, 16));
  sub->add_option("--conv-bits", o->conv_bits, "Bits per index for Conv layers (default 8)")->check(CLI::Range(1, 16));
  sub->add_option("--fc-bits", o->fc_bits, "Bits per index for Gemm/MatMul layers (default 5)")->check(CLI::Range(1, 16));
  sub->add_option("--method", o->method, "linear-lloyd (default), optimal-1d or hessian")
      ->check(CLI::IsMember({"linear-lloyd", "optimal-1d", "hessian"}));
  sub->add_flag("--materialize", o->materialize, "Write plain float weights instead of Gather(codebook, indices)");
  sub->add_flag("--force", o->force, "Allow the output to overwrite the input");
  addCommonOptions(sub, o->common);
  commands.push_back({sub, [o] {
                        std::string p = strCat("share(bits=", o->bits, ",conv-bits=", o->conv_bits, ",fc-bits=", o->fc_bits,
                                               ",method=", o->method, ",materialize=", o->materialize ? "true" : "false", ")");
                        return runSugar("share", *o, p);
                      }});

  auto q = std::make_shared<QuantizeCmdOptions>();
  auto* qsub = app.add_subcommand("quantize", "Linear INT8 weights as QDQ (DequantizeLinear on int8/uint8 initializers)");
  qsub->add_option("MODEL", q->model, "ONNX model ('-' for stdin)")->required();
  qsub->add_option("-o,--output", q->output, "Output ONNX model ('-' for stdout)")->required();
  qsub->add_flag("--per-channel", q->per_channel, "One scale per output channel instead of per tensor");
  qsub->add_flag("--asymmetric", q->asymmetric, "uint8 with a zero point instead of symmetric int8");
  qsub->add_flag("--force", q->force, "Allow the output to overwrite the input");
  addCommonOptions(qsub, q->common);
  commands.push_back({qsub, [q] {
                        std::string p = strCat("quantize(granularity=", q->per_channel ? "per-channel" : "per-tensor",
                                               ",scheme=", q->asymmetric ? "asymmetric" : "symmetric", ")");
                        return runSugar("quantize", *q, p);
                      }});
}

}  // namespace dnnc::cli
