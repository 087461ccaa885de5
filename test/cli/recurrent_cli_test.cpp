// prune, share and quantize on an LSTM written the way PyTorch exports it (W and R re-ordered into ONNX's
// gate order by Slice/Concat/Unsqueeze of the stored weights): the commands fold those constants first,
// say so in the pipeline they report, and compress the LSTM's matrices; ONNX Runtime runs every output.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <random>

#include "test/support/test_support.h"

using namespace dnnc::test;

namespace {

std::string values(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::string s;
  for (size_t i = 0; i < n; ++i) s += (i ? ", " : "") + std::to_string(d(rng));
  return s;
}

// input 3, hidden 4, then a Gemm to 2 classes.
std::string exportedLstm() {
  return modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[5,1,3] x) => (float[1,2] y) <float[16,3] w_ih = {)" + values(48, 11) +
                       R"(}, float[16,4] w_hh = {)" + values(64, 12) + R"(}, float[2,4] fc = {)" + values(8, 13) + R"(},
   int64[1] zero = {0}, int64[1] eight = {8}, int64[1] sixteen = {16}, int64[2] flat = {1, 4}> {
  wa = Slice (w_ih, eight, sixteen, zero)
  wb = Slice (w_ih, zero, eight, zero)
  wc = Concat <axis = 0> (wa, wb)
  w = Unsqueeze (wc, zero)
  ra = Slice (w_hh, eight, sixteen, zero)
  rb = Slice (w_hh, zero, eight, zero)
  rc = Concat <axis = 0> (ra, rb)
  r = Unsqueeze (rc, zero)
  seq, h = LSTM <hidden_size = 4> (x, w, r)
  hf = Reshape (h, flat)
  y = Gemm <transB = 1> (hf, fc)
})")
      .SerializeAsString();
}

}  // namespace

TEST_CASE("prune, share and quantize fold an exported LSTM's computed weights and compress them") {
  const std::string dir = scratchDir("recurrent_cli");
  const std::string model = dir + "/lstm.onnx";
  writeBytes(model, exportedLstm());
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
