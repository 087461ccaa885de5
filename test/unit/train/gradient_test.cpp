// Reverse mode against central finite differences, op by op, on small random models: every parameter
// gradient of the mean cross-entropy must match (up + down) / (2 eps).
#include "test/unit/train/train_test_util.h"

using namespace dnnc;
using namespace dnnc::test;

namespace {
const std::vector<int64_t> kLabels = {0, 2, 1};
const char* kHeader = R"(<ir_version: 8, opset_import: ["" : 13]>)";
std::string model(const std::string& sig, const std::string& body) { return std::string(kHeader) + "\n g " + sig + "\n{\n" + body + "\n}"; }
}  // namespace

TEST_CASE("train: Gemm, Relu, bias broadcast", "[train][grad]") {
  auto m = textModel(model("(float[3,5] x, float[4,5] w1, float[4] b1, float[4,3] w2, float[3] b2) => (float[3,3] y)",
                           "h = Gemm <transB = 1> (x, w1, b1)\n r = Relu (h)\n y = Gemm <alpha = 0.7, beta = 1.3> (r, w2, b2)"),
                     {{"w1", {4, 5}}, {"b1", {4}}, {"w2", {4, 3}}, {"b2", {3}}});
  checkGradients(m, randomBuf({3, 5}, 2), kLabels);
}

TEST_CASE("train: Gemm with transA and a [1,N] bias", "[train][grad]") {
  auto m = textModel(model("(float[3,5] x, float[6,3] w, float[6,5] a, float[1,5] c) => (float[3,5] y)",
                           "t = Gemm <transA = 1> (w, a, c)\n y0 = Mul (t, x)\n y = Tanh (y0)"),
                     {{"w", {6, 3}}, {"a", {6, 5}}, {"c", {1, 5}}});
  checkGradients(m, randomBuf({3, 5}, 3), {0, 4, 2});
}

TEST_CASE("train: MatMul, Add, Sub, Mul with broadcasting, Sigmoid, LeakyRelu, Clip", "[train][grad]") {
  auto m = textModel(model("(float[3,4] x, float[4,3] w, float[3] b, float[1,3] s, float[3,3] q) => (float[3,3] y)",
                           "h = MatMul (x, w)\n a = Add (h, b)\n m = Mul (a, s)\n d = Sub (m, q)\n"
                           "g = Sigmoid (d)\n l = LeakyRelu <alpha = 0.2> (a)\n lo = Constant <value = float {-0.3}> ()\n"
                           "hi = Constant <value = float {0.4}> ()\n c = Clip (l, lo, hi)\n y = Add (g, c)"),
                     {{"w", {4, 3}}, {"b", {3}}, {"s", {1, 3}, 0.5f, 1.5f}, {"q", {3, 3}}});
  // Input seed chosen so that no pre-activation sits within eps of a LeakyRelu or Clip kink.
  checkGradients(m, randomBuf({3, 4}, 14), kLabels);
}

TEST_CASE("train: ThresholdedRelu passes the gradient where the input is above alpha", "[train][grad]") {
  // prune-activations' cut-offs; the search retrains through them. alpha = 0.3 cuts about a third of the
  // positive pre-activations, so the mask differs from Relu's (a Relu rule in its place fails this).
  auto m = textModel(model("(float[3,4] x, float[4,5] w, float[5,3] v) => (float[3,3] y)",
                           "h = MatMul (x, w)\n t = ThresholdedRelu <alpha = 0.3> (h)\n y = MatMul (t, v)"),
                     {{"w", {4, 5}}, {"v", {5, 3}}});
  // Input seed chosen so that no pre-activation sits within eps of the step at alpha.
  checkGradients(m, randomBuf({3, 4}, 14), kLabels);
}

TEST_CASE("train: Conv with groups, strides, pads; MaxPool; Flatten", "[train][grad]") {
  auto m = textModel(model("(float[3,4,7,7] x, float[6,2,3,3] w, float[6] b, float[3,36] f) => (float[3,3] y)",
                           "c = Conv <group = 2, strides = [2, 2], pads = [1, 0, 1, 1]> (x, w, b)\n"
                           "p = MaxPool <kernel_shape = [2, 2], strides = [1, 1]> (c)\n"
                           "r = Relu (p)\n fl = Flatten (r)\n y = Gemm <transB = 1> (fl, f)"),
                     {{"w", {6, 2, 3, 3}}, {"b", {6}}, {"f", {3, 36}}});
  checkGradients(m, randomBuf({3, 4, 7, 7}, 5), kLabels);
}

