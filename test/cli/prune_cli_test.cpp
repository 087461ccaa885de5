// dnnc prune and dnnc sensitivity, end to end through the binary; references are other commands
// (dnnc eval), the saved weights themselves, and counts computed here.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "lib/ir/onnx_io.h"
#include "lib/ir/tensor.h"
#include "test/support/test_support.h"

using namespace dnnc;
using namespace dnnc::test;
using nlohmann::json;

namespace {

const std::vector<std::string> kPre = {"--scale", "0.00392156862745098", "--mean", "0.2860", "--std", "0.3530"};

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Zeros and size of every Conv/Gemm weight (input 1) in a saved model.
std::pair<int64_t, int64_t> weightZeros(const std::string& path, const std::string& only = "") {
  auto m = loadModel(path);
  REQUIRE(m.ok());
  int64_t zeros = 0, total = 0;
  for (const auto& n : m->graph().node()) {
    if (n.op_type() != "Gemm" && n.op_type() != "Conv") continue;
    if (!only.empty() && n.name() != only) continue;
    for (const auto& t : m->graph().initializer())
      if (t.name() == n.input(1)) {
        auto v = readTensor(t, ".")->toFloats();
        total += static_cast<int64_t>(v.size());
        for (float x : v) zeros += x == 0.0f;
      }
  }
  return {zeros, total};
}

int64_t evalCorrect(const std::string& model, int limit) {
  auto r = runDnnc(with({"eval", model, "--data", testData("fashion_test_2000_images.npy"), "--labels",
                         testData("fashion_test_2000_labels.npy"), "--limit", std::to_string(limit), "--json"}, kPre));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out)["top1_correct"].get<int64_t>();
}

bool hasPass(const std::string& name) {
  auto r = runDnnc({"passes", "--json"});
  const json j = json::parse(r.out);  // kept alive for the loop
  for (const auto& p : j["passes"])
    if (p["name"] == name) return true;
  return false;
}

}  // namespace

