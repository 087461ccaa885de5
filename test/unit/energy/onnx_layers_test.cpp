// lib/energy/onnx_layers: LayerShapes from ONNX graphs (pads, auto_pad, strides, dilations, groups, FC,
// batch, first layer, weight zeros, the skip list), activation sparsity and mapping-name resolution.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "lib/analysis/layer_names.h"
#include "lib/energy/onnx_layers.h"
#include "lib/ir/tensor.h"
#include "test/support/test_support.h"
#include "test/unit/energy/alexnet_fixture.h"

using namespace dnnc;
using namespace dnnc::energy;

namespace {

Model fromText(const std::string& text) {
  Model m;
  m.proto = dnnc::test::modelFromText(text);
  m.source = "<text>";
  return m;
}

void addWeight(Model& m, const std::string& name, std::vector<int64_t> dims, double zero_every = 0) {
  Tensor t(DType::Float, std::move(dims));
  auto v = t.span<float>();
  for (size_t i = 0; i < v.size(); ++i) v[i] = (zero_every > 0 && i % size_t(zero_every) == 0) ? 0.0f : 0.5f;
  auto* init = m.graph().add_initializer();
  init->set_name(name);
  writeTensor(t, *init);
}

const LayerShape& layer(const OnnxLayers& L, const std::string& name) {
  int i = L.find(name);
  INFO("layer " << name);
  REQUIRE(i >= 0);
  return L.layers[size_t(i)];
}

// The Caffe AlexNet conv stack with weights as graph inputs (shapes only), named as the fixture's layers.
const char* kAlexnetConvs = R"(<ir_version: 8, opset_import: ["" : 13]>
alexnet (float[N,3,227,227] input, float[96,3,11,11] w1, float[256,48,5,5] w2, float[384,256,3,3] w3,
         float[384,192,3,3] w4, float[256,192,3,3] w5) => (float[N,256,6,6] out) {
  conv1 = Conv <strides = [4, 4]> (input, w1)
  r1 = Relu (conv1)
  n1 = LRN <size = 5> (r1)
  p1 = MaxPool <kernel_shape = [3, 3], strides = [2, 2]> (n1)
  conv2 = Conv <pads = [2, 2, 2, 2], group = 2> (p1, w2)
  r2 = Relu (conv2)
  n2 = LRN <size = 5> (r2)
  p2 = MaxPool <kernel_shape = [3, 3], strides = [2, 2]> (n2)
  conv3 = Conv <pads = [1, 1, 1, 1]> (p2, w3)
  r3 = Relu (conv3)
  conv4 = Conv <pads = [1, 1, 1, 1], group = 2> (r3, w4)
  r4 = Relu (conv4)
  conv5 = Conv <pads = [1, 1, 1, 1], group = 2> (r4, w5)
  r5 = Relu (conv5)
  out = MaxPool <kernel_shape = [3, 3], strides = [2, 2]> (r5)
})";

}  // namespace

TEST_CASE("layerName shortens PyTorch's scoped node names", "[energy][onnx]") {
  CHECK(shortLayerName("/conv1/Conv", "Conv") == "conv1");
  CHECK(shortLayerName("/layer1/layer1.0/conv1/Conv", "Conv") == "layer1.0.conv1");
  CHECK(shortLayerName("/layer1/layer1.0/downsample/downsample.0/Conv", "Conv") == "layer1.0.downsample.0");
  CHECK(shortLayerName("/features/features.0/Conv", "Conv") == "features.0");
  CHECK(shortLayerName("/block1/a/conv/Conv", "Conv") == "block1.a.conv");
  CHECK(shortLayerName("/fc/Gemm_3", "Gemm") == "fc");
  CHECK(shortLayerName("/fc/Gemmx", "Gemm") == "/fc/Gemmx");
  CHECK(shortLayerName("conv1", "Conv") == "conv1");
  CHECK(shortLayerName("/Conv", "Conv") == "/Conv");
  CHECK(shortLayerName("", "Conv") == "");
}