TEST_CASE("train: MaxPool 2x2 stride 2 on an odd map, the last row and column left out", "[train][grad]") {
  // The pair path (one window per vector lane): 9x7 maps pool to 4x3, and the winners' gradients only.
  auto m = textModel(model("(float[3,2,9,7] x, float[4,2,1,1] w, float[3,48] f) => (float[3,3] y)",
                           "c = Conv (x, w)\n p = MaxPool <kernel_shape = [2, 2], strides = [2, 2]> (c)\n"
                           "fl = Flatten (p)\n y = Gemm <transB = 1> (fl, f)"),
                     {{"w", {4, 2, 1, 1}}, {"f", {3, 48}}});
  checkGradients(m, randomBuf({3, 2, 9, 7}, 6), kLabels, {}, train::Phase::Eval, 12, 1e-3);
}

TEST_CASE("train: dilated Conv, AveragePool with pads, GlobalAveragePool, Concat, Reshape", "[train][grad]") {
  auto m2 = textModel(model("(float[3,2,8,8] x, float[4,2,3,3] w, float[4,2,1,1] v, float[8,3] f) => (float[3,3] y)",
                            "c = Conv <dilations = [2, 2]> (x, w)\n a = AveragePool <kernel_shape = [3, 3], pads = [1, 1, 1, 1], strides = [2, 2], count_include_pad = 1> (c)\n"
                            "g = GlobalAveragePool (a)\n c2 = Conv (x, v)\n g2 = GlobalAveragePool (c2)\n"
                            "cat = Concat <axis = 1> (g, g2)\n sh = Constant <value = int64[2] {3, 8}> ()\n"
                            "fl = Reshape (cat, sh)\n y = MatMul (fl, f)"),
                      {{"w", {4, 2, 3, 3}}, {"v", {4, 2, 1, 1}}, {"f", {8, 3}, -2.0f, 2.0f}});
  checkGradients(m2, randomBuf({3, 2, 8, 8}, 6), kLabels);
}

TEST_CASE("train: Conv on a narrow map through the direct convolution, forward and dX", "[train][grad]") {
  // c2 has 16 input channels, 17 outputs, depth 144 and a 7-wide input at stride 1: its forward pass and
  // its dX run on lib/exec/gemm/conv_direct (dilated, asymmetric pads, a 1-lane tail block); w1's gradient
  // is only right if c2's dX is.
  auto m = textModel(model("(float[3,2,6,7] x, float[16,2,3,3] w1, float[17,16,3,3] w2, float[17] b2, float[3,17] f) => (float[3,3] y)",
                           "c1 = Conv <pads = [1, 1, 1, 1]> (x, w1)\n t = Tanh (c1)\n"
                           "c2 = Conv <dilations = [2, 2], pads = [2, 1, 1, 2]> (t, w2, b2)\n"
                           "g = GlobalAveragePool (c2)\n fl = Flatten (g)\n y = Gemm <transB = 1> (fl, f)"),
                     {{"w1", {16, 2, 3, 3}}, {"w2", {17, 16, 3, 3}}, {"b2", {17}}, {"f", {3, 17}, -2.0f, 2.0f}});
  checkGradients(m, randomBuf({3, 2, 6, 7}, 8), kLabels);
}

TEST_CASE("train: BatchNormalization frozen and with batch statistics", "[train][grad]") {
  const std::string text = model(
      "(float[3,2,5,5] x, float[3,2,3,3] w, float[3] s, float[3] b, float[3] mu, float[3] var, float[3,27] f) => (float[3,3] y)",
      "c = Conv (x, w)\n n = BatchNormalization (c, s, b, mu, var)\n r = Tanh (n)\n fl = Flatten (r)\n y = Gemm <transB = 1> (fl, f)");
  auto m = textModel(text, {{"w", {3, 2, 3, 3}}, {"s", {3}, 0.5f, 1.5f}, {"b", {3}}, {"mu", {3}}, {"var", {3}, 0.5f, 2.0f}, {"f", {3, 27}}});
  SECTION("frozen") { checkGradients(m, randomBuf({3, 2, 5, 5}, 8), kLabels); }
  SECTION("batch statistics") {
    checkGradients(m, randomBuf({3, 2, 5, 5}, 8), kLabels, {.bn_batch_stats = true}, train::Phase::Train);
  }
}

