#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test/support/test_support.h"

using namespace dnnc::test;
using nlohmann::json;

TEST_CASE("run applies a pipeline and reports each pass as JSON") {
  std::string dir = scratchDir("run");
  auto r = runDnnc({"run", testData("rescnn.onnx"), "-o", dir + "/out.onnx", "--passes", "fold-bn,dce", "--json",
                    "--verify-each"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  json j = json::parse(r.out);
  CHECK(j["schema_version"] == 1);
  CHECK(j["pipeline"] == "fold-bn,dce");
  REQUIRE(j["passes"].size() == 2);
  CHECK(j["passes"][0]["summary"]["folded"].get<int>() > 0);
  CHECK(j["after"]["nodes"].get<int>() < j["before"]["nodes"].get<int>());
  CHECK(fileExists(dir + "/out.onnx"));
  CHECK(filesContaining(dir, ".tmp.").empty());
}

TEST_CASE("run writes to stdout with -o - and reads stdin") {
  auto r = runDnnc({"run", "-", "-o", "-", "--passes", "dce", "-q"}, readBytes(testData("lenet5.onnx")));
  REQUIRE(r.exit_code == 0);
  onnx::ModelProto m;
  REQUIRE(m.ParseFromString(r.out));
  CHECK(m.graph().node_size() > 0);
}

TEST_CASE("passes lists every pass, as text and JSON") {
  auto r = runDnnc({"passes", "--json"});
  REQUIRE(r.exit_code == 0);
  json j = json::parse(r.out);
  std::vector<std::string> names;
  for (const auto& p : j["passes"]) names.push_back(p["name"]);
  CHECK(std::find(names.begin(), names.end(), "fold-bn") != names.end());
  CHECK(std::find(names.begin(), names.end(), "dce") != names.end());
  auto t = runDnnc({"passes"});
  CHECK(t.out.find("fold-bn") != std::string::npos);
}
