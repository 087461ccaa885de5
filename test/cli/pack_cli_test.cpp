// dnnc share / quantize / pack / unpack from the command line: exit codes, exact round trip, and
// corrupt containers that end with one line and exit 3, leaving no output file.
#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test/support/test_support.h"

using namespace dnnc::test;

namespace {

bool sameModel(const std::string& a, const std::string& b) {
  onnx::ModelProto x, y;
  return x.ParseFromString(a) && y.ParseFromString(b) && google::protobuf::util::MessageDifferencer::Equals(x, y);
}

}  // namespace

TEST_CASE("share, pack and unpack from the command line round-trip exactly") {
  std::string dir = scratchDir("packcli");
  auto s = runDnnc({"share", testData("lenet300.onnx"), "-o", dir + "/s.onnx", "--fc-bits", "4", "--json"});
  INFO(s.err);
  REQUIRE(s.exit_code == 0);
  auto sj = nlohmann::json::parse(s.out);
  CHECK(sj["passes"][0]["summary"]["layers"] == 3);
  for (const std::string codec : {"auto", "csr", "csr-ac", "csr-ans", "huffman", "rlc", "zstd"}) {
    auto p = runDnnc({"pack", dir + "/s.onnx", "-o", dir + "/s.dnnc", "--codec", codec, "--force", "--json"});
    INFO(codec << ": " << p.err);
    REQUIRE(p.exit_code == 0);
    auto pj = nlohmann::json::parse(p.out);
    CHECK(pj["pack"]["container_bytes"].get<size_t>() == readBytes(dir + "/s.dnnc").size());
    auto u = runDnnc({"unpack", dir + "/s.dnnc", "-o", dir + "/back.onnx", "--force"});
    REQUIRE(u.exit_code == 0);
    CHECK(sameModel(readBytes(dir + "/s.onnx"), readBytes(dir + "/back.onnx")));
  }
  // The text report names every tensor and the yardsticks.
  auto t = runDnnc({"pack", dir + "/s.onnx", "-o", dir + "/t.dnnc"});
  REQUIRE(t.exit_code == 0);
  CHECK(t.out.find("Deep Compression count") != std::string::npos);
  CHECK(t.out.find("fc1.weight_indices") != std::string::npos);
  auto q = runDnnc({"quantize", testData("lenet5.onnx"), "-o", dir + "/q.onnx", "--per-channel"});
  INFO(q.err);
  CHECK(q.exit_code == 0);
}

TEST_CASE("unpack of corrupt or truncated containers exits 3 with one line and no output") {
  std::string dir = scratchDir("packcli_bad");
  REQUIRE(runDnnc({"pack", testData("lenet5.onnx"), "-o", dir + "/m.dnnc"}).exit_code == 0);
  std::string good = readBytes(dir + "/m.dnnc");
  std::vector<std::pair<std::string, std::string>> cases = {
      {"empty", ""},
      {"onnx", readBytes(testData("lenet300.onnx"))},
      {"truncated", good.substr(0, good.size() / 2)},
      {"header", good.substr(0, 20)},
  };
  std::string flipped = good;
  flipped[flipped.size() / 3] ^= 0x10;
  cases.push_back({"flipped", flipped});
  for (const auto& [name, bytes] : cases) {
    writeBytes(dir + "/" + name + ".dnnc", bytes);
    auto r = runDnnc({"unpack", dir + "/" + name + ".dnnc", "-o", dir + "/" + name + ".onnx"});
    INFO(name << ": " << r.err);
    CHECK(r.exit_code == 3);
    CHECK(r.err.rfind("dnnc: unpack: ", 0) == 0);
    CHECK(!fileExists(dir + "/" + name + ".onnx"));
  }
  auto bad = runDnnc({"pack", testData("lenet5.onnx"), "-o", dir + "/x.dnnc", "--codec", "lzma"});
  CHECK(bad.exit_code == 2);
  CHECK(!fileExists(dir + "/x.dnnc"));
}

TEST_CASE("unpack and finetune write weights as external data on request") {
  const std::string dir = scratchDir("external-out");
  REQUIRE(runDnnc({"pack", testData("lenet5.onnx"), "-o", dir + "/m.dnnc", "-q"}).exit_code == 0);
  auto u = runDnnc({"unpack", dir + "/m.dnnc", "-o", dir + "/ext.onnx", "--external-data"});
  INFO(u.err);
  REQUIRE(u.exit_code == 0);
  REQUIRE(fileExists(dir + "/ext.onnx.data"));
  CHECK(readBytes(dir + "/ext.onnx").size() < 16 * 1024);  // the weights (1.7 MB) are in the .data file
  // The same model: ONNX Runtime's reference is the original file, so compare what info counts and what
  // infer computes on the bundled test images.
  auto a = runDnnc({"info", testData("lenet5.onnx"), "--json"}), b = runDnnc({"info", dir + "/ext.onnx", "--json"});
  REQUIRE(b.exit_code == 0);
  CHECK(nlohmann::json::parse(a.out)["model"]["params"] == nlohmann::json::parse(b.out)["model"]["params"]);
  for (const std::string& m : {testData("lenet5.onnx"), dir + "/ext.onnx"}) {
    auto r = runDnnc({"infer", m, "--data", testData("fashion_test_2000_images.npy"), "--limit", "8", "-o",
                      dir + "/" + (m == testData("lenet5.onnx") ? "a" : "b") + ".npz"});
    REQUIRE(r.exit_code == 0);
  }
  CHECK(readBytes(dir + "/a.npz") == readBytes(dir + "/b.npz"));

  auto f = runDnnc({"finetune", testData("lenet5.onnx"), "-o", dir + "/ft.onnx", "--external-data", "--data",
                    testData("fashion_train_5000_images.npy"), "--labels", testData("fashion_train_5000_labels.npy"),
                    "--scale", "1/255", "--limit", "128", "-q"});
  INFO(f.err);
  REQUIRE(f.exit_code == 0);
  CHECK(fileExists(dir + "/ft.onnx.data"));
}
