// prune, share and quantize on an LSTM written the way PyTorch exports it (W and R re-ordered into ONNX's
// gate order by Slice/Concat/Unsqueeze of the stored weights): the commands fold those constants first,
// say so in the pipeline they report, and compress the LSTM's matrices; ONNX Runtime runs every output.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test/support/test_support.h"

using namespace dnnc::test;

TEST_CASE("prune, share and quantize fold an exported LSTM's computed weights and compress them") {
  const std::string dir = scratchDir("recurrent_cli");
  const std::string model = dir + "/lstm.onnx";
  writeBytes(model, exportedLstm(true).SerializeAsString());
  struct Case {
    std::vector<std::string> args;
    std::string pass;
  };
  for (const Case& c : {Case{{"prune", "--sparsity", "0.5"}, "prune-magnitude"}, Case{{"share", "--bits", "2"}, "share"},
                        Case{{"quantize"}, "quantize"}}) {
    std::vector<std::string> args = {c.args[0], model, "-o", dir + "/" + c.args[0] + ".onnx", "--json", "-"};
    args.insert(args.end(), c.args.begin() + 1, c.args.end());
    auto r = runDnnc(args);
    INFO(c.args[0] << ": " << r.err);
    REQUIRE(r.exit_code == 0);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["pipeline"].get<std::string>().rfind("fold-constants,", 0) == 0);
    REQUIRE(j["passes"].size() == 2);
    const auto& pass = j["passes"][1];
    CHECK(pass["name"] == c.pass);
    CHECK(pass["skipped"].empty());
    std::set<std::string> changed;
    for (const auto& rw : pass["rewrites"]) changed.insert(rw["nodes"][0].get<std::string>());
    CHECK(changed.count("seq/W"));
    CHECK(changed.count("seq/R"));
    CHECK(changed.count("y"));
    if (!ortRunner().empty()) {
      auto ran = runOrt(dir + "/" + c.args[0] + ".onnx", {std::vector<float>(15, 0.5f)}, {{5, 1, 3}});
      INFO(ran.error);
      CHECK(ran.ok);
    }
  }
  // The text report lists the quantized layers (it printed a header and no rows).
  auto t = runDnnc({"quantize", model, "-o", dir + "/q2.onnx"});
  REQUIRE(t.exit_code == 0);
  CHECK(t.out.find("seq/W ") != std::string::npos);
}
