// Executor behaviour: up-front validation, input checks, fetching intermediates, observers, buffer
// planning, and the int64 shape arithmetic exported models use to compute Reshape targets.
#include <catch2/catch.hpp>

#include "lib/exec/kernel.h"
#include "lib/exec/memory_plan.h"
#include "test/unit/exec/exec_test_util.h"

using namespace dnnc;
using namespace dnnc::exectest;

TEST_CASE("unsupported ops are rejected at create(), naming op and node", "[exec]") {
  Model m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,3] X) => (float[2,3] Y) {
  A = Relu (X)
  B = Det (A)
  Y = Relu (B)
})");
  m.graph().mutable_node(1)->set_name("the_det");
  auto e = Executor::create(m);
  REQUIRE_FALSE(e);
  CHECK(e.error().code() == Exit::Input);
  CHECK_THAT(e.error().message(), Catch::Contains("Det") && Catch::Contains("the_det"));
  CHECK_THAT(e.error().hint(), Catch::Contains("Conv"));
}

TEST_CASE("bad attribute values are rejected at create()", "[exec]") {
  Model m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,4,4] X) => (float[1,1,4,4] Y) {
  Y = Pad <mode = "wrap"> (X, P)
})");
  m.graph().mutable_node(0)->set_name("pad0");
  Tensor pads(DType::Int64, {8});
  addInitializer(m, "P", pads);
  auto e = Executor::create(m);
  REQUIRE_FALSE(e);
  CHECK_THAT(e.error().message(), Catch::Contains("pad0") && Catch::Contains("wrap"));
}

TEST_CASE("negative Conv and pool pads are rejected at create()", "[exec]") {
  for (const char* op : {"Conv", "MaxPool", "AveragePool"}) {
    const bool conv = std::string(op) == "Conv";
    Model m = modelFromText(std::string(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,9,9] X) => (float[1,2,10,10] Y) {
  Y = )") + op + R"( <kernel_shape = [3, 3], pads = [-1, 2, 2, 2]> (X)" + (conv ? ", W" : "") + ")\n}");
    m.graph().mutable_node(0)->set_name("win0");
    if (conv) addInitializer(m, "W", randomTensor({2, 2, 3, 3}, 1));
    auto e = Executor::create(m);
    INFO(op);
    REQUIRE_FALSE(e);
    CHECK_THAT(e.error().message(), Catch::Contains("win0") && Catch::Contains("pads must be non-negative"));
  }
}

TEST_CASE("missing required inputs are rejected at create()", "[exec]") {
  Model m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,4,4] X) => (float[1,1,4,4] Y) {
  Y = Pad (X)
})");
  auto e = Executor::create(m);
  REQUIRE_FALSE(e);
  CHECK_THAT(e.error().message(), Catch::Contains("Pad") && Catch::Contains("input 1 is required"));
}

TEST_CASE("inputs are checked against the declared type and static dims", "[exec]") {
  Model m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,3] X) => (float[N,3] Y) {
  Y = Relu (X)
})");
  auto exec = makeExecutor(m);
  Tensor ok = randomTensor({5, 3}, 1);
  CHECK(exec->run({&ok}).ok());
  Tensor wrong_dim = randomTensor({5, 4}, 1);
  auto r1 = exec->run({&wrong_dim});
  REQUIRE_FALSE(r1);
  CHECK(r1.error().code() == Exit::Input);
  CHECK_THAT(r1.error().message(), Catch::Contains("[?,3] float32") && Catch::Contains("[5,4]"));
  Tensor wrong_type(DType::Int64, {5, 3});
  CHECK_FALSE(exec->run({&wrong_type}));
  CHECK_FALSE(exec->run(std::span<const Tensor* const>{}));
}

