#include "lib/report/html_report.h"

#include <algorithm>
#include <functional>
#include <map>

#include "lib/report/report_sections.h"

namespace dnnc {

using report_html::Rendered;

namespace {

// Plain, printable, and readable without a stylesheet; the charts scroll sideways when a model has more
// layers than the page is wide. The policy forbids every fetch and every script: the page is its own world.
const char* const kHead = R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dnnc report</title>
<style>
body { font-family: 'Liberation Sans', Arial, sans-serif; color: #222; margin: 24px auto; max-width: 1200px; padding: 0 16px; }
h1 { font-size: 24px; margin-bottom: 4px; }
h2 { font-size: 19px; border-bottom: 1px solid #ccc; padding-bottom: 4px; margin-top: 36px; }
h3 { font-size: 16px; margin: 24px 0 8px; }
p { font-size: 14px; }
.source { color: #666; font-size: 13px; margin-top: 0; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: left; }
th { background: #f4f4f4; }
figure { margin: 12px 0 20px; }
figcaption { color: #555; font-size: 13px; max-width: 760px; }
.chart-scroll { overflow-x: auto; }
code { background: #f4f4f4; padding: 1px 4px; }
</style>
</head>
<body>
)";

using Renderer = std::function<Rendered(const nlohmann::json&)>;

const std::map<std::string, Renderer>& renderers() {
  static const std::map<std::string, Renderer> r = {
      {"energy", report_html::energySections},       {"compare", report_html::compareSections},
      {"sensitivity", report_html::sensitivitySections}, {"pack", report_html::packSections},
      {"batch", report_html::batchSections},         {"compress", report_html::compressSections},
      {"run", report_html::pipelineSections},        {"prune", report_html::pipelineSections},
      {"share", report_html::pipelineSections},      {"quantize", report_html::pipelineSections},
      {"decompose", report_html::pipelineSections},  {"adapt", report_html::pipelineSections}};
  return r;
}

std::string knownList() {
  std::string out;
  for (const auto& c : htmlReportCommands()) out += (out.empty() ? "" : ", ") + c;
  return out;
}

Expected<Rendered> renderDocument(const ReportDocument& d) {
  const std::string command = report_html::documentCommand(d.json);
  if (command.empty())
    return Error(Exit::Input, "cannot render '", d.path, "': not a dnnc --json report (no 'command' key)")
        .withHint("give the JSON of one of: " + knownList());
  auto it = renderers().find(command);
  if (it == renderers().end())
    return Error(Exit::Input, "cannot render '", d.path, "': dnnc report has no charts for '", command, "' reports")
        .withHint("it renders: " + knownList());
  try {
    return it->second(d.json);
  } catch (const std::exception& e) {
    return Error(Exit::Input, "cannot render '", d.path, "': not a well-formed dnnc ", command, " report: ", e.what());
  }
}

// One group per model across all documents (two batch summaries of the same model are one curve); a point
// given twice (the original model in each summary) is kept once.
void addTradeoffs(std::vector<svg::TradeoffGroup>& groups, svg::TradeoffGroup g) {
  auto it = std::find_if(groups.begin(), groups.end(), [&](const svg::TradeoffGroup& x) { return x.name == g.name; });
  if (it == groups.end()) {
    groups.push_back(std::move(g));
    return;
  }
  for (auto& p : g.points)
    if (std::none_of(it->points.begin(), it->points.end(), [&](const svg::TradeoffPoint& q) {
          return q.label == p.label && q.ratio == p.ratio && q.accuracy == p.accuracy;
        }))
      it->points.push_back(std::move(p));
}

}  // namespace

const std::vector<std::string>& htmlReportCommands() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [name, r] : renderers()) n.push_back(name);
    return n;
  }();
  return names;
}

Expected<std::string> renderHtmlReport(const std::vector<ReportDocument>& documents) {
  std::string body;
  std::vector<svg::TradeoffGroup> tradeoffs;
  for (const auto& d : documents) {
    DNNC_ASSIGN(Rendered r, renderDocument(d));
    body += "<section class=\"document\">\n<h2>dnnc " + report_html::escapeHtml(report_html::documentCommand(d.json)) + "</h2>\n" +
            "<p class=\"source\">" + report_html::escapeHtml(d.path) + "</p>\n";
    for (const auto& s : r.sections) body += "<h3>" + report_html::escapeHtml(s.heading) + "</h3>\n" + s.html;
    body += "</section>\n";
    for (auto& g : r.tradeoffs) addTradeoffs(tradeoffs, std::move(g));
  }
  if (!tradeoffs.empty()) {
    svg::ScatterChart c;
    c.title = "Accuracy against compression";
    c.x_label = "compression (before / after: nonzero parameters, or the target resource)";
    c.y_label = "accuracy (%)";
    c.groups = tradeoffs;
    body += "<section class=\"document\">\n<h2>Accuracy against compression</h2>\n" +
            report_html::figure(svg::renderScatterChart(c),
                                "Every result that reports accuracy, one colour per model; the dashed line joins the results "
                                "no other result beats on both accuracy and compression (the Pareto front).") +
            "</section>\n";
  }
  std::string files;
  for (const auto& d : documents) files += (files.empty() ? "" : ", ") + report_html::escapeHtml(d.path);
  return std::string(kHead) + "<h1>dnnc report</h1>\n<p class=\"source\">From " + files + "</p>\n" + body + "</body>\n</html>\n";
}

}  // namespace dnnc
