// The SVG chart primitives and the HTML page: every chart is well-formed XML (checked by a small parser
// here, not by the renderer), bar and waterfall heights are proportional to the values, text is escaped,
// the Pareto front is the set of non-dominated points, and the page refuses what it cannot render.
#include <catch2/catch.hpp>
#include <cmath>
#include <regex>

#include "lib/report/html_report.h"
#include "lib/report/svg_chart.h"

using namespace dnnc;
using namespace dnnc::svg;

namespace {

// A strict little XML checker: tags nest, attribute values are quoted, '&' starts a known entity, and no
// raw '<' or '>' is left in text or attributes. Returns "" when well-formed, else what is wrong.
std::string xmlProblem(const std::string& s) {
  std::vector<std::string> open;
  size_t i = 0;
  auto entityOk = [&](size_t at) {
    static const std::regex entity("^&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);");
    return std::regex_search(s.substr(at, 12), entity);
  };
  while (i < s.size()) {
    if (s[i] == '&' && !entityOk(i)) return "bare & at " + std::to_string(i);
    if (s[i] == '>') return "bare > at " + std::to_string(i);
    if (s[i] != '<') {
      ++i;
      continue;
    }
    const bool closing = i + 1 < s.size() && s[i + 1] == '/';
    size_t j = i + (closing ? 2 : 1);
    size_t name_end = j;
    while (name_end < s.size() && (std::isalnum(static_cast<unsigned char>(s[name_end])) || s[name_end] == '-' || s[name_end] == ':'))
      ++name_end;
    const std::string name = s.substr(j, name_end - j);
    if (name.empty()) return "bad tag at " + std::to_string(i);
    j = name_end;
    bool self_closing = false;
    while (true) {
      while (j < s.size() && s[j] == ' ') ++j;
      if (j >= s.size()) return "unterminated tag " + name;
      if (s[j] == '>') break;
      if (s.compare(j, 2, "/>") == 0) {
        self_closing = true;
        ++j;
        break;
      }
      if (closing) return "attributes on a closing tag " + name;
      size_t eq = s.find('=', j);
      if (eq == std::string::npos || eq + 1 >= s.size() || s[eq + 1] != '"') return "unquoted attribute in " + name;
      size_t end = s.find('"', eq + 2);
      if (end == std::string::npos) return "unterminated attribute in " + name;
      const std::string value = s.substr(eq + 2, end - eq - 2);
      if (value.find('<') != std::string::npos || value.find('>') != std::string::npos) return "raw < or > in an attribute of " + name;
      for (size_t a = value.find('&'); a != std::string::npos; a = value.find('&', a + 1))
        if (!entityOk(eq + 2 + a)) return "bare & in an attribute of " + name;
      j = end + 1;
    }
    if (closing) {
      if (open.empty() || open.back() != name) return "</" + name + "> closes " + (open.empty() ? "nothing" : open.back());
      open.pop_back();
    } else if (!self_closing) {
      open.push_back(name);
    }
    i = j + 1;
  }
  return open.empty() ? "" : "unclosed <" + open.back() + ">";
}

// The heights of the <rect class="bar"> elements, in document order.
std::vector<double> barHeights(const std::string& svg) {
  std::vector<double> h;
  static const std::regex bar("<rect class=\"bar\"[^>]* height=\"([0-9.]+)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), bar); it != std::sregex_iterator(); ++it)
    h.push_back(std::stod((*it)[1]));
  return h;
}

size_t count(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (size_t at = s.find(needle); at != std::string::npos; at = s.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("the XML checker itself rejects what is not well-formed", "[report][svg]") {
  CHECK(xmlProblem("<svg><rect x=\"1\"/><text>a &amp; b</text></svg>").empty());
  CHECK_FALSE(xmlProblem("<svg><rect x=\"1\"></svg>").empty());
  CHECK_FALSE(xmlProblem("<svg><text>a & b</text></svg>").empty());
  CHECK_FALSE(xmlProblem("<svg><text>a < b</text></svg>").empty());
  CHECK_FALSE(xmlProblem("<svg x=1></svg>").empty());
  CHECK_FALSE(xmlProblem("<svg><g></svg></g>").empty());
}

TEST_CASE("grouped bars are as tall as their values, on one scale", "[report][svg]") {
  BarChart c;
  c.title = "t";
  c.categories = {"a", "b", "c"};
  c.series = {{"s", {1, 2, 4}}, {"u", {3, 0, 0.5}}};
  const std::string svg = renderBarChart(c);
  INFO(svg);
  CHECK(xmlProblem(svg).empty());
  auto h = barHeights(svg);  // category-major: a/s, a/u, b/s, b/u, c/s, c/u
  REQUIRE(h.size() == 6);
  CHECK(h[2] / h[0] == Approx(2).epsilon(0.01));
  CHECK(h[4] / h[0] == Approx(4).epsilon(0.01));
  CHECK(h[1] / h[0] == Approx(3).epsilon(0.01));
  CHECK(h[3] == Approx(0).margin(0.05));
  CHECK(count(svg, "<title>") >= 6);  // a tooltip per bar (and per category label)
}

TEST_CASE("stacked bars add up to the sum of their segments", "[report][svg]") {
  BarChart c;
  c.categories = {"conv1", "fc1"};
  c.series = {{"dram", {10, 40}}, {"rf", {30, 20}}};
  c.stacked = true;
  const std::string svg = renderBarChart(c);
  CHECK(xmlProblem(svg).empty());
  auto h = barHeights(svg);
  REQUIRE(h.size() == 4);
  CHECK(h[1] / h[0] == Approx(3).epsilon(0.01));
  CHECK((h[2] + h[3]) / (h[0] + h[1]) == Approx(60.0 / 40).epsilon(0.01));
}

TEST_CASE("text in charts is escaped", "[report][svg]") {
  BarChart c;
  c.title = "<script>alert('x')</script> & \"more\"";
  c.categories = {"a<b>&c"};
  c.series = {{"s&t", {1}}};
  const std::string svg = renderBarChart(c);
  CHECK(xmlProblem(svg).empty());
  CHECK(svg.find("<script") == std::string::npos);
  CHECK(svg.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;more&quot;") != std::string::npos);
  CHECK(svg.find("a&lt;b&gt;&amp;c") != std::string::npos);
  CHECK(escapeXml("a\x01z") == "a z");
}

TEST_CASE("lines, scatters and waterfalls are well-formed, empty or not", "[report][svg]") {
  LineChart l;
  l.series = {{"layer<1>", {10, 20, 30}, {90, 80, 40}, false}, {"baseline", {10, 30}, {93, 93}, true}};
  CHECK(xmlProblem(renderLineChart(l)).empty());
  CHECK(count(renderLineChart(l), "<circle") == 5);
  CHECK(xmlProblem(renderLineChart(LineChart{})).empty());
  ScatterChart s;
  s.groups = {{"m", {{"orig", 1, 90}, {"a", 2, 89}, {"b", 4, 70}}}};
  CHECK(xmlProblem(renderScatterChart(s)).empty());
  CHECK(count(renderScatterChart(s), "class=\"point\"") == 3);
  CHECK(xmlProblem(renderScatterChart(ScatterChart{})).empty());
  CHECK(xmlProblem(renderBarChart(BarChart{})).empty());
  CHECK(xmlProblem(renderWaterfallChart(WaterfallChart{})).empty());
}

TEST_CASE("a waterfall's steps float from the running sum and are as tall as their change", "[report][svg]") {
  WaterfallChart w;
  w.steps = {{".onnx", 1000, true}, {"weights", -600, false}, {"graph", 100, false}, {".dnnc", 500, true}};
  const std::string svg = renderWaterfallChart(w);
  CHECK(xmlProblem(svg).empty());
  auto h = barHeights(svg);
  REQUIRE(h.size() == 4);
  CHECK(h[1] / h[0] == Approx(0.6).epsilon(0.01));
  CHECK(h[2] / h[0] == Approx(0.1).epsilon(0.02));
  CHECK(h[3] / h[0] == Approx(0.5).epsilon(0.01));
  // The step down ends where the next one starts: y of the "weights" bar bottom equals the "graph" bar's.
  static const std::regex bar("<rect class=\"bar\" x=\"[0-9.]+\" y=\"([0-9.]+)\"[^>]* height=\"([0-9.]+)\"");
  std::vector<double> top;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), bar); it != std::sregex_iterator(); ++it) top.push_back(std::stod((*it)[1]));
  REQUIRE(top.size() == 4);
  CHECK(top[1] + h[1] == Approx(top[2] + h[2]).margin(0.2));  // 400 is the bottom of both
}

TEST_CASE("the Pareto front keeps exactly the points no other point beats on both axes", "[report][svg]") {
  std::vector<TradeoffPoint> pts = {{"a", 1, 90}, {"b", 2, 89}, {"c", 2, 85}, {"d", 3, 89}, {"e", 5, 60}, {"f", 4, 50}};
  auto front = paretoFront(pts);
  std::vector<std::string> labels;
  for (const auto& p : front) labels.push_back(p.label);
  // b is dominated by d (higher ratio, same accuracy); c by b and d; f by e.
  CHECK(labels == std::vector<std::string>{"a", "d", "e"});
  CHECK(paretoFront({}).empty());
}

TEST_CASE("numbers are shown short", "[report][svg]") {
  CHECK(shortNumber(0) == "0");
  CHECK(shortNumber(1500) == "1.5k");
  CHECK(shortNumber(2.5e6) == "2.5M");
  CHECK(shortNumber(250e6) == "250M");
  CHECK(shortNumber(0.25) == "0.25");
  CHECK(shortNumber(-3.89e6) == "-3.89M");
}

TEST_CASE("the HTML page renders what it knows and names the file it cannot render", "[report][html]") {
  nlohmann::json compress = {{"command", "compress"},
                             {"output", "m.small.onnx"},
                             {"trajectory", {{{"label", "start"}, {"accuracy", 0.9}, {"ratio", 1}},
                                             {{"label", "prune"}, {"accuracy", 0.88}, {"ratio", 3}},
                                             {{"label", "share"}, {"accuracy", 0.89}, {"ratio", 6}}}}};
  auto page = renderHtmlReport({{"c.json", compress}});
  REQUIRE(page);
  CHECK(page->find("<script") == std::string::npos);
  CHECK(page->find("http://") == page->find("http://www.w3.org/2000/svg"));  // the SVG namespace is the only URL
  CHECK(count(*page, "class=\"point\"") == 3);
  CHECK(xmlProblem(page->substr(page->find("<svg"), page->rfind("</svg>") + 6 - page->find("<svg"))).empty());

  auto unknown = renderHtmlReport({{"good.json", compress}, {"info.json", {{"command", "info"}}}});
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code() == Exit::Input);
  CHECK(unknown.error().message().find("'info.json'") != std::string::npos);
  auto malformed = renderHtmlReport({{"e.json", {{"command", "energy"}, {"model", "m.onnx"}}}});
  REQUIRE_FALSE(malformed);
  CHECK(malformed.error().code() == Exit::Input);
  CHECK(malformed.error().message().find("'e.json'") != std::string::npos);
  auto not_report = renderHtmlReport({{"x.json", nlohmann::json::array()}});
  REQUIRE_FALSE(not_report);
  CHECK(not_report.error().message().find("'x.json'") != std::string::npos);
}