TEST_CASE("any value can be fetched by name, and observers see every node", "[exec]") {
  Model m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,3] X) => (float[2,3] Y) {
  A = Neg1 (X)
})");
  m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,3] X) => (float[2,3] Y) {
  A = Sub (X, X)
  B = Add (X, A)
  C = Relu (B)
  Y = Mul (C, X)
})");
  auto exec = makeExecutor(m);
  Tensor x = randomTensor({2, 3}, 3);
  ExecRunOptions opts;
  opts.fetch = {"B", "Y", "X"};
  struct Count : NodeObserver {
    int before = 0, after = 0;
    void beforeNode(int, const onnx::NodeProto&, std::span<const Value* const> in) override { before += in.size() > 0; }
    void afterNode(int, const onnx::NodeProto&, std::span<const Value* const> out) override { after += out[0] != nullptr; }
  } count;
  opts.observer = &count;
  auto out = runOk(*exec, {&x}, opts);
  REQUIRE(out.size() == 3);
  CHECK(closeness(out[0], x) <= 1.0);  // B = X + (X - X)
  CHECK(closeness(out[2], x) <= 1.0);
  for (int i = 0; i < 6; ++i) {
    float v = x.data<float>()[i];
    CHECK(out[1].data<float>()[i] == Approx(v > 0 ? v * v : 0.0f));
  }
  CHECK(count.before == 4);
  CHECK(count.after == 4);
  ExecRunOptions bad;
  bad.fetch = {"nope"};
  auto r = exec->run({&x}, bad);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == Exit::Usage);
  // Fetching only an early value skips the later nodes.
  ExecRunOptions early;
  early.fetch = {"A"};
  struct Nodes : NodeObserver {
    int n = 0;
    void afterNode(int, const onnx::NodeProto&, std::span<const Value* const>) override { ++n; }
  } nodes;
  early.observer = &nodes;
  runOk(*exec, {&x}, early);
  CHECK(nodes.n == 1);
}

TEST_CASE("buffers are planned once per shape and reused; intermediates die after their last use", "[exec]") {
  // A chain of 8 convs: a good plan needs about two activations, not eight.
  std::string text = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,8,32,32] X) => (float[N,8,32,32] Y) {
)";
  for (int i = 0; i < 8; ++i)
    text += "  T" + std::to_string(i + 1) + " = Conv <pads = [1, 1, 1, 1]> (" + (i == 0 ? std::string("X") : "T" + std::to_string(i)) + ", W)\n";
  text += "  Y = Relu (T8)\n}";
  Model m = modelFromText(text);
  addInitializer(m, "W", randomTensor({8, 8, 3, 3}, 4, -0.1f, 0.1f));
  auto exec = makeExecutor(m);
  Tensor x = randomTensor({4, 8, 32, 32}, 5);
  auto first = runOk(*exec, {&x});
  const size_t act = 4 * 8 * 32 * 32 * sizeof(float);
  CHECK(exec->arenaBytes() >= act);
  CHECK(exec->arenaBytes() <= 2 * act + 4096);
  auto second = runOk(*exec, {&x});
  CHECK(closeness(second[0], first[0]) <= 1e-6);
  Tensor small = randomTensor({1, 8, 32, 32}, 6);  // a new shape gets its own plan
  auto third = runOk(*exec, {&small});
  CHECK(third[0].dims() == std::vector<int64_t>{1, 8, 32, 32});
  auto fourth = runOk(*exec, {&x});
  CHECK(closeness(fourth[0], first[0]) <= 1e-6);
}

TEST_CASE("memory layout never overlaps live buffers", "[exec]") {
  std::vector<BufferLifetime> b = {{100, 0, 2}, {200, 1, 3}, {50, 2, 2}, {300, 3, 5}, {100, 4, 5}, {1, 0, 5}};
  MemoryLayout l = layoutBuffers(b);
  for (size_t i = 0; i < b.size(); ++i)
    for (size_t j = i + 1; j < b.size(); ++j) {
      bool live = b[i].first <= b[j].last && b[j].first <= b[i].last;
      bool overlap = l.offsets[i] < l.offsets[j] + b[j].bytes && l.offsets[j] < l.offsets[i] + b[i].bytes;
      CHECK_FALSE((live && overlap));
    }
  CHECK(l.total_bytes >= peakLiveBytes(b));
}

