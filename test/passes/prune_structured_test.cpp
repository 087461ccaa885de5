// prune-structured: filters and channels really leave the tensors. References are independent: the
// unpruned model in ONNX Runtime (pruning filters that are exactly zero must not change the outputs),
// weights compared element by element with the original slices, and params/MACs from the original
// dims by hand.
#include <cstdio>
#include <set>

#include "lib/analysis/layer_table.h"
#include "test/passes/pass_test_util.h"

using namespace dnnc;
using namespace dnnc::test;

namespace {

std::string num(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
  return buf;
}

std::string tensorText(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& v) {
  std::string s = "float[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  s += "] " + name + " = {";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + num(v[i]);
  return s + "}";
}

// A model from a signature, weights and a body; every node is named after its first output.
onnx::ModelProto build(const std::string& signature, const std::vector<std::string>& weights, const std::string& body) {
  std::string inits;
  for (const auto& w : weights) inits += (inits.empty() ? "" : ", ") + w;
  auto m = modelFromText("<ir_version: 8, opset_import: [\"\" : 13]>\ng " + signature + "\n<" + inits + ">\n{\n" + body + "}\n");
  for (auto& n : *m.mutable_graph()->mutable_node()) n.set_name(n.output(0));
  return m;
}

// Zeroes whole slices: index k along dimension 0 of a tensor with `per` elements per slice.
void zeroRows(std::vector<float>& w, size_t per, const std::vector<size_t>& rows, float value = 0.0f) {
  for (size_t r : rows)
    for (size_t i = 0; i < per; ++i) w[r * per + i] = value;
}
// Zeroes columns c (dimension 1) of a [rows, cols, inner...] tensor.
void zeroCols(std::vector<float>& w, size_t rows, size_t cols, size_t inner, const std::vector<size_t>& cs) {
  for (size_t r = 0; r < rows; ++r)
    for (size_t c : cs)
      for (size_t i = 0; i < inner; ++i) w[(r * cols + c) * inner + i] = 0.0f;
}

const onnx::TensorProto* init(const onnx::ModelProto& m, const std::string& name) {
  for (const auto& t : m.graph().initializer())
    if (t.name() == name) return &t;
  return nullptr;
}
// The weight a node reads at input k (by node name), as dims and values.
std::vector<int64_t> inputDims(const onnx::ModelProto& m, const std::string& node, int k) {
  for (const auto& n : m.graph().node())
    if (n.name() == node) {
      const auto* t = init(m, n.input(k));
      REQUIRE(t != nullptr);
      return {t->dims().begin(), t->dims().end()};
    }
  FAIL("no node " << node);
  return {};
}
std::vector<float> inputValues(const onnx::ModelProto& m, const std::string& node, int k) {
  for (const auto& n : m.graph().node())
    if (n.name() == node) return readTensor(*init(m, n.input(k)), ".")->toFloats();
  FAIL("no node " << node);
  return {};
}
int64_t attrOf(const onnx::ModelProto& m, const std::string& node, const std::string& attr) {
  for (const auto& n : m.graph().node())
    if (n.name() == node)
      for (const auto& a : n.attribute())
        if (a.name() == attr) return a.i();
  return -1;
}

using Dims = std::vector<int64_t>;

// Conv(8) -> BN -> Relu -> Conv(6, stride 2) -> Relu -> Flatten -> Gemm(5). Filters {1,4,6,7} of the
// first conv are zero and their BN output is negative (Relu gives exactly 0); filters {0,3,5} of the
// second conv are zero with zero bias: removing them must not change the output at all.
onnx::ModelProto convBnReluConvGemm(bool zero_filters, bool zero_consumer_columns) {
  auto w1 = randomValues(8 * 3 * 9, 1), b1 = randomValues(8, 2);
  auto sc = randomValues(8, 3, 0.5f, 2.f), bi = randomValues(8, 4), mu = randomValues(8, 5), va = randomValues(8, 6, 0.5f, 2.f);
  auto w2 = randomValues(6 * 8 * 9, 7), b2 = randomValues(6, 8), w3 = randomValues(5 * 96, 9), b3 = randomValues(5, 10);
  if (zero_filters) {
    zeroRows(w1, 27, {1, 4, 6, 7});
    for (size_t c : {1, 4, 6, 7}) b1[c] = 0, bi[c] = -1, mu[c] = 0;
    zeroRows(w2, 72, {0, 3, 5});
    for (size_t c : {0, 3, 5}) b2[c] = 0;
  }
  if (zero_consumer_columns) {
    zeroCols(w2, 6, 8, 9, {1, 4, 6, 7});
    zeroCols(w3, 5, 6, 16, {0, 3, 5});  // Gemm columns c*16..c*16+15 read channel c of the flattened [6,4,4]
  }
  return build("(float[2, 3, 8, 8] x) => (float[2, 5] y)",
               {tensorText("w1", {8, 3, 3, 3}, w1), tensorText("b1", {8}, b1), tensorText("sc", {8}, sc),
                tensorText("bi", {8}, bi), tensorText("mu", {8}, mu), tensorText("va", {8}, va),
                tensorText("w2", {6, 8, 3, 3}, w2), tensorText("b2", {6}, b2), tensorText("w3", {5, 96}, w3),
                tensorText("b3", {5}, b3)},
               R"(c1 = Conv <pads = [1, 1, 1, 1]> (x, w1, b1)
                  n1 = BatchNormalization (c1, sc, bi, mu, va)
                  r1 = Relu (n1)
                  c2 = Conv <strides = [2, 2], pads = [1, 1, 1, 1]> (r1, w2, b2)
                  r2 = Relu (c2)
                  f = Flatten (r2)
                  y = Gemm <transB = 1> (f, w3, b3)
               )");
}

void requireSameInOrt(const onnx::ModelProto& a, const onnx::ModelProto& b, const Dims& shape) {
  size_t n = 1;
  for (auto d : shape) n *= static_cast<size_t>(d);
  requireSameOutputsInOrt(a, b, {randomValues(n, 99, -2.f, 2.f)}, {shape}, 1e-5);
}

nlohmann::json skippedReason(const nlohmann::json& report, const std::string& node) {
  for (const auto& s : report[0]["skipped"])
    if (s["node"].get<std::string>().rfind(node, 0) == 0) return s["reason"];
  return nullptr;
}

}  // namespace

