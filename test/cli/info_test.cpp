#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "test/support/test_support.h"

using namespace dnnc::test;
using nlohmann::json;

TEST_CASE("info --json reports the documented keys for the bundled models") {
  for (const char* name : {"lenet300.onnx", "lenet5.onnx", "rescnn.onnx"}) {
    auto r = runDnnc({"info", testData(name), "--json"});
    INFO(name << ": " << r.err);
    REQUIRE(r.exit_code == 0);
    json j = json::parse(r.out);
    const auto& m = j["model"];
    for (const char* key : {"params", "nonzero_params", "macs", "weight_bytes", "layers"}) CHECK(m.contains(key));
    int64_t sum = 0;
    for (const auto& l : m["layers"]) {
      for (const char* key : {"name", "op", "params", "nonzero_params", "macs"}) CHECK(l.contains(key));
      sum += l["params"].get<int64_t>();
    }
    CHECK(sum == m["params"].get<int64_t>());
    CHECK(m["opset"] == 13);
    CHECK(j["inputs"][0]["sha256"].get<std::string>().size() == 64);
  }
}

TEST_CASE("info counts LeNet-300-100 exactly") {
  // 784*300+300 + 300*100+100 + 100*10+10 = 266,610 params; MACs per image = 784*300+300*100+100*10.
  auto r = runDnnc({"info", testData("lenet300.onnx"), "--json"});
  REQUIRE(r.exit_code == 0);
  json m = json::parse(r.out)["model"];
  CHECK(m["params"] == 266610);
  CHECK(m["macs"] == 266200);
  CHECK(m["weight_bytes"] == 266610 * 4);
}

TEST_CASE("info counts the weights of quantized and shared models where they are stored") {
  // quantize stores each weight as int8 behind DequantizeLinear, share as uint8 codebook indices behind
  // Gather(codebook, Cast(indices)): LeNet-300-100 keeps its 266,610 parameters either way, its three
  // Gemm weights at one byte each (784*300 + 300*100 + 100*10 = 266,200 elements) plus the float biases
  // (410) and the per-layer scales, zero points or codebooks.
  const std::string dir = scratchDir("info-compressed");
  for (const std::string cmd : {"quantize", "share"}) {
    const std::string out = dir + "/" + cmd + ".onnx";
    REQUIRE(runDnnc({cmd, testData("lenet300.onnx"), "-o", out, "-q"}).exit_code == 0);
    auto r = runDnnc({"info", out, "--json"});
    REQUIRE(r.exit_code == 0);
    json m = json::parse(r.out)["model"];
    INFO(cmd << ": " << m.dump());
    CHECK(m["params"] == 266610);
    CHECK(m["macs"] == 266200);
    const int64_t bytes = m["weight_bytes"].get<int64_t>();
    CHECK(bytes >= 266200 + 410 * 4);
    CHECK(bytes <= 266200 + 410 * 4 + 3 * 256 * 4 + 64);  // at most 256 codebook entries per layer
    int64_t gemm_rows = 0;
    for (const auto& l : m["layers"]) gemm_rows += l["op"] == "Gemm";
    CHECK(gemm_rows == 3);
    CHECK(m["layers"].size() == 3);  // DequantizeLinear, Gather and Cast are part of the weights, not rows
  }
}

TEST_CASE("info matches the published figures of torchvision architectures") {
  // Exported with random weights by tools/make_zoo.py (make test runs it where python3-torch exists).
  struct Known {
    const char* file;
    int64_t params;
    double gmacs;
  };
  std::string zoo = std::string(DNNC_BINARY_DIR) + "/zoo";
  for (const auto& k : {Known{"resnet50.onnx", 25557032, 4.09}, Known{"vgg16.onnx", 138357544, 15.47},
                        Known{"mobilenet_v2.onnx", 3504872, 0.30}, Known{"alexnet.onnx", 61100840, 0.71}}) {
    std::string path = zoo + "/" + k.file;
    if (!fileExists(path)) {
      WARN("skipping " << k.file << ": run tools/make_zoo.py --out " << zoo << " (needs python3-torch)");
      continue;
    }
    auto r = runDnnc({"info", path, "--json"});
    REQUIRE(r.exit_code == 0);
    json m = json::parse(r.out)["model"];
    INFO(k.file << ": params " << m["params"] << ", MACs " << m["macs"]);
    CHECK(m["params"] == k.params);
    CHECK(std::abs(m["macs"].get<double>() / 1e9 - k.gmacs) <= 0.01 * k.gmacs);
  }
}

TEST_CASE("info reads a model from stdin and prints a table") {
  auto r = runDnnc({"info", "-"}, readBytes(testData("lenet5.onnx")));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("Conv") != std::string::npos);
  CHECK(r.out.find("total") != std::string::npos);
}
