// Sugar for the weight-sharing and quantisation passes:
//   dnnc share MODEL -o OUT [--bits B | --conv-bits 8 --fc-bits 5] [--method M] [--materialize]
//   dnnc quantize MODEL -o OUT [--per-channel] [--asymmetric]
// Each builds a one-pass pipeline (printed in the report) and runs it like `dnnc run`.
#include <filesystem>
#include <iostream>

#include "cli/pipeline_command.h"
#include "lib/report/table.h"
#include "passes/pass_results.h"

namespace dnnc::cli {

namespace {

std::string fmtOrDash(std::optional<double> v, int digits) { return v ? formatFixed(*v, digits) : "-"; }

std::string mseText(double value) {
  char mse[32];
  std::snprintf(mse, sizeof mse, "%.3g", value);
  return mse;
}

// share's rewrites: one per layer given a codebook.
void printSharedLayers(std::ostream& os, const nlohmann::json& pass) {
  TextTable t({"layer", "weight", "bits", "codebook", "nonzeros", "MSE", "SQNR dB"});
  t.alignRight({2, 3, 4, 5, 6});
  for (const auto& r : pass["rewrites"]) {
    if (!r["details"].contains("codebook_size")) continue;
    const auto d = r["details"].get<SharedLayerResult>();
    t.addRow({r["nodes"][0].get<std::string>(), d.weight, std::to_string(d.bits), std::to_string(d.codebook_size),
              withThousands(d.nonzeros), mseText(d.mse), fmtOrDash(d.sqnr_db, 1)});
  }
  os << t.render();
}

// quantize's rewrites: one per layer written as QDQ, with its number of scales (1, or one per channel).
void printQuantizedLayers(std::ostream& os, const nlohmann::json& pass) {
  TextTable t({"layer", "weight", "bits", "scales", "MSE", "SQNR dB"});
  t.alignRight({2, 3, 4, 5});
  for (const auto& r : pass["rewrites"]) {
    if (!r["details"].contains("scales")) continue;
    const auto d = r["details"].get<QuantizedLayerResult>();
    t.addRow({r["nodes"][0].get<std::string>(), d.weight, std::to_string(d.bits), withThousands(d.scales), mseText(d.mse),
              fmtOrDash(d.sqnr_db, 1)});
  }
  os << t.render();
}

void printSkipped(std::ostream& os, const nlohmann::json& pass) {
  for (const auto& s : pass["skipped"])
    os << "  skipped " << s["node"].get<std::string>() << ": " << s["reason"].get<std::string>() << "\n";
}

// A one-pass sugar command: runs the element like `dnnc run` and prints its layer table.
using LayerPrinter = void (*)(std::ostream&, const nlohmann::json&);

Status runSugar(const std::string& cmd, const PipelineCommandOptions& o, Expected<PipelineElement> element,
                LayerPrinter print_layers) {
  if (!element) return std::move(element).error();
  Pipeline pipeline;
  pipeline.elements.push_back(std::move(*element));
  DNNC_ASSIGN(PipelineRun run, runPipelineCommand(cmd, o, pipeline, {.fold_computed_weights = true}));
  Report report = pipelineReport(cmd, o, run);
  if (!o.common.json.empty()) return emitJsonStatus(report, o.common);
  if (!o.common.quiet) {
    std::ostream& os = summaryStream(o);
    os << "pipeline: " << run.pipeline.print() << "\n";
    print_layers(os, run.passes.back());
    printSkipped(os, run.passes.back());
  }
  return {};
}

struct ShareCmdOptions : PipelineCommandOptions {
  int bits = 0, conv_bits = 8, fc_bits = 5;
  std::string method = "linear-lloyd";
  bool materialize = false;
};

struct QuantizeCmdOptions : PipelineCommandOptions {
  bool per_channel = false, asymmetric = false;
};

}  // namespace

void setupShare(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<ShareCmdOptions>();
  auto* sub = app.add_subcommand("share", "Weight sharing: per-layer k-means codebooks (Deep Compression)");
  sub->add_option("--bits", o->bits, "Bits per index for every layer (overrides --conv-bits/--fc-bits)")->check(CLI::Range(1, 16));
  sub->add_option("--conv-bits", o->conv_bits, "Bits per index for Conv layers (default 8)")->check(CLI::Range(1, 16));
  sub->add_option("--fc-bits", o->fc_bits, "Bits per index for Gemm/MatMul layers (default 5)")->check(CLI::Range(1, 16));
  sub->add_option("--method", o->method, "linear-lloyd (default), optimal-1d or hessian")
      ->check(CLI::IsMember({"linear-lloyd", "optimal-1d", "hessian"}));
  sub->add_flag("--materialize", o->materialize, "Write plain float weights instead of Gather(codebook, indices)");
  // --data: the Hessian diagonal for --method hessian.
  addPipelineCommandOptions(sub, *o, true, ".shared.onnx");
  commands.push_back({sub, [o] {
                        auto element = passElement("share", {{"bits", std::to_string(o->bits)},
                                                             {"conv-bits", std::to_string(o->conv_bits)},
                                                             {"fc-bits", std::to_string(o->fc_bits)},
                                                             {"method", o->method},
                                                             {"materialize", o->materialize ? "true" : "false"}});
                        return reportStatus("share", runSugar("share", *o, std::move(element), printSharedLayers));
                      }});

  auto q = std::make_shared<QuantizeCmdOptions>();
  auto* qsub = app.add_subcommand("quantize", "Linear INT8 weights as QDQ (DequantizeLinear on int8/uint8 initializers)");
  qsub->add_flag("--per-channel", q->per_channel, "One scale per output channel instead of per tensor");
  qsub->add_flag("--asymmetric", q->asymmetric, "uint8 with a zero point instead of symmetric int8");
  addPipelineCommandOptions(qsub, *q, false, ".quantized.onnx");
  commands.push_back({qsub, [q] {
                        auto element = passElement("quantize", {{"granularity", q->per_channel ? "per-channel" : "per-tensor"},
                                                                {"scheme", q->asymmetric ? "asymmetric" : "symmetric"}});
                        return reportStatus("quantize", runSugar("quantize", *q, std::move(element), printQuantizedLayers));
                      }});
}

}  // namespace dnnc::cli
