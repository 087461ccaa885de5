// fold-shapes and the shape resolution behind it, on the patterns PyTorch exports write: a channel shuffle
// computed from Shape/Gather/Div/Concat (ShuffleNet), a rank check in an If (LocalResponseNorm). The
// reference for the resolved shapes is the arithmetic of the graph itself; for the folded model, ONNX
// Runtime running both models on the same inputs, at two batch sizes.
#include "test/passes/decompose_test_util.h"
#include "test/passes/pass_test_util.h"

#include "lib/analysis/layer_table.h"
#include "lib/analysis/shape_resolution.h"

using namespace dnnc;
using namespace dnnc::test;

namespace {

// x [N,8,4,4] -> channel shuffle with 2 groups: Reshape to [N, 2, C/2, H, W] with C/2 computed from
// Shape(x), Transpose, Reshape back, then a 1x1 Conv whose input shape ONNX inference cannot see.
onnx::ModelProto shuffleModel() {
  std::string w = floatList(randomValues(4 * 8, 3));
  return modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,8,4,4] x) => (float[N,4,4,4] y) <float[4,8,1,1] w = {)" + w + R"(}, int64[1] i0 = {0}, int64[1] i1 = {1},
   int64[1] i2 = {2}, int64[1] i3 = {3}, int64 c1 = {1}, int64 c2 = {2}, int64[1] groups = {2}, int64[1] minus = {-1}> {
  s = Shape (x)
  n = Gather <axis = 0> (s, i0)
  c = Gather <axis = 0> (s, i1)
  h = Gather <axis = 0> (s, i2)
  wd = Gather <axis = 0> (s, i3)
  per = Div (c, groups)
  shape5 = Concat <axis = 0> (n, groups, per, h, wd)
  r = Reshape (x, shape5)
  t = Transpose <perm = [0, 2, 1, 3, 4]> (r)
  shape4 = Concat <axis = 0> (n, minus, h, wd)
  u = Reshape (t, shape4)
  y = Conv (u, w)
})");
}

}  // namespace

TEST_CASE("shape resolution follows shape subgraphs that onnx inference cannot, for the batch asked") {
  Model m;
  m.proto = shuffleModel();
  auto r = resolveShapes(m);
  REQUIRE(r.ok());
  const ValueShape* u = r->shapes.find("u");
  REQUIRE(u);
  CHECK(u->dims == std::vector<int64_t>{1, 8, 4, 4});
  CHECK(r->shapes.find("y")->dims == std::vector<int64_t>{1, 4, 4, 4});
  CHECK(r->folded_nodes > 0);
  CHECK(r->unknownInputs().empty());
  auto r4 = resolveShapes(m, InputShapes{.given = {}, .batch = 4});
  REQUIRE(r4.ok());
  CHECK(r4->shapes.find("y")->dims == std::vector<int64_t>{4, 4, 4, 4});
  // The Conv's MACs: 4 outputs x 16 positions x 8 inputs per sample.
  auto table = buildLayerTable(m, *r4);
  REQUIRE(table.ok());
  CHECK(table->unshaped.empty());
  CHECK(table->macs == 4 * 4 * 16 * 8);
}

TEST_CASE("unknown input dims stay unknown and are named, never guessed; --input-shape fixes them") {
  Model m;
  m.proto = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,3,H,W] x) => (float[N,4,H,W] y) <float[4,3,3,3] w = {)" + floatList(randomValues(108, 1)) + R"(}> {
  y = Conv <pads = [1, 1, 1, 1]> (x, w)
})");
  auto r = resolveShapes(m);
  REQUIRE(r.ok());
  CHECK(r->shapes.find("y")->dims == std::vector<int64_t>{1, 4, -1, -1});
  REQUIRE(r->unknownInputs().size() == 1);
  CHECK(r->unknownInputs()[0] == "x [1,3,?,?]");
  auto table = buildLayerTable(m, *r);
  REQUIRE(table.ok());
  CHECK(table->unshaped == std::vector<std::string>{"y"});
  CHECK(table->macs == 0);  // nothing counted for a layer of unknown size, not 1x1

  auto given = resolveShapes(m, InputShapes{.given = {{"x", {2, 3, 10, 12}}}, .batch = 0});
  REQUIRE(given.ok());
  CHECK(given->shapes.find("y")->dims == std::vector<int64_t>{2, 4, 10, 12});
  auto t2 = buildLayerTable(m, *given);
  REQUIRE(t2.ok());
  CHECK(t2->macs == int64_t{2} * 4 * 10 * 12 * 27);

  auto wrong_name = resolveShapes(m, InputShapes{.given = {{"img", {1, 3, 8, 8}}}, .batch = 0});
  REQUIRE_FALSE(wrong_name.ok());
  CHECK(wrong_name.error().code() == Exit::Usage);
  CHECK(wrong_name.error().message().find("'img', which is not an input") != std::string::npos);
  auto wrong_rank = resolveShapes(m, InputShapes{.given = {{"x", {1, 3, 8}}}, .batch = 0});
  REQUIRE_FALSE(wrong_rank.ok());
  CHECK(wrong_rank.error().message().find("rank 4") != std::string::npos);
  auto contradicts = resolveShapes(m, InputShapes{.given = {{"x", {1, 4, 8, 8}}}, .batch = 0});
  REQUIRE_FALSE(contradicts.ok());
  CHECK(contradicts.error().message().find("contradicts") != std::string::npos);
  auto parsed = parseInputShape("x=1,3,224,224");
  REQUIRE(parsed.ok());
  CHECK(parsed->first == "x");
  CHECK(parsed->second == std::vector<int64_t>{1, 3, 224, 224});
  CHECK_FALSE(parseInputShape("x=1,0,3").ok());
  CHECK_FALSE(parseInputShape("x=").ok());
}

TEST_CASE("fold-shapes writes the shape subgraph as constants; ORT gives the same outputs at batch 1 and 3") {
  onnx::ModelProto original = shuffleModel();
  nlohmann::json report;
  Model folded = runPasses(original, "fold-shapes", &report);
  // The symbolic batch stays symbolic: what depends on it (Shape, the batch Gather) is kept, the channel
  // arithmetic is folded.
  CHECK(report[0]["summary"]["folded_nodes"].get<int>() > 0);
  int divs = 0;
  for (const auto& n : folded.graph().node()) divs += n.op_type() == "Div";
  CHECK(divs == 0);
  for (int64_t batch : {1, 3}) {
    std::vector<int64_t> shape{batch, 8, 4, 4};
    requireSameOutputsInOrt(original, folded.proto, {randomValues(size_t(batch) * 128, 7)}, {shape}, 1e-6);
  }
}

TEST_CASE("fold-shapes takes the branch of an If whose condition the shapes decide") {
  onnx::ModelProto original = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,4] x) => (float[N,4] y) <int64 four = {4}, int64[1] last = {1}> {
  s = Shape (x)
  d = Gather <axis = 0> (s, last)
  d0 = Squeeze (d)
  cond = Equal (d0, four)
  y = If (cond) <then_branch = t () => (float[N,4] a) { a = Relu (x) },
                 else_branch = e () => (float[N,4] b) { b = Neg (x) }>
})");
  nlohmann::json report;
  Model folded = runPasses(original, "fold-shapes", &report);
  CHECK(report[0]["summary"]["inlined_ifs"] == 1);
  for (const auto& n : folded.graph().node()) CHECK(n.op_type() != "If");
  requireSameOutputsInOrt(original, folded.proto, {randomValues(8, 2)}, {{2, 4}}, 0);
}