TEST_CASE("AlexNet's conv stack gives exactly the validation fixture's shapes", "[energy][onnx]") {
  Model m = fromText(kAlexnetConvs);
  auto L = extractLayers(m, {.batch = 4, .input_shapes = {}});
  REQUIRE(L.ok());
  auto want = testing::alexnetConvLayers(false);
  REQUIRE(L->layers.size() == want.size());
  CHECK(L->skipped.empty());
  CHECK(L->batch == 4);
  for (size_t i = 0; i < want.size(); ++i) {
    const LayerShape &a = L->layers[i], &b = want[i];
    INFO(b.name);
    CHECK(a.name == b.name);
    CHECK(a.N == b.N);
    CHECK(a.M == b.M);
    CHECK(a.C == b.C);
    CHECK(a.G == b.G);
    CHECK(a.H == b.H);
    CHECK(a.W == b.W);
    CHECK(a.R == b.R);
    CHECK(a.S == b.S);
    CHECK(a.E == b.E);
    CHECK(a.F == b.F);
    CHECK(a.stride_h == b.stride_h);
    CHECK(a.stride_w == b.stride_w);
    CHECK(a.pad_top == b.pad_top);
    CHECK(a.pad_bottom == b.pad_bottom);
    CHECK(a.pad_left == b.pad_left);
    CHECK(a.pad_right == b.pad_right);
    CHECK(a.first_layer == b.first_layer);
    CHECK(validateLayer(a).ok());
  }
  // The chain: each conv's output reaches the next conv through Relu / LRN / MaxPool.
  CHECK(L->info[0].next == std::vector<int>{1});
  CHECK(L->info[3].next == std::vector<int>{4});
  CHECK(L->info[4].next.empty());
  CHECK(L->info[4].relu_after);
  CHECK_FALSE(L->info[0].weights_constant);  // weights are graph inputs here

  SECTION("Table V fractions on the inputs give the fixture's ofmap fractions too") {
    auto flag = parseActSparsityFlag("conv1=0.0001,conv2=0.387,conv3=72.5%,conv4=0.793,conv5=0.776");
    REQUIRE(flag.ok());
    std::vector<std::string> unmatched;
    auto ifmaps = resolveActSparsity(*L, {}, *flag, &unmatched);
    CHECK(unmatched.empty());
    setActivationSparsity(*L, ifmaps);
    auto fixture = testing::alexnetConvLayers(true);
    for (size_t i = 0; i < 5; ++i) {
      INFO(fixture[i].name);
      CHECK(L->layers[i].ifmap.zero_fraction == Approx(fixture[i].ifmap.zero_fraction));
      CHECK(L->layers[i].ofmap.zero_fraction == Approx(fixture[i].ofmap.zero_fraction));
    }
  }
  SECTION("the default batch is 1 for a symbolic batch dim") {
    auto one = extractLayers(m);
    REQUIRE(one.ok());
    CHECK(one->batch == 1);
    CHECK(one->layers[2].N == 1);
  }
}

