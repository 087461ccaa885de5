// dnnc finetune as a user runs it: writes a valid model, is byte-for-byte deterministic for a seed,
// and fails with the documented exit codes (2 usage, 3 invalid input) leaving no output behind.
#include <catch2/catch.hpp>

#include "test/support/test_support.h"

using namespace dnnc::test;

namespace {
std::vector<std::string> base(const std::string& model, const std::string& out) {
  return {"finetune", testData(model), "-o", out, "--data", testData("fashion_train_5000_images.npy"), "--limit", "256",
          "--scale", "0.00392156862745098", "--mean", "0.2860", "--std", "0.3530", "--threads", "1", "-q"};
}
}  // namespace

TEST_CASE("dnnc finetune: labels, distillation, determinism", "[train][cli]") {
  const std::string dir = scratchDir("finetune_cli");
  auto a = base("lenet300.onnx", dir + "/a.onnx");
  a.insert(a.end(), {"--labels", testData("fashion_train_5000_labels.npy"), "--seed", "3", "--optimizer", "adam", "--lr", "0.001"});
  auto r1 = runDnnc(a);
  INFO(r1.err);
  REQUIRE(r1.exit_code == 0);
  auto b = a;
  b[3] = dir + "/b.onnx";
  REQUIRE(runDnnc(b).exit_code == 0);
  CHECK(readBytes(dir + "/a.onnx") == readBytes(dir + "/b.onnx"));
  CHECK(readBytes(dir + "/a.onnx") != readBytes(testData("lenet300.onnx")));
  // Label-free distillation from the original, with a JSON report on stdout.
  auto c = base("lenet300.onnx", dir + "/c.onnx");
  c.insert(c.end(), {"--teacher", testData("lenet300.onnx"), "--json", "-"});
  auto r3 = runDnnc(c);
  INFO(r3.err);
  REQUIRE(r3.exit_code == 0);
  CHECK_THAT(r3.out, Catch::Contains("distillation"));
  auto info = runDnnc({"info", dir + "/c.onnx"});
  CHECK(info.exit_code == 0);
}

TEST_CASE("dnnc finetune: errors have exit codes and leave no output", "[train][cli]") {
  const std::string dir = scratchDir("finetune_cli_err");
  auto r = runDnnc(base("lenet300.onnx", dir + "/x.onnx"));  // neither labels nor teacher
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("labels"));
  auto bad = base("lenet300.onnx", dir + "/x.onnx");
  bad.insert(bad.end(), {"--labels", testData("fashion_train_5000_labels.npy"), "--optimizer", "rmsprop"});
  CHECK(runDnnc(bad).exit_code != 0);
  auto missing = base("lenet300.onnx", dir + "/x.onnx");
  missing[5] = dir + "/nope.npy";
  missing.insert(missing.end(), {"--labels", testData("fashion_train_5000_labels.npy")});
  CHECK(runDnnc(missing).exit_code == 3);
  CHECK(filesContaining(dir, "x.onnx").empty());
}
