// fold-constants on the pattern PyTorch's LSTM export writes (W and R re-ordered into ONNX's gate order by
// Slice/Concat/Unsqueeze of the stored weights): after folding, the LSTM's W and R are initializers that
// prune-magnitude prunes; ONNX Runtime gives the folded model the original's outputs. Compressed forms
// (DequantizeLinear on int8 weights) stay as they are.
#include "test/passes/decompose_test_util.h"
#include "test/passes/pass_test_util.h"

#include "lib/analysis/layer_table.h"
#include "lib/analysis/shape_resolution.h"

using namespace dnnc;
using namespace dnnc::test;

namespace {

const onnx::TensorProto* initializer(const onnx::ModelProto& m, const std::string& name) {
  for (const auto& t : m.graph().initializer())
    if (t.name() == name) return &t;
  return nullptr;
}

}  // namespace

TEST_CASE("fold-constants makes an exported LSTM's computed W and R weights that prune-magnitude prunes") {
  onnx::ModelProto original = exportedLstm(false);
  nlohmann::json report;
  Model folded = runPasses(original, "fold-constants", &report);
  CHECK(report[0]["summary"]["folded_nodes"] == 8);
  REQUIRE(folded.graph().node_size() == 1);
  CHECK(folded.graph().node(0).op_type() == "LSTM");
  REQUIRE(initializer(folded.proto, "w"));
  CHECK(initializer(folded.proto, "w_ih") == nullptr);  // read only by the folded nodes
  requireSameOutputsInOrt(original, folded.proto, {randomValues(15, 3)}, {{5, 1, 3}}, 1e-6);

  // Without folding there is no weight to prune (exit 4, naming the way out); with it, both matrices are.
  Error unfolded = pipelineError(original, "prune-magnitude(sparsity=0.5)");
  CHECK(unfolded.code() == Exit::Target);
  CHECK_THAT(unfolded.message(), Catch::Contains("y/W (its W is computed from stored constants: the fold-constants pass makes it a weight)"));
  Model pruned = runPasses(original, "fold-constants,prune-magnitude(sparsity=0.5)");
  long zeros = 0;  // one global threshold over both matrices: half of the 112 weights, some in each
  for (const char* name : {"w", "r"}) {
    auto t = readTensor(*initializer(pruned.proto, name), ".");
    REQUIRE(t.ok());
    std::vector<float> v = t->toFloats();
    long z = std::count(v.begin(), v.end(), 0.0f);
    CHECK(z > 0);
    zeros += z;
  }
  CHECK(zeros == 56);
}

TEST_CASE("fold-constants leaves compressed weights compressed and skips what would grow the model") {
  std::string ints;
  for (size_t i = 0; i < 64 * 64; ++i) ints += (i ? ", " : "") + std::to_string(int(i % 7) - 3);
  onnx::ModelProto original = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,64] x) => (float[2,64] y) <int8[64,64] wq = {)" + ints + R"(}, float s = {0.5}, int8 z = {0}> {
  w = DequantizeLinear (wq, s, z)
  y = MatMul (x, w)
})");
  nlohmann::json report;
  Model folded = runPasses(original, "fold-constants", &report);
  CHECK(report[0]["summary"]["folded_nodes"] == 0);
  CHECK(folded.proto.SerializeAsString() == original.SerializeAsString());
}