TEST_CASE("prune-structured removes zero filters through BN, Relu, Flatten and Gemm without changing outputs", "[prune-structured]") {
  auto original = convBnReluConvGemm(true, false);
  std::string criterion = GENERATE(std::string("l1"), std::string("l2"));
  nlohmann::json report;
  Model pruned = runPasses(original, "prune-structured(sparsity=0.5, criterion=" + criterion + ")", &report);
  CHECK(inputDims(pruned.proto, "c1", 1) == Dims{4, 3, 3, 3});
  CHECK(inputDims(pruned.proto, "c1", 2) == Dims{4});
  for (int k = 1; k <= 4; ++k) CHECK(inputDims(pruned.proto, "n1", k) == Dims{4});
  CHECK(inputDims(pruned.proto, "c2", 1) == Dims{3, 4, 3, 3});
  CHECK(inputDims(pruned.proto, "y", 1) == Dims{5, 48});
  // The kept filters are the original nonzero ones, in order.
  auto w1 = inputValues(original, "c1", 1), w1p = inputValues(pruned.proto, "c1", 1);
  std::vector<float> expect;
  for (size_t r : {0, 2, 3, 5}) expect.insert(expect.end(), w1.begin() + r * 27, w1.begin() + (r + 1) * 27);
  CHECK(w1p == expect);
  CHECK(report[0]["summary"]["groups_pruned"] == 2);
  CHECK(report[0]["summary"]["channels_removed"] == 7);
  CHECK(skippedReason(report, "y") == "reaches graph output 'y'");
  if (criterion == "l1") requireSameInOrt(original, pruned.proto, {2, 3, 8, 8});  // same model either way
}

TEST_CASE("prune-structured granularity=channel ranks by the consumers' input channels", "[prune-structured]") {
  auto original = convBnReluConvGemm(false, true);
  nlohmann::json report;
  Model pruned = runPasses(original, "prune-structured(sparsity=0.5, granularity=channel)", &report);
  CHECK(inputDims(pruned.proto, "c1", 1) == Dims{4, 3, 3, 3});
  CHECK(inputDims(pruned.proto, "c2", 1) == Dims{3, 4, 3, 3});
  CHECK(inputDims(pruned.proto, "y", 1) == Dims{5, 48});
  CHECK(report[0]["rewrites"][0]["rewrite"] == "prune channels");
  // The consumers no longer read the removed channels, so the outputs are unchanged.
  requireSameInOrt(original, pruned.proto, {2, 3, 8, 8});
}