TEST_CASE("int64 shape arithmetic feeds Reshape (Shape, Gather, Unsqueeze, Concat, ConstantOfShape, Cast)", "[exec]") {
  Model m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,2,3,4] X) => (float[N,24] Y, float[N,24] Z, int64[2] S) {
  sh = Shape (X)
  zero = Constant <value = int64 {0}> ()
  n = Gather <axis = 0> (sh, zero)
  n1 = Unsqueeze (n, zero)
  minus1 = Constant <value = int64[1] {-1}> ()
  S = Concat <axis = 0> (n1, minus1)
  Y = Reshape (X, S)
  ys = Shape (Y)
  ones = ConstantOfShape <value = float[1] {1.0}> (ys)
  halfs = Cast <to = 1> (S)
  Z = Mul (Y, ones)
})");
  auto exec = makeExecutor(m);
  Tensor x = randomTensor({3, 2, 3, 4}, 7);
  auto out = runOk(*exec, {&x});
  CHECK(out[0].dims() == std::vector<int64_t>{3, 24});
  CHECK(out[2].dtype() == DType::Int64);
  CHECK(out[2].data<int64_t>()[0] == 3);
  CHECK(out[2].data<int64_t>()[1] == -1);
  CHECK(closeness(out[1], Tensor::fromFloats(x.toFloats(), {3, 24})) <= 1.0);
}

TEST_CASE("opset differences: Squeeze/Unsqueeze/Split/ReduceMean axes, Clip bounds, Pad", "[exec]") {
  SECTION("opset 10 attributes") {
    Model m = modelFromText(R"(<ir_version: 7, opset_import: ["" : 10]>
g (float[1,4,1,2] X) => (float[2,2] A, float[1,4] B, float[1,4] C, float[4,1,2,1] D, float[1,1,1,1] E, float[1,4,3,2] F) {
  sq = Squeeze <axes = [0, 2]> (X)
  A, A2 = Split <axis = 0, split = [2, 2]> (sq)
  B = ReduceMean <axes = [2, -1], keepdims = 0> (X)
  C = Clip <min = -0.5, max = 0.5> (B)
  D = Unsqueeze <axes = [3]> (sq4)
  sq4 = Squeeze <axes = [0]> (X)
  E = ReduceMean (X)
  F = Pad <pads = [0, 0, 1, 0, 0, 0, 1, 0], mode = "edge"> (X)
})");
    // D uses sq4 before it is defined: reorder the last nodes to keep the graph sorted.
    m.graph().mutable_node()->SwapElements(4, 5);
    auto exec = makeExecutor(m);
    Tensor x = randomTensor({1, 4, 1, 2}, 8);
    auto out = runOk(*exec, {&x});
    const float* v = x.data<float>();
    CHECK(out[0].dims() == std::vector<int64_t>{2, 2});
    CHECK(out[1].data<float>()[1] == Approx((v[2] + v[3]) / 2));
    CHECK(out[2].data<float>()[1] == Approx(std::clamp((v[2] + v[3]) / 2, -0.5f, 0.5f)));
    CHECK(out[3].dims() == std::vector<int64_t>{4, 1, 2, 1});
    float mean = 0;
    for (int i = 0; i < 8; ++i) mean += v[i] / 8;
    CHECK(out[4].data<float>()[0] == Approx(mean));
    CHECK(out[5].dims() == std::vector<int64_t>{1, 4, 3, 2});
    CHECK(out[5].data<float>()[0] == v[0]);
    CHECK(out[5].data<float>()[4] == v[0]);
  }
  SECTION("opset 13 inputs") {
    Model m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,1,2] X) => (float[2,2] A, float[1,4,1,2] C, float[1,6,1,2] P) {
  ax = Constant <value = int64[2] {0, 2}> ()
  sq = Squeeze (X, ax)
  sp = Constant <value = int64[2] {2, 2}> ()
  A, A2 = Split <axis = 0> (sq, sp)
  lo = Constant <value = float {-0.25}> ()
  C = Clip (X, lo, )
  pads = Constant <value = int64[8] {0, 1, 0, 0, 0, 1, 0, 0}> ()
  cv = Constant <value = float {7.0}> ()
  P = Pad (X, pads, cv)
})");
    auto exec = makeExecutor(m);
    Tensor x = randomTensor({1, 4, 1, 2}, 9);
    auto out = runOk(*exec, {&x});
    CHECK(out[0].dims() == std::vector<int64_t>{2, 2});
    for (int i = 0; i < 8; ++i) CHECK(out[1].data<float>()[i] == std::max(x.data<float>()[i], -0.25f));
    CHECK(out[2].data<float>()[0] == 7.0f);
    CHECK(out[2].data<float>()[2] == x.data<float>()[0]);
  }
}

