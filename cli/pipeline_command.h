// The shared body of every command that runs passes on a model and writes it (run, prune, decompose,
// share, quantize, adapt): one set of options registered once, one load -> run -> save path, one report
// frame. A sugar command only turns its own flags into pipeline elements and renders its own summary.
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "cli/command.h"
#include "lib/analysis/layer_table.h"
#include "lib/pass/pipeline.h"
#include "lib/report/report.h"

namespace dnnc::cli {

struct PipelineCommandOptions {
  std::string model, output;
  bool force = false, verify_each = false, external_data = false;
  Calibration calibration;  // --data, --labels, --limit and the preprocessing (commands that take data)
  InputShapeOptions shapes;  // --input-shape
  CommonOptions common;
};

// MODEL, -o/--output, --force, --verify-each, --external-data, --input-shape, the common options, and the
// calibration options when the command's passes take data. With an output suffix (".pruned.onnx"), -o may
// be left out: the output goes beside the input under that name.
void addPipelineCommandOptions(CLI::App* sub, PipelineCommandOptions& o, bool with_calibration,
                               const std::string& output_suffix = "");

// One pipeline element, its parameters checked against the pass registry (Exit::Usage errors as `dnnc run`
// gives them): what sugar commands build instead of pipeline text.
Expected<PipelineElement> passElement(const std::string& pass, const std::map<std::string, std::string>& params);

// What a pipeline command did, for its report and text.
struct PipelineRun {
  std::string input_sha256;
  Pipeline pipeline;
  nlohmann::json passes;  // one entry per pass (runPipeline)
  LayerTable before, after;
  Model result;
};

struct PipelineRunHooks {
  // Runs on the transformed model before it is written (a failure leaves no output), with the model as
  // loaded when keep_input is set.
  std::function<Status(const Model* input, const Model& result)> before_save = {};
  bool keep_input = false;
  std::string progress_label = {};  // progress on stderr when set
  // Sugar commands that compress weights (prune, share, quantize): when a weight layer's weights are
  // computed from constants (PyTorch's LSTM export reorders the gates in the graph), fold-constants runs
  // first, visibly (it leads the pipeline in the report), so that those weights are compressed too.
  bool fold_computed_weights = false;
};

// Checks -o against the input, loads and validates the model, runs the pipeline with a context from the
// options (threads, seed, calibration data, input shapes, progress, --verify-each) and writes the result
// atomically (with --external-data).
Expected<PipelineRun> runPipelineCommand(const std::string& command, const PipelineCommandOptions& o,
                                         const Pipeline& pipeline, const PipelineRunHooks& hooks = {});

// The report every pipeline command starts from: input digest, output, pipeline, per-pass entries and
// before/after totals.
Report pipelineReport(const std::string& command, const PipelineCommandOptions& o, const PipelineRun& run);

// Where a command's text summary goes: stdout, or stderr when the model itself goes to stdout.
std::ostream& summaryStream(const PipelineCommandOptions& o);

}  // namespace dnnc::cli