TEST_CASE("prune-structured prunes channels joined by a residual Add together, by summed norms", "[prune-structured]") {
  // c0 and c2 are joined by the Add. Per-filter L1 norms: c0 {1,9,2,8,3,7}, c2 {9,0.5,8,1,4,2};
  // sums {10,9.5,10,9,7,9}: the three lowest sums are filters {3,4,5}, which neither layer alone picks.
  auto w0 = randomValues(6 * 4, 11), w1 = randomValues(6 * 6 * 9, 12), w2 = randomValues(6 * 6 * 9, 13), w3 = randomValues(4 * 6, 14);
  auto setL1 = [](std::vector<float>& w, size_t per, const std::vector<float>& l1) {
    for (size_t r = 0; r < l1.size(); ++r) {
      double s = 0;
      for (size_t i = 0; i < per; ++i) s += std::abs(w[r * per + i]);
      for (size_t i = 0; i < per; ++i) w[r * per + i] = static_cast<float>(w[r * per + i] * l1[r] / s);
    }
  };
  setL1(w0, 4, {1, 9, 2, 8, 3, 7});
  setL1(w2, 54, {9, 0.5, 8, 1, 4, 2});
  auto original = build("(float[1, 4, 6, 6] x) => (float[1, 4, 6, 6] y)",
                        {tensorText("w0", {6, 4, 1, 1}, w0), tensorText("w1", {6, 6, 3, 3}, w1),
                         tensorText("w2", {6, 6, 3, 3}, w2), tensorText("w3", {4, 6, 1, 1}, w3)},
                        R"(c0 = Conv (x, w0)
                           r0 = Relu (c0)
                           c1 = Conv <pads = [1, 1, 1, 1]> (r0, w1)
                           r1 = Relu (c1)
                           c2 = Conv <pads = [1, 1, 1, 1]> (r1, w2)
                           s = Add (r0, c2)
                           r = Relu (s)
                           y = Conv (r, w3)
                        )");
  nlohmann::json report;
  Model pruned = runPasses(original, "prune-structured(sparsity=0.5)", &report);
  CHECK(inputDims(pruned.proto, "c0", 1) == Dims{3, 4, 1, 1});
  CHECK(inputDims(pruned.proto, "c1", 1) == Dims{3, 3, 3, 3});
  CHECK(inputDims(pruned.proto, "c2", 1) == Dims{3, 3, 3, 3});
  CHECK(inputDims(pruned.proto, "y", 1) == Dims{4, 3, 1, 1});
  auto w0p = inputValues(pruned.proto, "c0", 1);
  CHECK(std::vector<float>(w0p.begin(), w0p.end()) == std::vector<float>(w0.begin(), w0.begin() + 12));  // filters 0,1,2
  auto w3p = inputValues(pruned.proto, "y", 1);
  for (size_t r = 0; r < 4; ++r)
    for (size_t c = 0; c < 3; ++c) CHECK(w3p[r * 3 + c] == w3[r * 6 + c]);
  bool joined = false;
  for (const auto& rw : report[0]["rewrites"]) joined |= rw["nodes"] == nlohmann::json{"c0", "c2"};
  CHECK(joined);
  // Output shape unchanged in ONNX Runtime.
  if (!ortRunner().empty()) {
    std::string dir = scratchDir("prune_structured_add");
    writeBytes(dir + "/p.onnx", pruned.proto.SerializeAsString());
    auto r = runOrt(dir + "/p.onnx", {randomValues(144, 3)}, {{1, 4, 6, 6}});
    REQUIRE(r.ok);
    CHECK(r.shapes[0] == Dims{1, 4, 6, 6});
  }
}

TEST_CASE("prune-structured keeps a residual block exact when the joined filters are zero", "[prune-structured]") {
  auto w0 = randomValues(6 * 4, 21), w1 = randomValues(6 * 6 * 9, 22), w2 = randomValues(6 * 6 * 9, 23), w3 = randomValues(4 * 6, 24);
  zeroRows(w0, 4, {1, 4});
  zeroRows(w2, 54, {1, 4});
  zeroRows(w1, 54, {0, 5});
  auto original = build("(float[1, 4, 6, 6] x) => (float[1, 4, 6, 6] y)",
                        {tensorText("w0", {6, 4, 1, 1}, w0), tensorText("w1", {6, 6, 3, 3}, w1),
                         tensorText("w2", {6, 6, 3, 3}, w2), tensorText("w3", {4, 6, 1, 1}, w3)},
                        R"(c0 = Conv (x, w0)
                           r0 = Relu (c0)
                           c1 = Conv <pads = [1, 1, 1, 1]> (r0, w1)
                           r1 = Relu (c1)
                           c2 = Conv <pads = [1, 1, 1, 1]> (r1, w2)
                           s = Add (c2, r0)
                           r = Relu (s)
                           y = Conv (r, w3)
                        )");
  Model pruned = runPasses(original, "prune-structured(sparsity=0.34)");
  CHECK(inputDims(pruned.proto, "c0", 1) == Dims{4, 4, 1, 1});
  CHECK(inputDims(pruned.proto, "c1", 1) == Dims{4, 4, 3, 3});
  CHECK(inputDims(pruned.proto, "c2", 1) == Dims{4, 4, 3, 3});
  CHECK(inputDims(pruned.proto, "y", 1) == Dims{4, 4, 1, 1});
  requireSameInOrt(original, pruned.proto, {1, 4, 6, 6});
}

