// dnnc report RESULT.json... -o report.html: dnnc's own --json reports (energy, compare, sensitivity, pack,
// batch summaries, the pipeline commands, compress) as one self-contained HTML page of SVG charts, with no
// script and nothing fetched. A batch output folder stands for its summary.json. Rendering:
// lib/report/html_report.
#include <filesystem>

#include "cli/command.h"
#include "lib/report/html_report.h"
#include "lib/support/atomic_file.h"

namespace dnnc::cli {
namespace {

struct ReportOptions {
  std::vector<std::string> inputs;
  std::string output;
  CommonOptions common;
};

Expected<ReportDocument> loadDocument(const std::string& given) {
  std::string path = given;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) path = (std::filesystem::path(path) / "summary.json").string();
  DNNC_ASSIGN(std::string text, readFile(path));
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded()) return Error(Exit::Input, "cannot read '", path, "': not valid JSON");
  return ReportDocument{path, std::move(doc)};
}

Status runReport(const ReportOptions& o) {
  std::vector<ReportDocument> documents;
  for (const auto& in : o.inputs) {
    DNNC_ASSIGN(ReportDocument d, loadDocument(in));
    documents.push_back(std::move(d));
  }
  DNNC_ASSIGN(std::string page, renderHtmlReport(documents));
  DNNC_TRY(writeFileAtomic(o.output, page));
  if (o.output != "-") note(o.common, "report: wrote " + o.output);
  return {};
}

}  // namespace

void setupReport(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<ReportOptions>();
  auto* sub = app.add_subcommand("report", "Charts of --json reports (energy, compare, sensitivity, pack, batch, ...) as one HTML page");
  sub->add_option("RESULT", o->inputs, "dnnc --json reports, or batch output folders (their summary.json)")->required();
  sub->add_option("-o,--output", o->output, "The HTML file to write ('-' for stdout)")->required();
  sub->add_flag("-q,--quiet", o->common.quiet, "No diagnostics on stderr");
  commands.push_back({sub, [o] { return reportStatus("report", runReport(*o)); }});
}

}  // namespace dnnc::cli
