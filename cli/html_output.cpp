#include "cli/html_output.h"

#include "lib/report/html_report.h"
#include "lib/support/atomic_file.h"

namespace dnnc::cli {

void addHtmlOption(CLI::App* app, std::string& html) {
  app->add_option("--html", html, "Also write the report as a self-contained HTML page with charts (see dnnc report)");
}

Status emitHtml(const Report& report, const std::string& path) {
  if (path.empty()) return {};
  const std::string command = report.root().value("command", "");
  DNNC_ASSIGN(std::string page, renderHtmlReport({{"this run of dnnc " + command, report.root()}}));
  return writeFileAtomic(path, page);
}

}  // namespace dnnc::cli