TEST_CASE("Conv attributes: asymmetric pads, auto_pad, strides, dilations, depthwise, 1-D", "[energy][onnx]") {
  Model m = fromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,8,17,20] x, float[2,8,30] s) => (float[2,8,9,10] a, float[2,8,17,20] b, float[2,8,7,8] c, float[2,16,9,10] d,
                                         float[2,4,6,10] e, float[2,4,14] f) {
  a = Conv <pads = [1, 0, 2, 1], strides = [2, 2]> (x, wa)
  b = Conv <auto_pad = "SAME_UPPER"> (x, wb)
  c = Conv <auto_pad = "VALID", strides = [2, 2], dilations = [2, 2]> (x, wc)
  d = Conv <auto_pad = "SAME_LOWER", strides = [2, 2], group = 8> (x, wd)
  e = Conv <strides = [3, 2], dilations = [1, 2], pads = [0, 1, 0, 1]> (x, we)
  f = Conv <strides = [2]> (s, wf)
})");
  addWeight(m, "wa", {8, 8, 3, 3});
  addWeight(m, "wb", {8, 8, 4, 3});
  addWeight(m, "wc", {8, 8, 3, 3}, 4);  // every 4th weight is zero
  addWeight(m, "wd", {16, 1, 3, 3});
  addWeight(m, "we", {4, 8, 2, 2});
  addWeight(m, "wf", {4, 8, 3});
  auto L = extractLayers(m);
  REQUIRE(L.ok());
  std::string skipped;
  for (const auto& k : L->skipped) skipped += k.name + ": " + k.reason + "; ";
  INFO("skipped " << skipped);
  CHECK(L->skipped.empty());
  REQUIRE(L->layers.size() == 6);
  CHECK(L->batch == 2);
  for (const auto& l : L->layers) {
    INFO(l.name);
    CHECK(validateLayer(l).ok());
    CHECK(l.first_layer);
    CHECK(l.N == 2);
  }
  const auto& a = layer(*L, "a");
  CHECK(a.pad_top == 1);
  CHECK(a.pad_left == 0);
  CHECK(a.pad_bottom == 2);
  CHECK(a.pad_right == 1);
  CHECK(a.E == 9);
  CHECK(a.F == 10);
  const auto& b = layer(*L, "b");  // total pads 3 (rows) and 2 (cols): the extra one at the end
  CHECK(b.pad_top == 1);
  CHECK(b.pad_bottom == 2);
  CHECK(b.pad_left == 1);
  CHECK(b.pad_right == 1);
  CHECK(b.E == 17);
  CHECK(b.F == 20);
  const auto& c = layer(*L, "c");
  CHECK(c.dilation_h == 2);
  CHECK(c.E == 7);
  CHECK(c.F == 8);
  CHECK(c.weight_zero_fraction == Approx(144.0 / 576.0));
  CHECK(L->info[2].nonzero_weights == 432);
  const auto& d = layer(*L, "d");  // depthwise; total pads 2 (rows) and 1 (cols): SAME_LOWER puts the odd one first
  CHECK(d.G == 8);
  CHECK(d.C == 1);
  CHECK(d.M == 16);
  CHECK(d.pad_top == 1);
  CHECK(d.pad_bottom == 1);
  CHECK(d.pad_left == 1);
  CHECK(d.pad_right == 0);
  CHECK(d.E == 9);
  CHECK(d.F == 10);
  const auto& e = layer(*L, "e");
  CHECK(e.stride_h == 3);
  CHECK(e.stride_w == 2);
  CHECK(e.dilation_w == 2);
  CHECK(e.E == 6);
  CHECK(e.F == 10);
  const auto& f = layer(*L, "f");  // 1-D: a 1 x 30 map, 1 x 3 filters
  CHECK(f.H == 1);
  CHECK(f.R == 1);
  CHECK(f.W == 30);
  CHECK(f.S == 3);
  CHECK(f.E == 1);
  CHECK(f.F == 14);

  SECTION("--batch replaces the static batch") {
    auto L4 = extractLayers(m, {.batch = 4, .input_shapes = {}});
    REQUIRE(L4.ok());
    CHECK(L4->layers[0].N == 4);
    CHECK(L4->batch == 4);
  }
}

TEST_CASE("Gemm and MatMul with a weight become FC layers; the rest is skipped with a reason", "[energy][onnx]") {
  Model m = fromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,3,8,8] x, float[N,5,16] t, float[N,2,4,4,4] v, float[N,4,4,4] u) => (float[N,6] y, float[N,5,7] z, float[N,5,5] q,
                                                             float[N,2,2,2,2] o, float[N,2,9,9] p, float[N,6] y2) {
  c = Conv <pads = [1, 1, 1, 1]> (x, wc)
  r = Relu (c)
  f = Flatten (r)
  y = Gemm <transB = 1> (f, wg)
  y2 = Gemm (f, wg2)
  z = MatMul (t, wm)
  tt = Transpose <perm = [0, 2, 1]> (t)
  q = MatMul (t, tt)
  o = Conv (v, w3)
  p = ConvTranspose (u, wt)
})");
  addWeight(m, "wc", {4, 3, 3, 3});
  addWeight(m, "wg", {6, 256}, 2);
  addWeight(m, "wg2", {256, 6});
  addWeight(m, "wm", {16, 7});
  addWeight(m, "w3", {2, 2, 3, 3, 3});
  addWeight(m, "wt", {4, 2, 2, 2});
  auto L = extractLayers(m, {.batch = 3, .input_shapes = {}});
  REQUIRE(L.ok());
  REQUIRE(L->layers.size() == 5);
  const auto& c = layer(*L, "c");
  CHECK(c.first_layer);
  const auto& y = layer(*L, "y");
  CHECK(y.kind == LayerShape::Kind::Fc);
  CHECK(y.N == 3);
  CHECK(y.C == 256);
  CHECK(y.M == 6);
  CHECK(y.E == 1);
  CHECK(y.F == 1);
  CHECK_FALSE(y.first_layer);
  CHECK(y.weight_zero_fraction == Approx(0.5));
  const auto& y2 = layer(*L, "y2");
  CHECK(y2.C == 256);
  CHECK(y2.M == 6);
  // [N,5,16] x [16,7]: the 5 rows of a sample (tokens) are positions of one sample, not more samples.
  const auto& z = layer(*L, "z");
  CHECK(z.N == 3);
  CHECK(z.F == 5);
  CHECK(z.E == 1);
  CHECK(z.C == 16);
  CHECK(z.M == 7);
  CHECK(z.macs() == 3.0 * 5 * 16 * 7);  // what the MatMul computes
  CHECK(z.first_layer);
  // Two activations ([N,5,16] x [N,16,5]): one 16 -> 5 product per sample over its 5 rows.
  const auto& q = layer(*L, "q");
  CHECK(q.N == 3);
  CHECK(q.G == 1);
  CHECK(q.C == 16);
  CHECK(q.M == 5);
  CHECK(q.F == 5);
  CHECK(q.macs() == 3.0 * 5 * 16 * 5);
  CHECK_FALSE(L->info[4].weights_constant);
  CHECK(L->info[0].next == std::vector<int>{1, 2});
  CHECK(L->info[0].relu_after);
  REQUIRE(L->skipped.size() == 2);
  CHECK(L->skipped[0].name == "o");
  CHECK(L->skipped[0].reason.find("3-D convolution") != std::string::npos);
  CHECK(L->skipped[1].name == "p");
  CHECK(L->skipped[1].op == "ConvTranspose");
  for (const auto& l : L->layers) CHECK(validateLayer(l).ok());
}

