#include "cli/command.h"

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "lib/support/atomic_file.h"

namespace dnnc::cli {

void addCommonOptions(CLI::App* app, CommonOptions& opts) {
  app->add_option("--json", opts.json, "Print the report as JSON (on stdout, or to FILE)")
      ->expected(0, 1)
      ->default_str("-")
      ->type_name("[FILE]");
  app->add_flag("-q,--quiet", opts.quiet, "No diagnostics or progress on stderr");
  app->add_flag("-v,--verbose", opts.verbose, "More detail on stderr (repeat for more)");
  app->add_option("--threads", opts.threads, "Worker threads (0: all cores)")->check(CLI::NonNegativeNumber);
  app->add_option("--seed", opts.seed, "Seed for every random choice");
}

int reportError(const std::string& command, const Error& e) {
  std::cerr << "dnnc: " << command << ": " << e.message() << "\n";
  if (!e.hint().empty()) std::cerr << "hint: " << e.hint() << "\n";
  return static_cast<int>(e.code());
}

int reportStatus(const std::string& command, const Status& st) { return st ? 0 : reportError(command, st.error()); }

std::string outputBeside(const std::string& input, const std::string& suffix) {
  std::filesystem::path p(input);
  return (p.parent_path() / (p.stem().string() + suffix)).string();
}

void addOutputOption(CLI::App* sub, std::string& output, const std::string& input, const CommonOptions& common,
                     const std::string& what, const std::string& suffix) {
  sub->add_option("-o,--output", output, what + " ('-' for stdout; default: MODEL" + suffix + " beside MODEL)");
  // After parsing, so that MODEL and --quiet are known. References stay valid: the options live as long as
  // the app (they are held by the command's shared options).
  sub->parse_complete_callback([sub, &output, &input, &common, suffix] {
    if (!output.empty() || input.empty()) return;
    if (input == "-") throw CLI::RequiredError("-o,--output (the model comes from stdin)");
    output = outputBeside(input, suffix);
    if (!common.quiet) std::cerr << "dnnc: " << sub->get_name() << ": writing " << output << "\n";
  });
}

Status checkOutputPath(const std::string& input, const std::string& output, bool force) {
  if (output.empty()) return Error(Exit::Usage, "no output given").withHint("use -o OUT ('-' for stdout)");
  if (!force && output != "-" && (output == input || sameFile(input, output)))
    return Error(Exit::Usage, "refusing to overwrite the input '", input, "'").withHint("pass --force to overwrite it");
  return {};
}

int emitJson(const std::string& command, const Report& report, const CommonOptions& opts) {
  return reportStatus(command, emitJsonStatus(report, opts));
}

Status emitJsonStatus(const Report& report, const CommonOptions& opts) { return writeFileAtomic(opts.json, report.dump()); }

CLI::Validator numberOrFraction() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        auto slash = text.find('/');
        if (slash == std::string::npos) return {};
        try {
          size_t used_a = 0, used_b = 0;
          double a = std::stod(text.substr(0, slash), &used_a);
          double b = std::stod(text.substr(slash + 1), &used_b);
          if (used_a != slash || used_b != text.size() - slash - 1 || b == 0.0) throw std::invalid_argument(text);
          char buf[64];
          std::snprintf(buf, sizeof buf, "%.17g", a / b);
          text = buf;
          return {};
        } catch (const std::exception&) {
          return "expected a number or a fraction A/B, got '" + text + "'";
        }
      },
      "NUMBER|A/B");
}

void addPreprocessOptions(CLI::App* app, DataOptions& data, const std::string& doc_prefix) {
  app->add_option("--scale", data.scale, doc_prefix + "Multiply inputs by this first (a number or a fraction such as 1/255)")
      ->transform(numberOrFraction());
  app->add_option("--mean", data.mean, doc_prefix + "Then subtract per channel: one value or a comma-separated list");
  app->add_option("--std", data.std, doc_prefix + "Then divide per channel: one value or a comma-separated list");
}

void addCalibrationOptions(CLI::App* app, Calibration& c) {
  app->add_option("--data", c.data.path, "Calibration samples for passes that need data: .npy, .npz (FILE.npz:NAME) or .pb");
  app->add_option("--labels", c.labels, "Class labels of the calibration samples (integer .npy/.npz/.pb)");
  app->add_option("--limit", c.limit, "Use only the first N calibration samples")->check(CLI::NonNegativeNumber);
  addPreprocessOptions(app, c.data);
}

void addInputShapeOption(CLI::App* app, InputShapeOptions& shapes) {
  app->add_option("--input-shape", shapes.given,
                  "Shape of a graph input with symbolic dims, NAME=1,3,224,224 (repeatable; the name may be left out "
                  "for a model with one input)")
      ->type_name("NAME=DIMS");
}

Expected<InputShapes> InputShapeOptions::resolve() const {
  InputShapes out;
  out.batch = batch;
  for (const auto& text : given) {
    DNNC_ASSIGN(auto entry, parseInputShape(text));
    out.given.push_back(std::move(entry));
  }
  return out;
}

void note(const CommonOptions& opts, const std::string& line) {
  if (!opts.quiet) std::cerr << line << "\n";
}

}  // namespace dnnc::cli