TEST_CASE("prune --sparsity zeroes that fraction of the weights and reports per layer", "[prune]") {
  std::string dir = scratchDir("prune_cli");
  auto r = runDnnc({"prune", testData("lenet300.onnx"), "-o", dir + "/p.onnx", "--sparsity", "0.9", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  json j = json::parse(r.out);
  CHECK(j["pipeline"] == "prune-magnitude(sparsity=0.9,granularity=element)");
  const auto& p = j["passes"][0];
  CHECK(p["rewrites"].size() == 3);
  auto [zeros, total] = weightZeros(dir + "/p.onnx");
  CHECK(total == 784 * 300 + 300 * 100 + 100 * 10);
  CHECK(zeros == std::llround(0.9 * double(total)));
  CHECK(p["summary"]["zeros"] == zeros);
  CHECK(j["after"]["nonzero_params"].get<int64_t>() == j["before"]["nonzero_params"].get<int64_t>() - zeros);
  // The text report names each layer and the total.
  auto t = runDnnc({"prune", testData("lenet300.onnx"), "-o", dir + "/q.onnx", "--sparsity", "0.5", "--granularity", "simd:4"});
  REQUIRE(t.exit_code == 0);
  CHECK(t.out.find("/fc2/Gemm") != std::string::npos);
  CHECK(t.out.find("total (layers pruned)") != std::string::npos);
  CHECK(t.out.find("50.00 %") != std::string::npos);
}

TEST_CASE("prune --layer-sparsity by module path and --skip by glob", "[prune]") {
  std::string dir = scratchDir("prune_cli");
  auto r = runDnnc({"prune", testData("lenet5.onnx"), "-o", dir + "/p.onnx", "--layer-sparsity", "fc1=0.95,conv2.weight=0.5",
                    "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto fc1 = weightZeros(dir + "/p.onnx", "/fc1/Gemm"), conv2 = weightZeros(dir + "/p.onnx", "/conv2/Conv");
  CHECK(fc1.first == std::llround(0.95 * double(fc1.second)));
  CHECK(conv2.first == std::llround(0.5 * double(conv2.second)));
  CHECK(weightZeros(dir + "/p.onnx", "/conv1/Conv").first == 0);
  auto s = runDnnc({"prune", testData("lenet5.onnx"), "-o", dir + "/s.onnx", "--sparsity", "0.8", "--skip", "/conv*", "--json"});
  REQUIRE(s.exit_code == 0);
  CHECK(weightZeros(dir + "/s.onnx", "/conv1/Conv").first == 0);
  CHECK(weightZeros(dir + "/s.onnx", "/conv2/Conv").first == 0);
  CHECK(weightZeros(dir + "/s.onnx", "/fc1/Gemm").first > 0);
}

TEST_CASE("prune refuses bad input with one line and exit 2, leaving no output", "[prune]") {
  std::string dir = scratchDir("prune_bad");
  // Gemm with a reduction dimension of 6.
  auto tiny = modelFromText(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[1, 6] x) => (float[1, 4] y)
    <float[4, 6] w = {1,2,3,4,5,6,1,2,3,4,5,6,1,2,3,4,5,6,1,2,3,4,5,6}>
    { y = Gemm <transB = 1> (x, w) })");
  writeBytes(dir + "/tiny.onnx", tiny.SerializeAsString());
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string needle;
  };
  const std::string lenet = testData("lenet300.onnx");
  std::vector<Case> cases = {
      {{"prune", lenet, "-o", dir + "/o.onnx", "--sparsity", "1"}, 2, "outside [0, 1)"},
      {{"prune", lenet, "-o", dir + "/o.onnx", "--sparsity", "-0.1"}, 2, "outside [0, 1)"},
      {{"prune", lenet, "-o", dir + "/o.onnx", "--layer-sparsity", "fc9=0.5"}, 2, "no weight layer named 'fc9'"},
      {{"prune", lenet, "-o", dir + "/o.onnx", "--sparsity", "0.5", "--skip", "fc7"}, 2, "no weight layer named 'fc7'"},
      {{"prune", dir + "/tiny.onnx", "-o", dir + "/o.onnx", "--sparsity", "0.5", "--granularity", "simd:8"}, 2,
       "does not fit layer"},
      {{"prune", lenet, "-o", dir + "/o.onnx", "--sparsity", "0.5", "--granularity", "block"}, 2, "unknown granularity"},
      {{"prune", lenet, "-o", dir + "/o.onnx", "--obd", "--sparsity", "0.5"}, 2, "Hessian diagonal on data"},
      {{"prune", lenet, "-o", dir + "/o.onnx"}, 2, "nothing to prune"},
      {{"prune", lenet, "-o", dir + "/o.onnx", "--activations", "--activation-sparsity", "0.5"}, 2, "--data"},
      {{"prune", lenet, "-o", dir + "/o.onnx", "--layer-sparsity", dir + "/missing.yaml"}, 3, "no such file"},
  };
  for (const auto& c : cases) {
    auto r = runDnnc(c.args);
    INFO(c.args[c.args.size() - 1] << ": " << r.err);
    CHECK(r.exit_code == c.code);
    CHECK(r.err.find(c.needle) != std::string::npos);
    CHECK(r.err.rfind("dnnc: prune: ", 0) == 0);
    CHECK(!fileExists(dir + "/o.onnx"));
  }
  // filter/channel go to prune-structured by name through the registry.
  auto f = runDnnc({"prune", lenet, "-o", dir + "/f.onnx", "--sparsity", "0.5", "--granularity", "filter"});
  if (hasPass("prune-structured")) {
    CHECK(f.exit_code == 0);
  } else {
    CHECK(f.exit_code == 2);
    CHECK(f.err.find("unknown pass 'prune-structured'") != std::string::npos);
  }
}

TEST_CASE("sensitivity matches dnnc eval of the same single-layer prune, and its schedule feeds prune", "[prune]") {
  std::string dir = scratchDir("sensitivity");
  const std::string images = testData("fashion_test_2000_images.npy"), labels = testData("fashion_test_2000_labels.npy");
  auto r = runDnnc(with({"sensitivity", testData("lenet300.onnx"), "--data", images, "--labels", labels, "--limit", "300",
                         "--levels", "0.5,0.9", "--budget", "1", "-o", dir + "/schedule.yaml", "--csv", dir + "/s.csv", "--json"},
                        kPre));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  json j = json::parse(r.out);
  const auto& s = j["sensitivity"];
  CHECK(s["baseline"]["correct"].get<int64_t>() == evalCorrect(testData("lenet300.onnx"), 300));
  REQUIRE(s["layers"].size() == 3);
  // fc2 alone at 0.9, pruned by `dnnc prune` and scored by `dnnc eval`.
  auto p = runDnnc({"prune", testData("lenet300.onnx"), "-o", dir + "/fc2.onnx", "--layer-sparsity", "/fc2/Gemm=0.9", "-q"});
  REQUIRE(p.exit_code == 0);
  CHECK(s["layers"][1]["layer"] == "/fc2/Gemm");
  CHECK(s["layers"][1]["granularities"]["element"][1]["correct"].get<int64_t>() == evalCorrect(dir + "/fc2.onnx", 300));
  auto csv = readBytes(dir + "/s.csv");
  CHECK(csv.rfind("layer,granularity,level,top1,correct,samples,drop_points\n", 0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 1 + 3 * 2);
  // The schedule: pruning with it stays within the 1-point budget on the same samples.
  REQUIRE(fileExists(dir + "/schedule.yaml"));
  auto q = runDnnc({"prune", testData("lenet300.onnx"), "-o", dir + "/sched.onnx", "--schedule", dir + "/schedule.yaml", "--json"});
  INFO(q.err);
  REQUIRE(q.exit_code == 0);
  const int64_t base = s["baseline"]["correct"].get<int64_t>();
  CHECK(double(base - evalCorrect(dir + "/sched.onnx", 300)) / 300.0 * 100.0 <= 1.0 + 1e-9);
  CHECK(json::parse(q.out)["passes"][0]["summary"]["zeros"].get<int64_t>() > 0);
  double scheduled = 0;
  for (const auto& [layer, level] : j["schedule"]["layers"].items()) scheduled += level.get<double>();
  CHECK(scheduled > 0);
}

TEST_CASE("sensitivity exits 4 when no schedule meets the budget, 2 on bad levels", "[prune]") {
  std::string dir = scratchDir("sensitivity_bad");
  auto base = with({"sensitivity", testData("lenet300.onnx"), "--data", testData("fashion_test_2000_images.npy"), "--labels",
                    testData("fashion_test_2000_labels.npy"), "--limit", "200"},
                   kPre);
  auto r = runDnnc(with(base, {"--levels", "0.98", "--budget", "0", "-o", dir + "/s.yaml", "-q"}));
  CHECK(r.exit_code == 4);
  CHECK(r.err.find("no schedule") != std::string::npos);
  CHECK(!fileExists(dir + "/s.yaml"));
  auto l = runDnnc(with(base, {"--levels", "0.5,1.2"}));
  CHECK(l.exit_code == 2);
  CHECK(l.err.find("outside [0, 1)") != std::string::npos);
  auto g = runDnnc(with(base, {"--granularity", "simd:400"}));
  CHECK(g.exit_code == 2);
  CHECK(g.err.find("does not fit layer '/fc2/Gemm'") != std::string::npos);
}

TEST_CASE("prune --activations swaps Relu for calibrated ThresholdedRelu and raises activation zeros", "[prune]") {
  std::string dir = scratchDir("prune_act");
  auto r = runDnnc(with({"prune", testData("lenet5.onnx"), "-o", dir + "/a.onnx", "--activations", "--activation-sparsity",
                         "0.8", "--data", testData("fashion_test_2000_images.npy"), "--labels",
                         testData("fashion_test_2000_labels.npy"), "--limit", "200", "--json"},
                        kPre));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  json j = json::parse(r.out);
  const auto& s = j["passes"][0]["summary"];
  CHECK(s["relus"] == 3);
  CHECK(s["relu_output_sparsity"].get<double>() == Approx(0.8).margin(0.03));
  CHECK(s["layer_input_sparsity"].get<double>() > s["layer_input_sparsity_before"].get<double>());
  CHECK(s.contains("top1"));
  auto m = loadModel(dir + "/a.onnx");
  REQUIRE(m.ok());
  int thresholded = 0;
  for (const auto& n : m->graph().node()) thresholded += n.op_type() == "ThresholdedRelu";
  CHECK(thresholded == 3);
  // dnnc stats, run separately on the output, sees the zeros the pass reports.
  auto st = runDnnc(with({"stats", dir + "/a.onnx", "--data", testData("fashion_test_2000_images.npy"), "--limit", "200",
                          "--json"},
                         kPre));
  REQUIRE(st.exit_code == 0);
  int64_t zeros = 0, count = 0;
  const json stats = json::parse(st.out);
  for (const auto& a : stats["activations"]) zeros += a["zeros"].get<int64_t>(), count += a["count"].get<int64_t>();
  CHECK(double(zeros) / double(count) == Approx(s["layer_input_sparsity"].get<double>()).margin(1e-9));
}

TEST_CASE("commands with a natural output name write it beside the input when -o is left out, and say so") {
  namespace fs = std::filesystem;
  const std::string dir = scratchDir("default-output");
  const std::string model = dir + "/lenet5.onnx";
  fs::copy_file(testData("lenet5.onnx"), model, fs::copy_options::overwrite_existing);
  const std::string original = readBytes(model);

  auto pruned = runDnnc({"prune", model, "--sparsity", "0.5"});
  INFO(pruned.err);
  REQUIRE(pruned.exit_code == 0);
  CHECK(pruned.err.find("writing " + dir + "/lenet5.pruned.onnx") != std::string::npos);
  REQUIRE(fileExists(dir + "/lenet5.pruned.onnx"));
  CHECK(readBytes(model) == original);  // the input is untouched
  auto info = runDnnc({"info", dir + "/lenet5.pruned.onnx", "--json"});
  REQUIRE(info.exit_code == 0);
  CHECK(nlohmann::json::parse(info.out)["model"]["nonzero_params"].get<int64_t>() < 431080 * 6 / 10);

  auto packed = runDnnc({"pack", dir + "/lenet5.pruned.onnx", "-q"});
  REQUIRE(packed.exit_code == 0);
  CHECK(packed.err.empty());  // --quiet: no note
  CHECK(fileExists(dir + "/lenet5.pruned.dnnc"));

  // From stdin there is no name to derive: -o stays required (a usage error, nothing written).
  auto from_stdin = runDnnc({"quantize", "-"}, original);
  CHECK(from_stdin.exit_code == 2);
  CHECK(from_stdin.err.find("stdin") != std::string::npos);
  // run has no natural name: its -o is required.
  CHECK(runDnnc({"run", model, "--passes", "dce"}).exit_code == 2);
}