TEST_CASE("prune-structured offsets Concat inputs and never cuts channels from a graph input", "[prune-structured]") {
  auto wa = randomValues(4 * 27, 31), wb = randomValues(6 * 3, 32), wc = randomValues(2 * 13, 33);
  zeroRows(wa, 27, {0, 2});
  zeroRows(wb, 3, {1, 3, 4});
  auto original = build("(float[1, 3, 5, 5] x) => (float[1, 2, 5, 5] y)",
                        {tensorText("wa", {4, 3, 3, 3}, wa), tensorText("wb", {6, 3, 1, 1}, wb), tensorText("wc", {2, 13, 1, 1}, wc)},
                        R"(a = Conv <pads = [1, 1, 1, 1]> (x, wa)
                           b = Conv (x, wb)
                           c = Concat <axis = 1> (a, b, x)
                           r = Relu (c)
                           y = Conv (r, wc)
                        )");
  Model pruned = runPasses(original, "prune-structured(sparsity=0.5)");
  CHECK(inputDims(pruned.proto, "a", 1) == Dims{2, 3, 3, 3});
  CHECK(inputDims(pruned.proto, "b", 1) == Dims{3, 3, 1, 1});
  REQUIRE(inputDims(pruned.proto, "y", 1) == Dims{2, 8, 1, 1});
  auto wcp = inputValues(pruned.proto, "y", 1);
  std::vector<size_t> cols = {1, 3, 4 + 0, 4 + 2, 4 + 5, 10, 11, 12};
  for (size_t r = 0; r < 2; ++r)
    for (size_t i = 0; i < cols.size(); ++i) CHECK(wcp[r * 8 + i] == wc[r * 13 + cols[i]]);
  requireSameInOrt(original, pruned.proto, {1, 3, 5, 5});
}

TEST_CASE("prune-structured prunes a depthwise conv with its input channels (MobileNetV2 block)", "[prune-structured]") {
  auto w0 = randomValues(8 * 3, 41), wd = randomValues(8 * 9, 42), wp = randomValues(4 * 8, 43);
  auto s0 = randomValues(8, 44, 0.5f, 2.f), b0 = randomValues(8, 45), m0 = randomValues(8, 46), v0 = randomValues(8, 47, 0.5f, 2.f);
  auto s1 = randomValues(8, 48, 0.5f, 2.f), b1 = randomValues(8, 49), m1 = randomValues(8, 50), v1 = randomValues(8, 51, 0.5f, 2.f);
  zeroRows(w0, 3, {1, 2, 5, 6});
  for (size_t c : {1, 2, 5, 6}) b0[c] = -1, m0[c] = 0, b1[c] = -1, m1[c] = 0;
  auto original = build("(float[1, 3, 6, 6] x) => (float[1, 4, 6, 6] y)",
                        {tensorText("w0", {8, 3, 1, 1}, w0), tensorText("wd", {8, 1, 3, 3}, wd), tensorText("wp", {4, 8, 1, 1}, wp),
                         tensorText("s0", {8}, s0), tensorText("b0", {8}, b0), tensorText("m0", {8}, m0), tensorText("v0", {8}, v0),
                         tensorText("s1", {8}, s1), tensorText("b1", {8}, b1), tensorText("m1", {8}, m1), tensorText("v1", {8}, v1),
                         "float lo = {0}", "float hi = {6}"},
                        R"(c0 = Conv (x, w0)
                           n0 = BatchNormalization (c0, s0, b0, m0, v0)
                           a0 = Clip (n0, lo, hi)
                           d = Conv <group = 8, pads = [1, 1, 1, 1]> (a0, wd)
                           n1 = BatchNormalization (d, s1, b1, m1, v1)
                           a1 = Clip (n1, lo, hi)
                           y = Conv (a1, wp)
                        )");
  Model pruned = runPasses(original, "prune-structured(sparsity=0.5)");
  CHECK(inputDims(pruned.proto, "c0", 1) == Dims{4, 3, 1, 1});
  CHECK(inputDims(pruned.proto, "d", 1) == Dims{4, 1, 3, 3});
  CHECK(attrOf(pruned.proto, "d", "group") == 4);
  CHECK(inputDims(pruned.proto, "n1", 4) == Dims{4});
  CHECK(inputDims(pruned.proto, "y", 1) == Dims{4, 4, 1, 1});
  requireSameInOrt(original, pruned.proto, {1, 3, 6, 6});
}

TEST_CASE("prune-structured rewrites a Reshape that hard-codes the feature count", "[prune-structured]") {
  auto w = randomValues(8 * 2 * 9, 61), g = randomValues(3 * 128, 62);
  zeroRows(w, 18, {1, 2, 5, 7});
  auto original = build("(float[1, 2, 4, 4] x) => (float[1, 3] y)",
                        {tensorText("w", {8, 2, 3, 3}, w), tensorText("g", {3, 128}, g), "int64[2] shape = {-1, 128}"},
                        R"(c = Conv <pads = [1, 1, 1, 1]> (x, w)
                           r = Relu (c)
                           f = Reshape (r, shape)
                           y = Gemm <transB = 1> (f, g)
                        )");
  Model pruned = runPasses(original, "prune-structured(sparsity=0.5)");
  CHECK(inputDims(pruned.proto, "y", 1) == Dims{3, 64});
  auto shape = readTensor(*init(pruned.proto, "shape"), ".");
  REQUIRE(shape.ok());
  CHECK(shape->toFloats() == std::vector<float>{-1, 64});
  requireSameInOrt(original, pruned.proto, {1, 2, 4, 4});
}