TEST_CASE("train: BatchNormalization fused with the Relu or Clip that alone reads it", "[train][grad]") {
  // The tape applies the activation inside BN (one op fewer) and masks dY by the recomputed
  // pre-activation; the outputs are the unfused tape's, the gradients too (to rounding), and they match
  // finite differences, frozen and with batch statistics. Beta spread about zero puts pre-activations on both sides of the kinks.
  for (const std::string act : {"Relu (n)", "Clip (n, lo, hi)"}) {
    INFO(act);
    const std::string text = model(
        "(float[3,2,5,5] x, float[3,2,3,3] w, float[3] s, float[3] b, float[3] mu, float[3] var, float[3,27] f) => (float[3,3] y)",
        "c = Conv (x, w)\n n = BatchNormalization (c, s, b, mu, var)\n lo = Constant <value = float {-0.2}> ()\n"
        " hi = Constant <value = float {0.7}> ()\n r = " + act + "\n fl = Flatten (r)\n y = Gemm <transB = 1> (fl, f)");
    auto m = textModel(text, {{"w", {3, 2, 3, 3}}, {"s", {3}, 0.5f, 1.5f}, {"b", {3}, -0.5f, 0.5f}, {"mu", {3}},
                              {"var", {3}, 0.5f, 2.0f}, {"f", {3, 27}}});
    const auto x = randomBuf({3, 2, 5, 5}, 8);
    for (const bool batch : {false, true}) {
      INFO("batch statistics: " << batch);
      const auto phase = batch ? train::Phase::Train : train::Phase::Eval;
      train::TapeOptions fused{.threads = 1, .bn_batch_stats = batch}, apart = fused;
      apart.fuse_activations = false;
      auto a = train::Tape::create(m, fused), b = train::Tape::create(m, apart);
      REQUIRE(a.ok());
      REQUIRE(b.ok());
      CHECK((*a)->numOps() == (*b)->numOps() - 1);
      for (auto* t : {a->get(), b->get()}) {
        tapeLoss(*t, x, kLabels, phase);
        train::Buf g;
        train::lossAndGrad(t->output(), kLabels, nullptr, {}, g);
        t->seedGrad(g);
        t->backward(train::Mode::Gradient);
      }
      CHECK((*a)->output().v == (*b)->output().v);
      // Equal up to the order of the vector lanes' partial sums, which the fused loops may change.
      for (int k = 0; k < (*a)->numParams(); ++k)
        for (size_t i = 0; i < (*a)->paramGrad(k).v.size(); ++i) {
          INFO((*a)->paramName(k) << "[" << i << "]");
          CHECK((*a)->paramGrad(k).v[i] == Approx((*b)->paramGrad(k).v[i]).epsilon(1e-5).margin(1e-7));
        }
      checkGradients(m, x, kLabels, fused, phase, 12, 1e-3);
    }
  }
}

TEST_CASE("train: Gather shares codebook entries; Softmax and LogSoftmax; Dropout at inference", "[train][grad]") {
  auto m = textModel(model("(float[3,4] x, float[6] cb, int64[4,3] idx) => (float[3,3] y)",
                           "w = Gather (cb, idx)\n h = MatMul (x, w)\n d = Dropout (h)\n s = Softmax (d)\n l = LogSoftmax (h)\n"
                           "y = Add (s, l)"),
                     {{"cb", {6}, -1.0f, 1.0f}});
  auto* idx = m.graph().add_initializer();
  idx->set_name("idx");
  idx->set_data_type(onnx::TensorProto::INT64);
  idx->add_dims(4), idx->add_dims(3);
  for (int64_t v : {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 0}) idx->add_int64_data(v);
  checkGradients(m, randomBuf({3, 4}, 9), kLabels);
}

TEST_CASE("train: an op without a gradient is an error naming it", "[train][grad]") {
  auto m = textModel(model("(float[3,4] x) => (float[3,4] y)", "y = Erf (x)"), {});
  auto t = train::Tape::create(m);
  REQUIRE(!t.ok());
  CHECK(t.error().code() == Exit::Input);
  CHECK_THAT(t.error().message(), Catch::Contains("no gradient for op 'Erf'"));
}