TEST_CASE("symbolic spatial sizes and layers inside subgraphs are reported, not dropped", "[energy][onnx]") {
  Model m = fromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,3,H,W] x, bool cond) => (float[N,4,H,W] y, float[N,4,H,W] z) {
  y = Conv <pads = [1, 1, 1, 1]> (x, wc)
  z = If (cond) <then_branch = t () => (float[N,4,H,W] a) { a = Conv <pads = [1, 1, 1, 1]> (x, wc) },
                 else_branch = e () => (float[N,4,H,W] b) { b = Identity (y) }>
})");
  addWeight(m, "wc", {4, 3, 3, 3});
  auto L = extractLayers(m);
  REQUIRE(L.ok());
  CHECK(L->layers.empty());
  REQUIRE(L->skipped.size() == 2);
  CHECK(L->skipped[0].reason.find("unknown input dims (x [1,3,?,?])") != std::string::npos);
  CHECK(L->skipped[0].reason.find("--input-shape") != std::string::npos);
  CHECK(L->skipped[1].op == "If");
  CHECK(L->skipped[1].reason.find("1 Conv/Gemm/MatMul") != std::string::npos);
}

TEST_CASE("short names that collide fall back to node names", "[energy][onnx]") {
  Model m = fromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,3,8,8] x) => (float[1,4,8,8] y, float[1,4,8,8] z) {
  y = Conv <pads = [1, 1, 1, 1]> (x, wc)
  z = Conv <pads = [1, 1, 1, 1]> (x, wc)
})");
  addWeight(m, "wc", {4, 3, 3, 3});
  m.graph().mutable_node(0)->set_name("/block/Conv");
  m.graph().mutable_node(1)->set_name("/block/Conv_1");
  auto L = extractLayers(m);
  REQUIRE(L.ok());
  REQUIRE(L->layers.size() == 2);
  CHECK(L->layers[0].name == "/block/Conv");
  CHECK(L->layers[1].name == "/block/Conv_1");
  CHECK(L->find("/block/Conv_1") == 1);
}

TEST_CASE("the act-sparsity flag syntax", "[energy][onnx]") {
  auto f = parseActSparsityFlag("conv1=0.0001, conv2=38.7%,*=0.5");
  REQUIRE(f.ok());
  REQUIRE(f->layers.size() == 2);
  CHECK(f->layers[0].first == "conv1");
  CHECK(f->layers[1].second == Approx(0.387));
  CHECK(*f->rest == 0.5);
  for (const char* bad : {"conv1", "conv1=", "conv1=1.5", "conv1=-0.1", "conv1=abc", "=0.3", "a=0.1,a=0.2", "x=101%"}) {
    INFO(bad);
    auto e = parseActSparsityFlag(bad);
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().code() == Exit::Usage);
  }
}