TEST_CASE("prune-structured names what it cannot follow and refuses when nothing is left to prune", "[prune-structured]") {
  auto w0 = randomValues(4 * 3, 71), w1 = randomValues(2 * 4, 72), wg = randomValues(4 * 2, 73);
  std::vector<std::string> weights = {tensorText("w0", {4, 3, 1, 1}, w0), tensorText("w1", {2, 4, 1, 1}, w1),
                                      tensorText("wg", {4, 2, 1, 1}, wg), "int64[3] shape = {1, 2, 32}"};
  struct Case {
    std::string body, reason;
  };
  auto c = GENERATE(Case{"s = Softmax <axis = 1> (c0)\n y = Conv (s, w1)", "Softmax 's' normalises over the channels"},
                    Case{"s = LRN <size = 3> (c0)\n y = Conv (s, w1)", "read by LRN 's', which dnnc cannot follow channel-wise"},
                    Case{"s = Conv <group = 2> (c0, wg)\n t = Conv (s, w1)\n y = Identity (t)",
                         "grouped Conv 's' (group=2) couples channels in blocks"},
                    Case{"s = Reshape (c0, shape)\n t = Reshape (s, shape4)\n y = Conv (t, w1)",
                         "Reshape 's' mixes the channel axis with others"});
  auto ws = weights;
  ws.push_back("int64[4] shape4 = {1, 4, 4, 4}");
  auto original = build("(float[1, 3, 4, 4] x) => (float[1, 2, 4, 4] y)", ws, "c0 = Conv (x, w0)\n" + c.body + "\n");
  // No group is left to prune, so the sparsity target cannot be reached: exit 4, naming why.
  Error e = pipelineError(original, "prune-structured(sparsity=0.5)");
  CHECK(e.code() == Exit::Target);
  CHECK_THAT(e.message(), Catch::Contains("c0: " + c.reason));
}

TEST_CASE("prune-structured honours skip, layer-sparsity and round", "[prune-structured]") {
  auto original = convBnReluConvGemm(true, false);
  nlohmann::json report;
  Model a = runPasses(original, "prune-structured(sparsity=0.5, skip='c2')", &report);
  CHECK(inputDims(a.proto, "c1", 1) == Dims{4, 3, 3, 3});
  CHECK(inputDims(a.proto, "c2", 1) == Dims{6, 4, 3, 3});
  CHECK(skippedReason(report, "c2") == "'c2' matches skip pattern 'c2'");
  Model b = runPasses(original, "prune-structured(layer-sparsity='c1=0.25,c*=0.5')");
  CHECK(inputDims(b.proto, "c1", 1) == Dims{6, 3, 3, 3});  // the gentlest of the matching entries
  CHECK(inputDims(b.proto, "c2", 1) == Dims{3, 6, 3, 3});
  Model c = runPasses(original, "prune-structured(sparsity=0.6, round=4)");
  CHECK(inputDims(c.proto, "c1", 1) == Dims{4, 3, 3, 3});  // 8 - floor(4.8) = 4 kept: a multiple of 4
  CHECK(inputDims(c.proto, "c2", 1) == Dims{4, 4, 3, 3});  // 6 - 3 = 3 kept, rounded up to 4
}

TEST_CASE("prune-structured rejects bad parameters with a usage error", "[prune-structured]") {
  auto original = convBnReluConvGemm(false, false);
  for (std::string p : {"sparsity=1", "sparsity=-0.1", "layer-sparsity='c1=1.5'", "layer-sparsity='nosuch=0.5'",
                        "sparsity=0.5, skip='nosuch*'", "criterion=l1", "sparsity=0.5, round=0", "layer-sparsity='c1'"}) {
    INFO(p);
    Model m;
    m.proto = original;
    auto pipeline = parsePipeline("prune-structured(" + p + ")", builtinPasses());
    REQUIRE(pipeline.ok());
    PassContext ctx;
    auto r = runPipeline(m, *pipeline, builtinPasses(), ctx);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Exit::Usage);
  }
}