TEST_CASE("Gemm and MatMul against naive products", "[exec]") {
  Model m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[5,3] A, float[2,1,4,5] P, float[3,5,2] Q) => (float[3,4] G, float[2,3,4,2] M) {
  G = Gemm <alpha = 0.5, beta = 2.0, transA = 1, transB = 1> (A, B, C)
  M = MatMul (P, Q)
})");
  Tensor b = randomTensor({4, 5}, 11), c = randomTensor({4}, 12);
  addInitializer(m, "B", b);
  addInitializer(m, "C", c);
  Tensor a = randomTensor({5, 3}, 13), p = randomTensor({2, 1, 4, 5}, 14), q = randomTensor({3, 5, 2}, 15);
  for (int threads : {1, 2}) {
    auto exec = makeExecutor(m, threads);
    auto out = runOk(*exec, {&a, &p, &q});
    Tensor g(DType::Float, {3, 4}), mm(DType::Float, {2, 3, 4, 2});
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 4; ++j) {
        double acc = 0;
        for (int k = 0; k < 5; ++k) acc += a.data<float>()[k * 3 + i] * b.data<float>()[j * 5 + k];
        g.data<float>()[i * 4 + j] = static_cast<float>(0.5 * acc + 2.0 * c.data<float>()[j]);
      }
    for (int x = 0; x < 2; ++x)
      for (int y = 0; y < 3; ++y)
        for (int i = 0; i < 4; ++i)
          for (int j = 0; j < 2; ++j) {
            double acc = 0;
            for (int k = 0; k < 5; ++k) acc += p.data<float>()[(x * 4 + i) * 5 + k] * q.data<float>()[(y * 5 + k) * 2 + j];
            mm.data<float>()[((x * 3 + y) * 4 + i) * 2 + j] = static_cast<float>(acc);
          }
    CHECK(closeness(out[0], g) <= 1.0);
    CHECK(closeness(out[1], mm) <= 1.0);
  }
}

// Naive C[i][j] = sum_k A[i][k] B[k][j] (+ bias[j]) for row-major A (M x K) and B (K x N).
static Tensor naiveProduct(const Tensor& a, const Tensor& b, const Tensor* bias) {
  const int64_t M = a.dims()[0], K = a.dims()[1], N = b.dims()[1];
  Tensor c(DType::Float, {M, N});
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double acc = bias ? bias->data<float>()[j] : 0.0;
      for (int64_t k = 0; k < K; ++k) acc += double{a.data<float>()[i * K + k]} * b.data<float>()[k * N + j];
      c.data<float>()[i * N + j] = static_cast<float>(acc);
    }
  return c;
}