TEST_CASE("zero-run buckets become a histogram with the exact zero count", "[energy][onnx]") {
  // 3 runs of 1, 1 of 2, and two runs of >= 4 holding 4 + 5 = 9 zeros; 10 nonzeros.
  std::vector<int64_t> counts = {3, 1, 0, 2};
  auto h = histogramFromRunCounts(24, 14, counts);
  REQUIRE(h.ok());
  CHECK(h->elements == 24);
  CHECK(h->nonzeros == 10);
  uint64_t zeros = 0;
  for (size_t L = 1; L < h->runs.size(); ++L) zeros += L * h->runs[L];
  CHECK(zeros == 14);
  CHECK(h->runs[4] == 1);
  CHECK(h->runs[5] == 1);
  LayerShape l = fcLayer("x", 1, 4, 4);
  l.ifmap.zero_runs = *h;
  CHECK(validateLayer(l).ok());
  CHECK_FALSE(histogramFromRunCounts(24, 14, std::vector<int64_t>{3, 1, 0, 0}).ok());  // 9 zeros unaccounted
  CHECK_FALSE(histogramFromRunCounts(24, 30, counts).ok());
}

TEST_CASE("`dnnc stats --json` output feeds the activation sparsity", "[energy][onnx]") {
  Model m = fromText(kAlexnetConvs);
  m.graph().mutable_node(4)->set_name("/conv2/Conv");
  auto L = extractLayers(m, {.batch = 4, .input_shapes = {}});
  REQUIRE(L.ok());
  nlohmann::json stats = {
      {"activations",
       {{{"node", "/conv2/Conv"}, {"input", 0}, {"count", 100}, {"zeros", 40}, {"zero_runs", {{"counts", {20, 10}}}}},
        {{"node", "conv3"}, {"input", 0}, {"count", 10}, {"zeros", 7}},
        {{"node", "conv3"}, {"input", 1}, {"count", 10}, {"zeros", 1}}}}};
  auto measured = parseActivationStatsJson(stats.dump(), "'s.json'");
  REQUIRE(measured.ok());
  REQUIRE(measured->size() == 3);
  std::vector<std::string> unmatched;
  auto ifmaps = resolveActSparsity(*L, *measured, ActSparsityFlag{{{"conv4", 0.5}}, 0.25}, &unmatched);
  CHECK(unmatched.empty());
  CHECK_FALSE(ifmaps[0]);  // the network input: not touched by '*'
  REQUIRE(ifmaps[1]);
  REQUIRE(ifmaps[1]->zero_runs);
  CHECK(ifmaps[1]->fraction() == Approx(0.4));
  CHECK(ifmaps[2]->fraction() == Approx(0.7));
  CHECK(ifmaps[3]->fraction() == Approx(0.5));
  CHECK(ifmaps[4]->fraction() == Approx(0.25));
  setActivationSparsity(*L, ifmaps);
  CHECK(L->layers[0].ofmap.zero_runs);  // conv1 writes what conv2 reads
  CHECK(L->layers[0].ifmap.fraction() == 0);
  for (const char* bad : {"[1,2]", "{\"activations\": [{\"node\": \"a\"}]}", "not json",
                          "{\"activations\": [{\"node\": \"a\", \"count\": 4, \"zeros\": 5}]}"}) {
    INFO(bad);
    auto e = parseActivationStatsJson(bad, "'x'");
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().code() == Exit::Input);
  }
  resolveActSparsity(*L, {}, ActSparsityFlag{{{"conv9", 0.5}}, {}}, &unmatched);
  CHECK(unmatched == std::vector<std::string>{"conv9"});
}

TEST_CASE("mapping-file names and indexes resolve to the model's layers", "[energy][onnx]") {
  Model m = fromText(kAlexnetConvs);
  m.graph().mutable_node(0)->set_name("/conv1/Conv");
  auto L = extractLayers(m, {.batch = 4, .input_shapes = {}});
  REQUIRE(L.ok());
  auto table = parseMappingTable(R"(layers:
  - {name: /conv1/Conv, n: 1, e: 7, p: 16, q: 1, r: 1, t: 2, m: 96}
  - {index: 1, n: 1, e: 27, p: 16, q: 2, r: 1, t: 1, m: 64}
  - {name: conv9, n: 1, e: 1, p: 1, q: 1, r: 1, t: 1, m: 1}
  - {index: 9, n: 1, e: 1, p: 1, q: 1, r: 1, t: 1, m: 1}
)",
                                 "'t.yaml'");
  REQUIRE(table.ok());
  std::vector<std::string> unmatched;
  MappingTable r = resolveMappingTable(*L, *table, &unmatched);
  CHECK(unmatched == std::vector<std::string>{"conv9", "index 9"});
  REQUIRE(r.entries.size() == 2);
  CHECK(r.find("conv1", 5));
  CHECK(r.find("conv2", 7));
  CHECK(r.find("conv2", 7)->mapping.e == 27);
  CHECK_FALSE(r.find("conv3", 1));  // index entries are now names
}
