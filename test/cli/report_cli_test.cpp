// dnnc report and --html: each kind of report rendered from real runs on the bundled models (and one zoo
// model), checked against what the runs themselves say (layer names, file sizes on disk), --html equal to
// dnnc report on the --json file, and exit 3 naming the file for what it cannot render. The pages in a
// browser: test/report/browser_report_test.py.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "test/support/test_support.h"

using namespace dnnc::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kData = {"--data", testData("fashion_test_2000_images.npy"), "--labels",
                                        testData("fashion_test_2000_labels.npy"), "--limit", "100", "--scale", "1/255",
                                        "--mean", "0.2860", "--std", "0.3530"};

std::vector<std::string> withData(std::vector<std::string> args) {
  args.insert(args.end(), kData.begin(), kData.end());
  return args;
}

void run(const std::vector<std::string>& args) {
  auto r = runDnnc(args);
  INFO(args[0] << ": " << r.err);
  REQUIRE(r.exit_code == 0);
}

std::string report(const std::vector<std::string>& inputs, const std::string& out) {
  std::vector<std::string> args = {"report"};
  args.insert(args.end(), inputs.begin(), inputs.end());
  args.insert(args.end(), {"-o", out, "-q"});
  run(args);
  return readBytes(out);
}

std::vector<std::string> svgs(const std::string& html) {
  std::vector<std::string> out;
  for (size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1))
    out.push_back(html.substr(at, html.find("</svg>", at) + 6 - at));
  return out;
}

// Every chart draws something, and the page loads nothing and runs nothing.
void checkPage(const std::string& html, size_t charts) {
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("href=") == std::string::npos);
  auto all = svgs(html);
  CHECK(all.size() == charts);
  for (const auto& s : all) CHECK((s.find("class=\"bar\"") != std::string::npos || s.find("<polyline") != std::string::npos));
}

std::vector<double> barHeights(const std::string& svg) {
  std::vector<double> h;
  static const std::regex bar("<rect class=\"bar\"[^>]* height=\"([0-9.]+)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), bar); it != std::sregex_iterator(); ++it) h.push_back(std::stod((*it)[1]));
  return h;
}

}  // namespace

TEST_CASE("report renders energy per layer, and --html writes the same charts", "[report]") {
  const std::string dir = scratchDir("report_energy");
  run({"energy", testData("lenet5.onnx"), "--json", dir + "/e.json", "--html", dir + "/direct.html", "-q"});
  const std::string html = report({dir + "/e.json"}, dir + "/e.html");
  checkPage(html, 3);  // by level, by data type, share of MACs / energy / latency
  const json energy = json::parse(readBytes(dir + "/e.json"));  // named: a range-for over a temporary's member dangles
  for (const auto& l : energy["layers"]) CHECK(html.find(">" + l["name"].get<std::string>() + "<") != std::string::npos);
  CHECK(svgs(readBytes(dir + "/direct.html")) == svgs(html));
  CHECK(report({dir + "/e.json"}, dir + "/again.html") == html);  // deterministic

  run({"run", testData("lenet5.onnx"), "-o", dir + "/p.onnx", "--passes", "prune-structured(sparsity=0.5)", "-q", "--json", dir + "/run.json"});
  run({"energy", testData("lenet5.onnx"), dir + "/p.onnx", "--json", dir + "/e2.json", "-q"});
  checkPage(report({dir + "/e2.json"}, dir + "/e2.html"), 8);  // 3 per model, their totals, and layer by layer
  checkPage(report({dir + "/run.json"}, dir + "/run.html"), 1);
}

TEST_CASE("report's size waterfall goes from the .onnx file's size to the .dnnc file's", "[report]") {
  const std::string dir = scratchDir("report_pack");
  run({"run", testData("lenet5.onnx"), "-o", dir + "/p.onnx", "--passes", "prune-magnitude(sparsity=0.8)", "-q"});
  run({"pack", dir + "/p.onnx", "-o", dir + "/p.dnnc", "--json", dir + "/pack.json", "-q"});
  const std::string html = report({dir + "/pack.json"}, dir + "/pack.html");
  checkPage(html, 2);
  auto h = barHeights(svgs(html)[0]);
  REQUIRE(h.size() == 4);  // .onnx, weights coded, graph and framing, .dnnc
  const double onnx = double(fs::file_size(dir + "/p.onnx")), dnnc = double(fs::file_size(dir + "/p.dnnc"));
  CHECK(h[3] / h[0] == Approx(dnnc / onnx).epsilon(0.01));
}