TEST_CASE("Gemm and MatMul split their rows or their columns among threads and match naive products", "[exec]") {
  // Many rows (every position of a map): row parts, with constant weights (kept packed) and with weights
  // computed at run time; 32 rows (a batch): column parts; one row (batch 1, the row kernel): column
  // parts. 400 and 300 rows are not multiples of a row panel, 80 and 70 columns not of a column panel.
  Model m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[400,96] X, float[96,80] R, float[300,128] A, float[32,512] S, float[1,1000] O) => (float[400,80] Y, float[400,80] Z, float[300,70] G, float[32,200] H, float[1,600] F) {
  Y = MatMul (X, W)
  Z = MatMul (X, R)
  G = Gemm <transB = 1> (A, B, C)
  H = Gemm (S, D, E)
  F = Gemm <transB = 1> (O, U, V)
})");
  Tensor w = randomTensor({96, 80}, 21), bt = randomTensor({70, 128}, 22), c = randomTensor({70}, 23);
  Tensor d = randomTensor({512, 200}, 24), e = randomTensor({200}, 25);
  addInitializer(m, "W", w);
  addInitializer(m, "B", bt);
  addInitializer(m, "C", c);
  addInitializer(m, "D", d);
  addInitializer(m, "E", e);
  Tensor u = randomTensor({600, 1000}, 34), v = randomTensor({600}, 35), o = randomTensor({1, 1000}, 36);
  addInitializer(m, "U", u);
  addInitializer(m, "V", v);
  Tensor ut(DType::Float, {1000, 600});
  for (int64_t i = 0; i < 600; ++i)
    for (int64_t k = 0; k < 1000; ++k) ut.data<float>()[k * 600 + i] = u.data<float>()[i * 1000 + k];
  Tensor x = randomTensor({400, 96}, 26), r = randomTensor({96, 80}, 27), a = randomTensor({300, 128}, 28);
  Tensor sx = randomTensor({32, 512}, 29);
  Tensor b(DType::Float, {128, 70});  // B transposed, for the naive product
  for (int64_t i = 0; i < 70; ++i)
    for (int64_t k = 0; k < 128; ++k) b.data<float>()[k * 70 + i] = bt.data<float>()[i * 128 + k];
  const Tensor want[5] = {naiveProduct(x, w, nullptr), naiveProduct(x, r, nullptr), naiveProduct(a, b, &c),
                          naiveProduct(sx, d, &e), naiveProduct(o, ut, &v)};
  for (int threads : {1, 2, 3}) {
    auto exec = makeExecutor(m, threads);
    for (int rep = 0; rep < 2; ++rep) {
      auto out = runOk(*exec, {&x, &r, &a, &sx, &o});
      for (int i = 0; i < 5; ++i) {
        INFO("output " << i << ", threads " << threads << ", run " << rep);
        CHECK(closeness(out[i], want[i]) <= 1.0);
      }
    }
  }
}

TEST_CASE("Add and Mul over more elements than one thread takes match a plain loop on any thread count", "[exec]") {
  // Same shapes collapse to a single run, a scalar operand too, and [2, n] + [2, 1] to two runs: fewer
  // runs than threads, so each run is split among them.
  constexpr int64_t n = 300001;
  Model m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,300001] P, float[2,300001] Q, float[2,1] V) => (float[2,300001] S, float[2,300001] T, float[2,300001] U) {
  S = Add (P, Q)
  T = Mul (P, K)
  U = Add (P, V)
})");
  Tensor k(DType::Float, {});
  k.data<float>()[0] = 0.75f;
  addInitializer(m, "K", k);
  Tensor p = randomTensor({2, n}, 31), q = randomTensor({2, n}, 32), v = randomTensor({2, 1}, 33);
  for (int threads : {1, 2, 3}) {
    auto exec = makeExecutor(m, threads);
    auto out = runOk(*exec, {&p, &q, &v});
    INFO("threads " << threads);
    int64_t wrong = 0;
    for (int64_t i = 0; i < 2 * n; ++i) {
      const float x = p.data<float>()[i];
      wrong += out[0].data<float>()[i] != x + q.data<float>()[i];
      wrong += out[1].data<float>()[i] != x * 0.75f;
      wrong += out[2].data<float>()[i] != x + v.data<float>()[i / n];
    }
    CHECK(wrong == 0);
  }
}