TEST_CASE("train: distillation loss gradient against finite differences", "[train][grad]") {
  train::Buf z = randomBuf({4, 5}, 11, -3, 3), teacher = randomBuf({4, 5}, 12, -3, 3), g, scratch;
  const std::vector<int64_t> labels = {1, 0, 4, 2};
  for (int variant = 0; variant < 3; ++variant) {
    std::vector<int64_t> l = variant == 1 ? std::vector<int64_t>{} : labels;
    const train::Buf* t = variant == 0 ? nullptr : &teacher;
    train::LossOptions o{.alpha = 0.3f, .temperature = 3.0f};
    train::lossAndGrad(z, l, t, o, g);
    for (int64_t i = 0; i < z.numel(); ++i) {
      train::Buf zp = z, zm = z;
      zp.v[i] += 1e-2f, zm.v[i] -= 1e-2f;
      const double fd = (train::lossAndGrad(zp, l, t, o, scratch).loss - train::lossAndGrad(zm, l, t, o, scratch).loss) / 2e-2;
      INFO("variant " << variant << " logit " << i);
      CHECK(g.v[i] == Approx(fd).margin(1e-4).epsilon(1e-3));
    }
  }
}

TEST_CASE("train: depthwise Conv at strides 2 and 1, Clip as ReLU6, MaxPool rows with pads", "[train][grad]") {
  // An inverted-residual-like chain: depthwise (group = channels, the channel-by-channel reverse pass and
  // the executor's depthwise forward kernel) at stride 2 with asymmetric pads and a bias, Clip with
  // Constant bounds (MobileNetV2's ReLU6), a stride-1 depthwise layer, and a padded MaxPool (the row
  // path); w1's gradient is only right if the second depthwise layer's and the pool's dX are. A step of
  // 1e-4: with 1e-2 or 1e-3 the differences cross Clip's kinks often enough to miss by 20 %.
  auto m = textModel(model("(float[3,4,9,8] x, float[4,1,3,3] w1, float[4] b1, float[4,1,3,3] w2, float[3,4] f) => (float[3,3] y)",
                           "c1 = Conv <group = 4, strides = [2, 2], pads = [1, 0, 1, 1]> (x, w1, b1)\n"
                           "lo = Constant <value = float {0.0}> ()\n hi = Constant <value = float {0.6}> ()\n"
                           "r = Clip (c1, lo, hi)\n c2 = Conv <group = 4, pads = [1, 1, 1, 1]> (r, w2)\n"
                           "p = MaxPool <kernel_shape = [3, 3], strides = [2, 2], pads = [1, 1, 1, 1]> (c2)\n"
                           "g = GlobalAveragePool (p)\n fl = Flatten (g)\n y = Gemm <transB = 1> (fl, f)"),
                     {{"w1", {4, 1, 3, 3}}, {"b1", {4}}, {"w2", {4, 1, 3, 3}}, {"f", {3, 4}, -2.0f, 2.0f}});
  checkGradients(m, randomBuf({3, 4, 9, 8}, 12), kLabels, {}, train::Phase::Eval, 36, 1e-4);
}

TEST_CASE("train: a tape run on other map sizes and back gives a fresh tape's values and gradients", "[train][grad]") {
  // The direct convolution keeps its zero-bordered buffers between steps and zeroes them again only when
  // the plane geometry changes: a stale border would show as a difference from a fresh tape.
  auto m = textModel(model("(float[2,8,N,M] x, float[16,8,3,3] w, float[16,16,3,3] w2) => (float[2,16,N,M] y)",
                           "c = Conv <pads = [1, 1, 1, 1]> (x, w)\n y = Conv <pads = [1, 1, 1, 1]> (c, w2)"),
                     {{"w", {16, 8, 3, 3}}, {"w2", {16, 16, 3, 3}}});
  auto run = [](train::Tape& t, const train::Buf& x) {
    REQUIRE(t.forward(x, train::Phase::Train).ok());
    train::Buf g(t.outputDims());
    for (size_t i = 0; i < g.v.size(); ++i) g.v[i] = static_cast<float>(i % 7) - 3.0f;
    t.seedGrad(g);
    t.backward(train::Mode::Gradient);
    std::vector<float> out = t.output().v;
    for (int k = 0; k < t.numParams(); ++k) out.insert(out.end(), t.paramGrad(k).v.begin(), t.paramGrad(k).v.end());
    return out;
  };
  const auto big = randomBuf({2, 8, 12, 10}, 3), small = randomBuf({2, 8, 9, 7}, 4);
  auto fresh_big = train::Tape::create(m, {.threads = 1}), fresh_small = train::Tape::create(m, {.threads = 1});
  auto reused = train::Tape::create(m, {.threads = 1});
  REQUIRE(fresh_big.ok());
  REQUIRE(fresh_small.ok());
  REQUIRE(reused.ok());
  const auto want_big = run(**fresh_big, big), want_small = run(**fresh_small, small);
  CHECK(run(**reused, big) == want_big);
  CHECK(run(**reused, small) == want_small);
  CHECK(run(**reused, big) == want_big);
}
