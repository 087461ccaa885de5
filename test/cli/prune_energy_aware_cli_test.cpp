// dnnc prune --energy-aware: sugar over prune-energy-aware, with its exit codes.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test/support/test_support.h"

using namespace dnnc::test;
using nlohmann::json;

namespace {
std::vector<std::string> args(std::vector<std::string> a) {
  for (const char* s : {"--data", "", "--labels", "", "--limit", "128", "--scale", "1/255", "--mean", "0.2860", "--std",
                        "0.3530", "--threads", "1"})
    a.push_back(s);
  a[a.size() - 13] = testData("fashion_test_2000_images.npy");
  a[a.size() - 11] = testData("fashion_test_2000_labels.npy");
  return a;
}
}  // namespace

TEST_CASE("prune --energy-aware writes a pruned model and the CVPR 2017 style report", "[prune-energy-aware-cli]") {
  std::string dir = scratchDir("pea-cli");
  auto r = runDnnc(args({"prune", "--energy-aware", testData("lenet300.onnx"), "-o", dir + "/small.onnx",
                         "--accuracy-budget", "2", "--accel", "eyeriss", "--json"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  json j = json::parse(r.out);
  CHECK(j["pipeline"].get<std::string>().rfind("prune-energy-aware(", 0) == 0);
  const json& s = j["passes"][0]["summary"];
  CHECK(s["layers"].size() == 3);
  CHECK(s["pruned"]["nonzero_weights"].get<int64_t>() < s["original"]["nonzero_weights"].get<int64_t>());
  // Eyeriss v1 neither skips nor compresses zero weights: the report says so.
  CHECK(s["note"].get<std::string>().find("unstructured") != std::string::npos);
  CHECK(fileExists(dir + "/small.onnx"));
}

TEST_CASE("prune --energy-aware: missing data is a usage error; an unreachable target exits 4", "[prune-energy-aware-cli]") {
  std::string dir = scratchDir("pea-cli-bad");
  auto no_data = runDnnc({"prune", "--energy-aware", testData("lenet300.onnx"), "-o", dir + "/x.onnx"});
  CHECK(no_data.exit_code == 2);
  auto mixed = runDnnc(args({"prune", "--energy-aware", "--sparsity", "0.5", testData("lenet300.onnx"), "-o", dir + "/x.onnx"}));
  CHECK(mixed.exit_code == 2);
  auto tight = runDnnc(args({"prune", "--energy-aware", testData("lenet300.onnx"), "-o", dir + "/x.onnx",
                             "--accuracy-budget", "0", "--target-energy", "0.01"}));
  CHECK(tight.exit_code == 4);
  CHECK(tight.err.find("not reachable") != std::string::npos);
  CHECK_FALSE(fileExists(dir + "/x.onnx"));
}