namespace {

// Params and MACs expected after halving every prunable group, from the original layer table: a
// Conv/Gemm keeps K/2 filters (all K for the last layer, whose outputs are the graph output) and C/2
// input channels (all C for the first layer and depthwise convs); BN keeps half its parameters.
void checkHalved(const LayerTable& orig, const LayerTable& pruned) {
  double params = 0, macs = 0;
  for (size_t i = 0; i < orig.layers.size(); ++i) {
    const auto& row = orig.layers[i];
    bool first = i == 0, last = i + 1 == orig.layers.size();
    if (row.op == "BatchNormalization") {
      params += row.params / 2.0;
      continue;
    }
    double out = last ? 1.0 : 0.5;
    double in = first || (row.op == "Conv" && row.weight_shape[1] == 1) ? 1.0 : 0.5;
    int64_t weight = 1;
    for (auto d : row.weight_shape) weight *= d;
    params += weight * out * in + static_cast<double>(row.params - weight) * out;
    macs += static_cast<double>(row.macs) * out * in;
  }
  CHECK(static_cast<double>(pruned.params) == Approx(params));
  CHECK(static_cast<double>(pruned.macs) == Approx(macs));
}

// Runs the pruned model in ONNX Runtime and requires the output shapes the original declares (with
// the batch dimension of x).
void checkInOrt(const onnx::ModelProto& original, const onnx::ModelProto& pruned, const Dims& shape, const std::vector<float>& x) {
  if (ortRunner().empty()) {
    WARN("ONNX Runtime not installed: skipping the runtime check");
    return;
  }
  std::string dir = scratchDir("prune_structured_real");
  writeBytes(dir + "/b.onnx", pruned.SerializeAsString());
  auto rb = runOrt(dir + "/b.onnx", {x}, {shape});
  INFO(rb.error);
  REQUIRE(rb.ok);
  REQUIRE(rb.shapes.size() == static_cast<size_t>(original.graph().output_size()));
  for (int k = 0; k < original.graph().output_size(); ++k) {
    Dims declared;
    for (const auto& d : original.graph().output(k).type().tensor_type().shape().dim())
      declared.push_back(d.has_dim_value() ? d.dim_value() : shape[0]);
    CHECK(rb.shapes[static_cast<size_t>(k)] == declared);
  }
}

}  // namespace

TEST_CASE("prune-structured at 50 % on the bundled LeNet-5, LeNet-300-100 and residual CNN", "[prune-structured]") {
  std::vector<int64_t> shape;
  auto x = fashionImages(8, shape);
  auto lenet5 = loadModel(testData("lenet5.onnx"));
  REQUIRE(lenet5.ok());
  Model p5 = runPasses(lenet5->proto, "prune-structured(sparsity=0.5)");
  auto t5 = buildLayerTable(p5);
  REQUIRE(t5.ok());
  // conv1 10x1x5x5+10, conv2 25x10x5x5+25, fc1 250x400+250, fc2 10x250+10 (by hand from the README).
  CHECK(t5->params == 260 + 6275 + 100250 + 2510);
  CHECK(t5->macs == 10 * 576 * 25 + 25 * 64 * 250 + 400 * 250 + 250 * 10);
  checkInOrt(lenet5->proto, p5.proto, shape, x);

  auto lenet300 = loadModel(testData("lenet300.onnx"));
  REQUIRE(lenet300.ok());
  Model p300 = runPasses(lenet300->proto, "prune-structured(sparsity=0.5)");
  auto t300 = buildLayerTable(p300);
  REQUIRE(t300.ok());
  CHECK(t300->params == 784 * 150 + 150 + 150 * 50 + 50 + 50 * 10 + 10);
  checkInOrt(lenet300->proto, p300.proto, shape, x);

  auto rescnn = loadModel(testData("rescnn.onnx"));
  REQUIRE(rescnn.ok());
  nlohmann::json report;
  Model pr = runPasses(rescnn->proto, "prune-structured(sparsity=0.5)", &report);
  auto before = buildLayerTable(*rescnn), after = buildLayerTable(pr);
  REQUIRE(before.ok());
  REQUIRE(after.ok());
  CHECK(after->params == 28410);  // 144 + 2x2304 + 4608 + 2x9216 + BN 2x(3x16 + 3x32) + fc 10x32+10
  checkHalved(*before, *after);
  CHECK(report[0]["summary"]["groups_pruned"] == 4);  // {stem, block1.b}, block1.a, {down, block2.b}, block2.a
  checkInOrt(rescnn->proto, pr.proto, shape, x);
}

TEST_CASE("prune-structured at 50 % on torchvision ResNet-18 and MobileNetV2", "[prune-structured]") {
  for (std::string name : {"resnet18", "mobilenet_v2"}) {
    std::string path = std::string(DNNC_BINARY_DIR) + "/zoo/" + name + ".onnx";
    if (!fileExists(path)) {
      WARN("skipping " << name << ": " << path << " not found (tools/make_zoo.py makes it)");
      continue;
    }
    INFO(name);
    auto model = loadModel(path);
    REQUIRE(model.ok());
    nlohmann::json report;
    Model pruned = runPasses(model->proto, "prune-structured(sparsity=0.5)", &report);
    auto before = buildLayerTable(*model);
    REQUIRE(before.ok());
    LayerTable after;  // as `dnnc info` counts them, from the pass's report
    after.params = report[0]["summary"]["params_after"];
    after.macs = report[0]["summary"]["macs_after"];
    checkHalved(*before, after);
    CHECK(report[0]["summary"]["groups_blocked"] == 1);  // only the classifier, whose outputs are the logits
    checkInOrt(model->proto, pruned.proto, {1, 3, 224, 224}, randomValues(3 * 224 * 224, 5));
  }
}

