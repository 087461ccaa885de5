#include "test/passes/pass_test_util.h"

using namespace dnnc;
using namespace dnnc::test;

TEST_CASE("dce removes dead nodes and unused initializers, nothing else") {
  auto m = modelFromText(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[2] x) => (float[2] y) <float[2] used = {1, 2}, float[2] unused = {3, 4}, float[2] deadw = {5, 6}>
    {
      y = Add (x, used)
      d1 = Mul (x, deadw)
      d2 = Relu (d1)
    })");
  nlohmann::json report;
  Model out = runPasses(m, "dce", &report);
  REQUIRE(out.proto.graph().node_size() == 1);
  CHECK(out.proto.graph().node(0).op_type() == "Add");
  REQUIRE(out.proto.graph().initializer_size() == 1);
  CHECK(out.proto.graph().initializer(0).name() == "used");
  CHECK(report[0]["summary"]["nodes_removed"] == 2);
  CHECK(report[0]["summary"]["initializers_removed"] == 2);
}

TEST_CASE("dce keeps values read by subgraphs and graph inputs") {
  auto m = modelFromText(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (bool cond, float[2] x) => (float[2] y) <float[2] k = {1, 2}>
    {
      kk = Neg (k)
      y = If (cond) <
        then_branch = t () => (float[2] a) { a = Add (x, kk) },
        else_branch = e () => (float[2] b) { b = Identity (x) }
      >
    })");
  Model out = runPasses(m, "dce");
  CHECK(out.proto.graph().node_size() == 2);
  CHECK(out.proto.graph().initializer_size() == 1);
  CHECK(out.proto.graph().input_size() == 2);
}
