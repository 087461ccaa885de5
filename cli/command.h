// Shared pieces of every subcommand: common options, error printing, output checks.
// Each cmd_<name>.cpp has an Options struct, setup(CLI::App&) and run(const Options&) -> int.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/analysis/shape_resolution.h"
#include "lib/exec/calibration.h"
#include "lib/exec/dataset.h"
#include "lib/report/report.h"
#include "lib/support/error.h"

namespace dnnc::cli {

struct CommonOptions {
  std::string json;  // "" = text output; "-" = JSON on stdout; else a file
  bool quiet = false;
  int verbose = 0;
  int threads = 0;
  uint64_t seed = 0;
};

// Adds --json [FILE], --quiet, -v, --threads, --seed.
void addCommonOptions(CLI::App* app, CommonOptions& opts);

// A subcommand: its CLI11 app and what to run when it was chosen.
struct Command {
  CLI::App* app;
  std::function<int()> run;
};
using CommandList = std::vector<Command>;

// Prints "dnnc: <command>: <message>" (and "hint: ..." when there is one); returns the exit code.
int reportError(const std::string& command, const Error& e);
// Same for a Status: 0 when ok.
int reportStatus(const std::string& command, const Status& st);

// -o OUT for a command whose output has a natural name: when -o is left out, OUT is the input's name with
// `suffix` in place of its extension, beside it ("model.onnx" -> "model.pruned.onnx" for ".pruned.onnx"),
// and the command says so on stderr (unless --quiet). Reading stdin, -o stays required.
void addOutputOption(CLI::App* sub, std::string& output, const std::string& input, const CommonOptions& common,
                     const std::string& what, const std::string& suffix);
std::string outputBeside(const std::string& input, const std::string& suffix);

// Refuses an output that is the input, unless --force; "-" is always allowed.
Status checkOutputPath(const std::string& input, const std::string& output, bool force);

// Writes a report as JSON to opts.json ("-" = stdout); returns 0 or the error's exit code.
int emitJson(const std::string& command, const Report& report, const CommonOptions& opts);
// The same for command bodies that return a Status.
Status emitJsonStatus(const Report& report, const CommonOptions& opts);

// Accepts a number or a fraction A/B ("1/255"), rewritten to its decimal value before CLI11 converts it.
CLI::Validator numberOrFraction();

// --scale, --mean, --std: the input preprocessing every data-consuming command accepts.
void addPreprocessOptions(CLI::App* app, DataOptions& data, const std::string& doc_prefix = "");

// --data, --labels, --limit and the preprocessing options, for commands whose passes need calibration data.
void addCalibrationOptions(CLI::App* app, Calibration& calibration);

// --input-shape NAME=DIMS (repeatable): concrete shapes for graph inputs with symbolic dims.
struct InputShapeOptions {
  std::vector<std::string> given;  // as typed
  int64_t batch = 0;               // set by commands that have their own --batch
  // The parsed request; Exit::Usage on a malformed value.
  Expected<InputShapes> resolve() const;
};
void addInputShapeOption(CLI::App* app, InputShapeOptions& shapes);

// Diagnostics go to stderr; --quiet silences them.
void note(const CommonOptions& opts, const std::string& line);

// The subcommands, each registering itself.
void setupInfo(CLI::App& app, CommandList& commands);
void setupRun(CLI::App& app, CommandList& commands);
void setupPasses(CLI::App& app, CommandList& commands);
void setupInfer(CLI::App& app, CommandList& commands);
void setupEval(CLI::App& app, CommandList& commands);
void setupStats(CLI::App& app, CommandList& commands);
void setupEnergy(CLI::App& app, CommandList& commands);
void setupPrune(CLI::App& app, CommandList& commands);
void setupSensitivity(CLI::App& app, CommandList& commands);
void setupDecompose(CLI::App& app, CommandList& commands);
void setupFinetune(CLI::App& app, CommandList& commands);
void setupPack(CLI::App& app, CommandList& commands);  // pack and unpack
void setupShare(CLI::App& app, CommandList& commands);  // share and quantize
void setupAdapt(CLI::App& app, CommandList& commands);
void setupCompress(CLI::App& app, CommandList& commands);
void setupCompare(CLI::App& app, CommandList& commands);
void setupBatch(CLI::App& app, CommandList& commands);
void setupReport(CLI::App& app, CommandList& commands);

}  // namespace dnnc::cli
