// The parts of the HTML report, one renderer per command's `--json` document: charts (lib/report/svg_chart)
// and small tables, as HTML fragments. They read the keys docs/report-schema.md lists and throw
// nlohmann::json::exception where a key is missing or of the wrong type (html_report turns that into an
// input error naming the file).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lib/report/svg_chart.h"

namespace dnnc::report_html {

struct Section {
  std::string heading;  // plain text
  std::string html;     // the fragment: figures, tables, notes
};

// What one document contributes: its sections and its accuracy-against-compression points.
struct Rendered {
  std::vector<Section> sections;
  std::vector<svg::TradeoffGroup> tradeoffs;
};

// The command a document is from: its "command" key, or "batch" for a batch folder's summary.json (which
// has "models" and "exit_code" but no envelope). "" when neither.
std::string documentCommand(const nlohmann::json& doc);

Rendered energySections(const nlohmann::json& doc);
Rendered compareSections(const nlohmann::json& doc);
Rendered sensitivitySections(const nlohmann::json& doc);
Rendered packSections(const nlohmann::json& doc);
Rendered batchSections(const nlohmann::json& doc);
Rendered pipelineSections(const nlohmann::json& doc);  // run, prune, share, quantize, decompose, adapt
Rendered compressSections(const nlohmann::json& doc);

// HTML helpers shared by the renderers.
std::string escapeHtml(const std::string& text);
std::string figure(const std::string& svg, const std::string& caption);
std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

}  // namespace dnnc::report_html