TEST_CASE("prune-structured ranks a filter followed by BN by its BN-scaled norm, as fold-bn would see it", "[prune-structured]") {
  // Raw L1 norms {1,2,3,4}; BN scales gamma/sqrt(var+eps) about {10,1,1,0.01}: scaled {10,2,3,0.04}.
  // At 50 % the scaled ranking keeps filters {0,2}; the raw one would keep {2,3}.
  auto w = randomValues(4 * 2, 81, 0.1f, 1.0f);
  for (size_t r = 0; r < 4; ++r) {
    float s = std::abs(w[r * 2]) + std::abs(w[r * 2 + 1]);
    for (size_t i = 0; i < 2; ++i) w[r * 2 + i] *= static_cast<float>(r + 1) / s;
  }
  auto original = build("(float[1, 2, 3, 3] x) => (float[1, 3, 3, 3] y)",
                        {tensorText("w", {4, 2, 1, 1}, w), tensorText("g", {4}, {10, 1, 1, 0.01f}), tensorText("b", {4}, {0, 0, 0, 0}),
                         tensorText("m", {4}, {0, 0, 0, 0}), tensorText("v", {4}, {1, 1, 1, 1}), tensorText("w2", {3, 4, 1, 1}, randomValues(12, 82))},
                        R"(c = Conv (x, w)
                           n = BatchNormalization (c, g, b, m, v)
                           r = Relu (n)
                           y = Conv (r, w2)
                        )");
  for (const std::string pipeline : {"prune-structured(sparsity=0.5)", "fold-bn,prune-structured(sparsity=0.5)"}) {
    INFO(pipeline);
    Model pruned = runPasses(original, pipeline);
    auto kept = inputValues(pruned.proto, "c", 1);
    REQUIRE(kept.size() == 4);
    float s0 = pipeline[0] == 'f' ? 10.0f / std::sqrt(1.0f + 1e-5f) : 1.0f, s2 = pipeline[0] == 'f' ? 1.0f / std::sqrt(1.0f + 1e-5f) : 1.0f;
    CHECK(kept[0] == Approx(w[0] * s0));
    CHECK(kept[1] == Approx(w[1] * s0));
    CHECK(kept[2] == Approx(w[4] * s2));
    CHECK(kept[3] == Approx(w[5] * s2));
  }
}

TEST_CASE("prune-structured cuts MatMul weights, per-channel bias constants and a Gemm without transB", "[prune-structured]") {
  // Conv(4) -> Flatten -> MatMul(B [64,6]) -> Add(bias [6]) -> Relu -> Gemm(B [6,5], transB=0).
  // Conv filters {0,3} and MatMul columns {1,2,4} are zero with zero bias: removal is exact.
  auto w = randomValues(4 * 2 * 9, 91), b = randomValues(64 * 6, 92), bias = randomValues(6, 93), g = randomValues(6 * 5, 94);
  zeroRows(w, 18, {0, 3});
  for (size_t r = 0; r < 64; ++r)
    for (size_t c : {1, 2, 4}) b[r * 6 + c] = 0;
  for (size_t c : {1, 2, 4}) bias[c] = 0;
  auto original = build("(float[1, 2, 4, 4] x) => (float[1, 5] y)",
                        {tensorText("w", {4, 2, 3, 3}, w), tensorText("b", {64, 6}, b), tensorText("bias", {6}, bias),
                         tensorText("g", {6, 5}, g)},
                        R"(c = Conv <pads = [1, 1, 1, 1]> (x, w)
                           f = Flatten (c)
                           m = MatMul (f, b)
                           a = Add (m, bias)
                           r = Relu (a)
                           y = Gemm (r, g)
                        )");
  Model pruned = runPasses(original, "prune-structured(sparsity=0.5)");
  CHECK(inputDims(pruned.proto, "c", 1) == Dims{2, 2, 3, 3});
  CHECK(inputDims(pruned.proto, "m", 1) == Dims{32, 3});
  CHECK(inputDims(pruned.proto, "a", 1) == Dims{3});
  CHECK(inputDims(pruned.proto, "y", 1) == Dims{3, 5});
  requireSameInOrt(original, pruned.proto, {1, 2, 4, 4});
}