namespace {

// a: read by a Transpose (default perm) and by a MatMul; every third value zero. b: a Transpose with a
// perm, whose result a second Transpose and a Reshape read. c: as a, but stored in float_data. The rest in
// raw_data, as exporters store weights.
onnx::ModelProto transposedWeights() {
  auto list = [](size_t n, uint32_t seed, bool zeros) {
    std::string s;
    std::vector<float> v = randomValues(n, seed);
    for (size_t i = 0; i < n; ++i) s += (i ? ", " : "") + std::to_string(zeros && i % 3 == 0 ? 0.0f : v[i]);
    return s;
  };
  onnx::ModelProto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,6] x) => (float[2,4] y, float[2,6] z) <float[4,6] a = {)" + list(24, 1, true) + R"(}, float[3,2,4] b = {)" +
                                     list(24, 2, false) + R"(}, float[4,6] c = {)" + list(24, 3, false) + R"(}, int64[2] shape = {6, 4}> {
  at = Transpose (a)
  y1 = MatMul (x, at)
  bt = Transpose <perm = [1, 2, 0]> (b)
  bt2 = Transpose <perm = [0, 2, 1]> (bt)
  br = Reshape (bt2, shape)
  y2 = MatMul (x, br)
  ct = Transpose (c)
  y3 = MatMul (x, ct)
  y12 = Add (y1, y2)
  y = Add (y12, y3)
  z = MatMul (y, a)
})");
  for (auto& init : *m.mutable_graph()->mutable_initializer()) {
    if (init.name() == "c") continue;
    auto t = readTensor(init, ".");
    REQUIRE(t.ok());
    const std::string name = init.name();
    init.Clear();
    writeTensor(*t, init);
    init.set_name(name);
  }
  return m;
}

}  // namespace

TEST_CASE("fold-constants transposes stored weights from their bytes, alone and in a chain, keeping shared ones") {
  onnx::ModelProto original = transposedWeights();
  REQUIRE(initializer(original, "c")->raw_data().empty());
  nlohmann::json report;
  Model folded = runPasses(original, "fold-constants", &report);
  CHECK(report[0]["summary"]["folded_nodes"] == 5);
  for (const auto& node : folded.graph().node()) CHECK(node.op_type() != "Transpose");
  CHECK(folded.graph().node_size() == 6);
  REQUIRE(initializer(folded.proto, "a"));
  CHECK(initializer(folded.proto, "a")->raw_data().size() == 24 * sizeof(float));  // still read by z's MatMul
  CHECK(initializer(folded.proto, "b") == nullptr);
  // br[p*3 + r][q] = b[r][p][q], by hand.
  auto b = readTensor(*initializer(original, "b"), ".");
  REQUIRE(b.ok());
  REQUIRE(initializer(folded.proto, "br"));
  auto br = readTensor(*initializer(folded.proto, "br"), ".");
  REQUIRE(br.ok());
  CHECK(br->dims() == std::vector<int64_t>{6, 4});
  for (int p = 0; p < 2; ++p)
    for (int r = 0; r < 3; ++r)
      for (int q = 0; q < 4; ++q) CHECK(br->data<float>()[(p * 3 + r) * 4 + q] == b->data<float>()[(r * 2 + p) * 4 + q]);
  requireSameOutputsInOrt(original, folded.proto, {randomValues(12, 3)}, {{2, 6}}, 1e-6);
}

TEST_CASE("the layer table counts a weight that layout ops make from a stored one, before and after folding") {
  Model m;
  m.proto = transposedWeights();
  m.base_dir = ".";
  Model folded = runPasses(m.proto, "fold-constants");
  for (Model* model : {&m, &folded}) {
    auto shapes = resolveShapes(*model);
    REQUIRE(shapes.ok());
    auto table = buildLayerTable(*model, *shapes);
    REQUIRE(table.ok());
    auto row = [&](const std::string& name) -> const LayerRow& {
      for (const auto& r : table->layers)
        if (r.name == name) return r;
      FAIL("no row " << name);
      return table->layers.front();
    };
    // y1 reads Transpose(a): 24 weights, 8 of them the zeros written above, shaped [6,4].
    CHECK(row("y1").params == 24);
    CHECK(row("y1").nonzero_params == 16);
    CHECK(row("y1").weight_shape == std::vector<int64_t>{6, 4});
    CHECK(row("y2").params == 24);
    CHECK(row("y2").nonzero_params == 24);
    CHECK(row("y2").weight_shape == std::vector<int64_t>{6, 4});
    CHECK(row("y3").params == 24);  // stored in float_data: executed, same count
    CHECK(row("y3").weight_shape == std::vector<int64_t>{6, 4});
    // a counts once, for y1, though z reads it too; folded, y1's transposed copy and a are two tensors.
    const bool is_folded = model == &folded;
    CHECK(row("z").params == (is_folded ? 24 : 0));
    CHECK(table->params == (is_folded ? 24 * 4 : 24 * 3));
  }
}
