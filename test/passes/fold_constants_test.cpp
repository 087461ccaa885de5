// fold-constants on the pattern PyTorch's LSTM export writes (W and R re-ordered into ONNX's gate order by
// Slice/Concat/Unsqueeze of the stored weights): after folding, the LSTM's W and R are initializers that
// prune-magnitude prunes; ONNX Runtime gives the folded model the original's outputs. Compressed forms
// (DequantizeLinear on int8 weights) stay as they are.
#include "test/passes/decompose_test_util.h"
#include "test/passes/pass_test_util.h"

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