TEST_CASE("report renders compare, sensitivity and batch results, and accuracy against compression", "[report]") {
  const std::string dir = scratchDir("report_accuracy");
  run({"run", testData("lenet5.onnx"), "-o", dir + "/p.onnx", "--passes", "prune-structured(sparsity=0.5)", "-q"});
  run(withData({"compare", testData("lenet5.onnx"), dir + "/p.onnx", "--threads", "1", "--json", dir + "/c.json", "--html",
                dir + "/c-direct.html", "-q"}));
  const std::string compare = report({dir + "/c.json"}, dir + "/c.html");
  checkPage(compare, 2);
  CHECK(svgs(readBytes(dir + "/c-direct.html")) == svgs(compare));
  CHECK(compare.find("Pareto front") != std::string::npos);

  run(withData({"sensitivity", testData("lenet5.onnx"), "--levels", "0.3,0.6,0.9", "--json", dir + "/s.json", "--html",
                dir + "/s-direct.html", "-q"}));
  const std::string sens = report({dir + "/s.json"}, dir + "/s.html");
  checkPage(sens, 1);
  const json s = json::parse(readBytes(dir + "/s.json"));
  // One curve per layer and the baseline, each with a point per level.
  CHECK(svgs(sens)[0].find("<polyline") != std::string::npos);
  size_t lines = 0;
  for (size_t at = sens.find("class=\"line\""); at != std::string::npos; at = sens.find("class=\"line\"", at + 1)) ++lines;
  CHECK(lines == s["sensitivity"]["layers"].size() + 1);

  fs::create_directories(dir + "/models");
  fs::copy_file(testData("lenet5.onnx"), dir + "/models/lenet5.onnx");
  fs::copy_file(testData("rescnn.onnx"), dir + "/models/rescnn.onnx");
  std::string evals;
  for (const auto& a : kData) evals += (evals.empty() ? "" : " ") + a;
  run({"batch", dir + "/models", "--recipe", "prune --sparsity 0.5", "--eval", evals, "-o", dir + "/b", "--html", dir + "/b-direct.html", "-q"});
  const std::string batch = report({dir + "/b", dir + "/c.json"}, dir + "/b.html");  // a folder stands for its summary.json
  checkPage(batch, 2 + 1 + 1);  // batch ratios and accuracy, compare's after/before, accuracy against compression
  checkPage(readBytes(dir + "/b-direct.html"), 3);
  CHECK(batch.find(">rescnn<") != std::string::npos);
}

TEST_CASE("report renders NetAdapt's trajectory, each step a point of accuracy against compression", "[report]") {
  const std::string dir = scratchDir("report_adapt");
  run({"adapt", testData("lenet5.onnx"), "-o", dir + "/a.onnx", "--budget", "macs=0.6", "--data", testData("fashion_train_5000_images.npy"),
       "--labels", testData("fashion_train_5000_labels.npy"), "--scale", "1/255", "--mean", "0.2860", "--std", "0.3530", "--limit", "1000",
       "--short-samples", "64", "--long-epochs", "0", "--val-samples", "200", "--iterations", "4", "--json", dir + "/a.json", "-q"});
  const std::string html = report({dir + "/a.json"}, dir + "/a.html");
  checkPage(html, 3);  // before/after, the trajectory, accuracy against compression
  const json a = json::parse(readBytes(dir + "/a.json"));
  size_t points = 0;
  for (size_t at = html.find("class=\"point\""); at != std::string::npos; at = html.find("class=\"point\"", at + 1)) ++points;
  CHECK(points == a["netadapt"]["trajectory"].size());
  // The last step's point: compression = MACs before / after (from the report's own totals), accuracy in %.
  static const std::regex tip("iteration ([0-9]+): ([0-9.]+)x, ([0-9.]+) %");
  std::smatch m;
  std::string last;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), tip); it != std::sregex_iterator(); ++it) last = it->str();
  REQUIRE(std::regex_match(last, m, tip));
  const json& n = a["netadapt"];
  CHECK(std::stod(m[2]) == Approx(n["resource_before"].get<double>() / n["resource_after"].get<double>()).epsilon(0.01));
  CHECK(std::stod(m[3]) == Approx(n["trajectory"].back()["accuracy"].get<double>()).epsilon(0.01));  // top-1 (%)
  CHECK(std::stod(m[3]) <= 100);
}

TEST_CASE("report renders a zoo model's energy and packed size", "[report][zoo]") {
  const std::string model = std::string(DNNC_BINARY_DIR) + "/zoo/squeezenet1_0.onnx";
  if (!fileExists(model)) {
    WARN("no zoo at " << DNNC_BINARY_DIR << "/zoo (ln -s /work/zoo build/zoo): skipped");
    return;
  }
  const std::string dir = scratchDir("report_zoo");
  run({"energy", model, "--json", dir + "/e.json", "-q"});
  run({"pack", model, "-o", dir + "/m.dnnc", "--json", dir + "/p.json", "-q"});
  const std::string html = report({dir + "/e.json", dir + "/p.json"}, dir + "/zoo.html");
  checkPage(html, 5);
  const json e = json::parse(readBytes(dir + "/e.json"));
  CHECK(barHeights(svgs(html)[0]).size() == 5 * e["layers"].size());  // five memory levels per layer
}

TEST_CASE("report refuses, naming the file, what it cannot render", "[report]") {
  const std::string dir = scratchDir("report_errors");
  run({"info", testData("lenet5.onnx"), "--json", dir + "/info.json"});
  auto r = runDnnc({"report", dir + "/info.json", "-o", dir + "/x.html"});
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("info.json") != std::string::npos);
  CHECK(r.err.find("'info'") != std::string::npos);
  writeBytes(dir + "/bad.json", "{\"command\": \"energy\",");
  r = runDnnc({"report", dir + "/bad.json", "-o", dir + "/x.html"});
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("bad.json") != std::string::npos);
  writeBytes(dir + "/partial.json", R"({"command": "energy", "model": "m.onnx", "layers": []})");
  r = runDnnc({"report", dir + "/partial.json", "-o", dir + "/x.html"});
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("partial.json") != std::string::npos);
  r = runDnnc({"report", dir + "/missing.json", "-o", dir + "/x.html"});
  CHECK(r.exit_code == 3);
  CHECK_FALSE(fileExists(dir + "/x.html"));
  CHECK(runDnnc({"report", dir + "/info.json"}).exit_code == 2);  // -o is required
}
