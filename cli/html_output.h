// --html FILE: the commands whose --json report has charts (compare, energy, sensitivity, batch, and
// compress) also write it as the self-contained HTML page `dnnc report` makes (lib/report/html_report).
#pragma once
#include <CLI/CLI.hpp>
#include <string>

#include "lib/report/report.h"
#include "lib/support/error.h"

namespace dnnc::cli {

// Adds --html FILE to a command.
void addHtmlOption(CLI::App* app, std::string& html);

// Renders the report's JSON as the HTML page and writes it atomically to path; nothing when path is "".
Status emitHtml(const Report& report, const std::string& path);

}  // namespace dnnc::cli