TEST_CASE("Concat of more bytes than one thread copies matches a plain join on any thread count", "[exec]") {
  // Batch 1 (one outer index: each input's block cut into pieces) and batch 40 (outer ranges).
  Model m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,3,300,300] A, float[1,5,300,300] B, float[40,3,60,60] C, float[40,2,60,60] D) => (float[1,8,300,300] Y, float[40,5,60,60] Z) {
  Y = Concat <axis = 1> (A, B)
  Z = Concat <axis = 1> (C, D)
})");
  Tensor a = randomTensor({1, 3, 300, 300}, 41), b = randomTensor({1, 5, 300, 300}, 42);
  Tensor c = randomTensor({40, 3, 60, 60}, 43), d = randomTensor({40, 2, 60, 60}, 44);
  for (int threads : {1, 2, 3}) {
    auto exec = makeExecutor(m, threads);
    auto out = runOk(*exec, {&a, &b, &c, &d});
    INFO("threads " << threads);
    int64_t wrong = 0;
    const int64_t plane = 300 * 300;
    for (int64_t i = 0; i < 8 * plane; ++i)
      wrong += out[0].data<float>()[i] != (i < 3 * plane ? a.data<float>()[i] : b.data<float>()[i - 3 * plane]);
    const int64_t small = 60 * 60;
    for (int64_t n = 0; n < 40; ++n)
      for (int64_t i = 0; i < 5 * small; ++i)
        wrong += out[1].data<float>()[n * 5 * small + i] !=
                 (i < 3 * small ? c.data<float>()[n * 3 * small + i] : d.data<float>()[n * 2 * small + i - 3 * small]);
    CHECK(wrong == 0);
  }
}

TEST_CASE("the op table lists every op of the issue", "[exec]") {
  for (const char* op : {"Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu",
                         "PRelu", "Clip", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Softmax", "LogSoftmax",
                         "ThresholdedRelu", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
                         "BatchNormalization", "LRN", "Flatten", "Reshape", "Transpose", "Concat", "Split", "Slice",
                         "Squeeze", "Unsqueeze", "Pad", "Dropout", "Identity", "Gather", "Shape", "Constant",
                         "ConstantOfShape", "ReduceMean", "QuantizeLinear", "DequantizeLinear", "Cast",
                         // what exported transformers, segmentation and speech models add
                         "Erf", "Equal", "Where", "Expand", "Mod", "Not", "Range", "ScatterND", "If", "Resize", "LSTM"})
    CHECK(findKernel(op) != nullptr);
  CHECK(findKernel("Det") == nullptr);
}

TEST_CASE("nodes on constants only run once, at build: a shared weight's Gather(codebook, indices)", "[exec]") {
  // The shared-weight form dnnc's share pass writes, with a graph output that is itself computed from
  // constants (kept) next to operands only folded nodes read (freed).
  Model shared = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,5,5] X) => (float[1,3,3,3] Y, int64[3,2,3,3] I) {
  I = Cast <to = 7> (idx)
  W = Gather <axis = 0> (codebook, I)
  Y = Conv (X, W)
})");
  const std::vector<float> codebook = {-0.75f, -0.1f, 0.2f, 0.9f};
  Tensor idx(DType::Uint8, {3, 2, 3, 3});
  std::mt19937 rng(3);
  for (auto& v : idx.span<uint8_t>()) v = static_cast<uint8_t>(rng() % codebook.size());
  addInitializer(shared, "codebook", Tensor::fromFloats(codebook, {4}));
  addInitializer(shared, "idx", idx);

  // The same convolution with the weight written out by hand: the reference.
  Model stored = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,5,5] X) => (float[1,3,3,3] Y) {
  Y = Conv (X, W)
})");
  std::vector<float> w;
  for (uint8_t k : idx.span<uint8_t>()) w.push_back(codebook[k]);
  addInitializer(stored, "W", Tensor::fromFloats(w, {3, 2, 3, 3}));

  auto exec = makeExecutor(shared);
  auto ref = makeExecutor(stored);
  CHECK(exec->isConstant("W"));
  CHECK(exec->isConstant("I"));
  for (uint32_t seed : {1u, 2u}) {  // a second run reads the folded weight again
    Tensor x = randomTensor({1, 2, 5, 5}, seed);
    auto out = runOk(*exec, {&x});
    auto want = runOk(*ref, {&x});
    CHECK(closeness(out[0], want[0]) <= 1.0);
    REQUIRE(out[1].dtype() == DType::Int64);
    for (int64_t i = 0; i < idx.numel(); ++i) CHECK(out[1].data<int64_t>()[i] == idx.span<uint8_t>()[i]);
  }
  // The codebook and the stored indices were read only by the folded nodes: freed, and said so.
  Tensor x = randomTensor({1, 2, 5, 5}, 1);
  auto fetched = exec->run(std::vector<const Tensor*>{&x}, {.fetch = {"codebook"}});
  REQUIRE_FALSE(fetched);
  CHECK(fetched.error().code() == Exit::Usage);
  CHECK_THAT(fetched.error().message(), Catch::Contains("only folded nodes read"));
  CHECK(runOk(*exec, {&x}, {.fetch = {"W"}})[0].toFloats() == w);
}