TEST_CASE("prune-structured follows ReduceMean, Squeeze and Unsqueeze over other axes", "[prune-structured]") {
  // Conv(6) -> Relu -> ReduceMean(axes 2,3, keepdims 0) -> Unsqueeze(0) -> Squeeze(0) -> Gemm;
  // filters {1,2,4} zero: exact. A ReduceMean over the channels blocks the group instead.
  auto w = randomValues(6 * 2 * 9, 101), g = randomValues(3 * 6, 102);
  zeroRows(w, 18, {1, 2, 4});
  std::vector<std::string> weights = {tensorText("w", {6, 2, 3, 3}, w), tensorText("g", {3, 6}, g), "int64[1] zero = {0}"};
  auto original = build("(float[1, 2, 4, 4] x) => (float[1, 3] y)", weights,
                        R"(c = Conv <pads = [1, 1, 1, 1]> (x, w)
                           r = Relu (c)
                           p = ReduceMean <axes = [2, 3], keepdims = 0> (r)
                           u = Unsqueeze (p, zero)
                           s = Squeeze (u, zero)
                           y = Gemm <transB = 1> (s, g)
                        )");
  Model pruned = runPasses(original, "prune-structured(sparsity=0.5)");
  CHECK(inputDims(pruned.proto, "c", 1) == Dims{3, 2, 3, 3});
  CHECK(inputDims(pruned.proto, "y", 1) == Dims{3, 3});
  requireSameInOrt(original, pruned.proto, {1, 2, 4, 4});

  auto channels = build("(float[1, 2, 4, 4] x) => (float[1, 3] y)", {tensorText("w", {6, 2, 3, 3}, w), tensorText("g", {3, 16}, randomValues(48, 103))},
                        R"(c = Conv <pads = [1, 1, 1, 1]> (x, w)
                           p = ReduceMean <axes = [1], keepdims = 0> (c)
                           f = Flatten (p)
                           y = Gemm <transB = 1> (f, g)
                        )");
  CHECK_THAT(pipelineError(channels, "prune-structured(sparsity=0.5)").message(), Catch::Contains("c: ReduceMean 'p' works on the channel axis"));
}

TEST_CASE("prune-structured criterion=obd removes the filters prune-obd zeroes: lowest summed h_kk w^2 / 2", "[prune-structured]") {
  // Both passes rank by the same cached Hessian diagonal (first 256 calibration images); prune-obd's
  // filter saliency is checked against hand-computed values in the prune-obd tests, and it zeroes filters
  // of Conv layers only. Shrinking prune-obd's output by L1 removes exactly its zero filters (norm 0), so
  // it must give the same model, initializer for initializer, as shrinking the original by OBD saliency.
  auto m = loadModel(testData("lenet5.onnx"));
  REQUIRE(m.ok());
  const Calibration data{{testData("fashion_test_2000_images.npy"), 1.0f / 255.0f, "0.2860", "0.3530"}, "", 0, 64};
  auto run = [&](const onnx::ModelProto& proto, const std::string& pipeline) {
    return runPasses(proto, pipeline, nullptr, &data).proto;
  };
  const std::string convs = "layer-sparsity='/conv1/Conv=0.5,/conv2/Conv=0.5'";
  onnx::ModelProto zeroed = run(m->proto, "prune-obd(granularity=filter,scope=layer,sparsity=0.5,calib-samples=256)");
  onnx::ModelProto by_obd = run(m->proto, "prune-structured(" + convs + ",criterion=obd,calib-samples=256)");
  onnx::ModelProto by_zeros = run(zeroed, "prune-structured(" + convs + ",criterion=l1)");
  CHECK(inputDims(by_obd, "/conv1/Conv", 1) == std::vector<int64_t>{10, 1, 5, 5});
  CHECK(inputDims(by_obd, "/conv2/Conv", 1) == std::vector<int64_t>{25, 10, 5, 5});
  for (std::string layer : {"/conv1/Conv", "/conv2/Conv", "/fc1/Gemm", "/fc2/Gemm"})
    for (int k : {1, 2}) {
      INFO(layer << " input " << k);
      CHECK(inputValues(by_obd, layer, k) == inputValues(by_zeros, layer, k));
    }
  // The ranking differs from L1's on the original weights (else the test would not tell them apart).
  onnx::ModelProto by_l1 = run(m->proto, "prune-structured(" + convs + ",criterion=l1)");
  CHECK(inputValues(by_l1, "/conv2/Conv", 1) != inputValues(by_obd, "/conv2/Conv", 1));
  // Without data there is no Hessian: a usage error naming the criterion.
  Model model = *m;
  auto p = parsePipeline("prune-structured(sparsity=0.5,criterion=obd)", builtinPasses());
  REQUIRE(p.ok());
  PassContext ctx;
  auto r = runPipeline(model, *p, builtinPasses(), ctx);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Exit::Usage);
  CHECK(r.error().message().find("criterion=obd") != std::string::npos);
}