TEST_CASE("node_seconds times every node that runs, with the fusions still on", "[exec]") {
  // Conv -> Relu (fused into the Conv) after a Constant that folds at build: one entry per node, zero for
  // the folded one, and the timed run gives the same output as a plain one.
  const char* text = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 2, 8, 8] X) => (float[1, 4, 8, 8] Y) {
  W = Constant <value = float[4, 2, 3, 3] {1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                                          1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                                          1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                                          1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9}> ()
  C = Conv <pads = [1, 1, 1, 1]> (X, W)
  Y = Relu (C)
})";
  auto exec = makeExecutor(modelFromText(text), 1);
  Tensor x = exectest::randomTensor({1, 2, 8, 8}, 7);
  std::vector<double> seconds = {42.0};
  ExecRunOptions opts;
  opts.node_seconds = &seconds;
  auto timed = runOk(*exec, {&x}, opts);
  REQUIRE(seconds.size() == 3);
  CHECK(seconds[0] == 0.0);  // the Constant, folded at build
  CHECK(seconds[1] > 0.0);   // the Conv, which also rectified
  CHECK(closeness(timed[0], runOk(*exec, {&x})[0]) == 0.0);
}

TEST_CASE("BatchNormalization followed by Relu is rectified in its own pass, and only when nothing else reads it",
          "[exec]") {
  // DenseNet's pre-activation: X -> BatchNormalization -> Relu, X a graph input (no Conv to fold into).
  // Reference: the inference formula and max(0, .) in double. With N fetched too, the BN must leave N
  // unrectified (no fusion) and the Relu do its own pass.
  const char* text = R"(<ir_version: 8, opset_import: ["" : 15]>
g (float[2, 3, 4, 5] X) => (float[2, 3, 4, 5] Y) {
  S = Constant <value = float[3] {1.5, -0.5, 2.0}> ()
  B = Constant <value = float[3] {0.1, 0.2, -0.3}> ()
  MU = Constant <value = float[3] {0.05, -0.1, 0.2}> ()
  V = Constant <value = float[3] {0.9, 1.1, 0.25}> ()
  N = BatchNormalization <epsilon = 0.001> (X, S, B, MU, V)
  Y = Relu (N)
})";
  const float s[3] = {1.5f, -0.5f, 2.0f}, b[3] = {0.1f, 0.2f, -0.3f}, mu[3] = {0.05f, -0.1f, 0.2f}, v[3] = {0.9f, 1.1f, 0.25f};
  Tensor x = exectest::randomTensor({2, 3, 4, 5}, 11, -2.0f, 2.0f);
  Tensor n_want(DType::Float, {2, 3, 4, 5}), y_want(DType::Float, {2, 3, 4, 5});
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t c = (i / 20) % 3;
    const double n = s[c] * (x.data<float>()[i] - mu[c]) / std::sqrt(v[c] + 0.001) + b[c];
    n_want.data<float>()[i] = static_cast<float>(n);
    y_want.data<float>()[i] = static_cast<float>(std::max(n, 0.0));
  }
  for (int threads : {1, 2}) {
    auto exec = makeExecutor(modelFromText(text), threads);
    CHECK(closeness(runOk(*exec, {&x})[0], y_want) <= 1.0);
    auto both = runOk(*exec, {&x}, {.fetch = {"N", "Y"}});
    CHECK(closeness(both[0], n_want) <= 1.0);
    CHECK(closeness(both[1], y_want) <= 1.0);
  }
}
