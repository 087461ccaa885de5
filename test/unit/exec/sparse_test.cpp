// Sparse inference: the CSR kernels against naive products, the dense-vs-CSR choice, and the executor's
// Conv/Gemm/MatMul giving the same results on CSR as on the dense GEMM and as naive loops. Also the
// Relu fused into a Conv's write-back.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "lib/exec/gemm/csr.h"
#include "test/unit/exec/exec_test_util.h"

using namespace dnnc;
using namespace dnnc::exectest;

namespace {

// Uniform values in [-1, 1) with each one zero with probability 1 - density (seeded).
Tensor sparseTensor(std::vector<int64_t> dims, double density, uint32_t seed) {
  Tensor t = randomTensor(std::move(dims), seed);
  std::mt19937 rng(seed + 1000);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (float& v : t.span<float>())
    if (u(rng) >= density) v = 0.0f;
  return t;
}

double worstDiff(std::span<const float> a, std::span<const float> b) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(double(a[i]) - b[i]));
  return worst;
}

// Y = X W^T + B for X [M, K], W [N, K].
Tensor naiveFc(const Tensor& x, const Tensor& w, const Tensor& b, bool relu = false) {
  const int64_t M = x.dims()[0], K = x.dims()[1], N = w.dims()[0];
  Tensor y(DType::Float, {M, N});
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double s = b.data<float>()[j];
      for (int64_t k = 0; k < K; ++k) s += double(x.data<float>()[i * K + k]) * w.data<float>()[j * K + k];
      y.data<float>()[i * N + j] = static_cast<float>(relu ? std::max(s, 0.0) : s);
    }
  return y;
}

Model fcModel(int64_t K, int64_t N, const Tensor& w, const Tensor& b, bool relu = false) {
  std::string text = "<ir_version: 8, opset_import: [\"\" : 13]>\nfc (float[M," + std::to_string(K) + "] X) => (float[M," +
                     std::to_string(N) + "] Y) {\n" +
                     (relu ? "  Z = Gemm<transB = 1>(X, W, B)\n  Y = Relu(Z)\n" : "  Y = Gemm<transB = 1>(X, W, B)\n") + "}";
  Model m = modelFromText(text);
  addInitializer(m, "W", w);
  addInitializer(m, "B", b);
  return m;
}

std::string choiceOf(const Executor& e, const std::string& node) {
  for (const auto& [name, choice] : e.kernelChoices())
    if (name == node) return choice;
  return "";
}

}  // namespace

TEST_CASE("CSR products match naive products", "[exec][sparse]") {
  uint32_t seed = 1;
  for (double density : {0.0, 0.03, 0.2, 0.7, 1.0})
    for (int64_t width : {1, 3, 8, 21, 64, 130}) {
      const int64_t M = 19, K = 45;
      Tensor a = sparseTensor({M, K}, density, seed++), b = randomTensor({K, width}, seed++);
      Tensor bias = randomTensor({M}, seed++);
      const gemm::CsrMatrix csr(gemm::MatrixRef::rowMajor(a.data<float>(), M, K));
      int64_t nz = 0;
      for (float v : a.span<float>()) nz += v != 0.0f;
      CHECK(csr.nnz() == nz);
      for (bool relu : {false, true}) {
        std::vector<float> want(M * width);
        for (int64_t i = 0; i < M; ++i)
          for (int64_t j = 0; j < width; ++j) {
            double s = bias.data<float>()[i];
            for (int64_t k = 0; k < K; ++k) s += double(a.data<float>()[i * K + k]) * b.data<float>()[k * width + j];
            want[i * width + j] = static_cast<float>(relu ? std::max(s, 0.0) : s);
          }
        std::vector<const float*> rows(K);
        for (int64_t k = 0; k < K; ++k) rows[k] = b.data<float>() + k * width;
        std::vector<float> got(M * width, 99.0f);
        // Two row ranges, as threads split them.
        csr.multiply(0, 7, {rows.data(), K, width}, got.data(), width, {bias.data<float>(), nullptr, relu});
        csr.multiply(7, M, {rows.data(), K, width}, got.data() + 7 * width, width, {bias.data<float>() + 7, nullptr, relu});
        INFO("density " << density << " width " << width << " relu " << relu);
        CHECK(worstDiff(got, want) < 1e-5);
        if (width == 1) {
          std::vector<float> y(M, 99.0f);
          csr.multiplyVector(0, M, b.data<float>(), y.data(), {bias.data<float>(), nullptr, relu});
          CHECK(worstDiff(y, want) < 1e-5);
        }
      }
    }
}

TEST_CASE("the dense-vs-CSR choice follows the measured crossover", "[exec][sparse]") {
  for (int64_t width : {1, 4, 8, 32, 64, 512, 4096})
    for (double bytes : {1e5, 1e7, 1e9}) {
      const double cross = gemm::csrCrossoverDensity(width, bytes);
      INFO("width " << width << " bytes " << bytes);
      CHECK(cross > 0.0);
      CHECK(cross < 1.0);
      CHECK(gemm::csrPays(cross * 0.5, width, bytes));
      CHECK_FALSE(gemm::csrPays(std::min(0.99, cross * 1.5), width, bytes));
      CHECK(gemm::csrPays(0.05, width, bytes));  // 95 % pruned always pays
      CHECK_FALSE(gemm::csrPays(1.0, width, bytes));
    }
  // A batch-1 layer too big for the caches is memory-bound dense: CSR pays up to a higher density.
  CHECK(gemm::csrCrossoverDensity(1, 150e6) > gemm::csrCrossoverDensity(1, 1e6));
}

TEST_CASE("Gemm on CSR gives the dense path's and a naive product's results", "[exec][sparse]") {
  const int64_t K = 300, N = 100;
  Tensor w = sparseTensor({N, K}, 0.05, 7), b = randomTensor({N}, 8);
  for (int64_t batch : {1, 5}) {
    Tensor x = randomTensor({batch, K}, 9 + static_cast<uint32_t>(batch));
    for (bool relu : {false, true}) {
      Model m = fcModel(K, N, w, b, relu);
      const Tensor want = naiveFc(x, w, b, relu);
      for (SparseMode mode : {SparseMode::Never, SparseMode::Always, SparseMode::Auto}) {
        auto e = Executor::create(m, {.threads = 1, .sparse = mode});
        REQUIRE(e);
        auto out = runOk(**e, {&x});
        INFO("batch " << batch << " relu " << relu << " mode " << static_cast<int>(mode));
        CHECK(closeness(out[0], want) <= 1.0);
        const std::string choice = choiceOf(**e, "");
        if (mode == SparseMode::Never) CHECK(choice.rfind("dense", 0) == 0);
        else CHECK(choice == "csr");  // 95 % pruned: Auto picks CSR too
      }
    }
  }
}

TEST_CASE("Auto keeps dense weights on the dense GEMM and switches per layer", "[exec][sparse]") {
  // Two layers: a dense one and a 95 %-pruned one; Auto must pick dense for the first, CSR for the second.
  const int64_t K = 64, H = 48, N = 10;
  Tensor w1 = randomTensor({H, K}, 1), b1 = randomTensor({H}, 2), w2 = sparseTensor({N, H}, 0.05, 3), b2 = randomTensor({N}, 4);
  Model m = modelFromText("<ir_version: 8, opset_import: [\"\" : 13]>\nmlp (float[1,64] X) => (float[1,10] Y) {\n"
                          "  H1 = Gemm<transB = 1>(X, W1, B1)\n  Y = Gemm<transB = 1>(H1, W2, B2)\n}");
  m.graph().mutable_node(0)->set_name("fc1");
  m.graph().mutable_node(1)->set_name("fc2");
  addInitializer(m, "W1", w1);
  addInitializer(m, "B1", b1);
  addInitializer(m, "W2", w2);
  addInitializer(m, "B2", b2);
  Tensor x = randomTensor({1, K}, 5);
  auto e = makeExecutor(m);
  auto out = runOk(*e, {&x});
  CHECK(choiceOf(*e, "fc1") == "dense row");
  CHECK(choiceOf(*e, "fc2") == "csr");
  CHECK(closeness(out[0], naiveFc(naiveFc(x, w1, b1), w2, b2)) <= 1.0);
}

TEST_CASE("Conv and MatMul on CSR match naive loops", "[exec][sparse]") {
  // Conv 3x3, pad 1, stride 1 (the wide path) and stride 2 (im2col), 90 % pruned.
  const int64_t C = 5, M = 8, H = 9, W = 11;
  Tensor w = sparseTensor({M, C, 3, 3}, 0.1, 11), b = randomTensor({M}, 12), x = randomTensor({2, C, H, W}, 13);
  for (int64_t s : {1, 2}) {
    const int64_t OH = (H + 2 - 3) / s + 1, OW = (W + 2 - 3) / s + 1;
    Tensor want(DType::Float, {2, M, OH, OW});
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t m = 0; m < M; ++m)
        for (int64_t oh = 0; oh < OH; ++oh)
          for (int64_t ow = 0; ow < OW; ++ow) {
            double acc = b.data<float>()[m];
            for (int64_t c = 0; c < C; ++c)
              for (int64_t kh = 0; kh < 3; ++kh)
                for (int64_t kw = 0; kw < 3; ++kw) {
                  const int64_t ih = oh * s - 1 + kh, iw = ow * s - 1 + kw;
                  if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                  acc += double(x.data<float>()[((n * C + c) * H + ih) * W + iw]) * w.data<float>()[((m * C + c) * 3 + kh) * 3 + kw];
                }
            want.data<float>()[((n * M + m) * OH + oh) * OW + ow] = static_cast<float>(std::max(acc, 0.0));
          }
    Model m = modelFromText("<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[2,5,9,11] X) => (float[2,8," +
                            std::to_string(OH) + "," + std::to_string(OW) + "] Y) {\n  Z = Conv<pads = [1,1,1,1], strides = [" +
                            std::to_string(s) + "," + std::to_string(s) + "]>(X, W, B)\n  Y = Relu(Z)\n}");
    addInitializer(m, "W", w);
    addInitializer(m, "B", b);
    for (SparseMode mode : {SparseMode::Never, SparseMode::Always}) {
      for (int threads : {1, 2}) {
        auto e = Executor::create(m, {.threads = threads, .sparse = mode});
        REQUIRE(e);
        auto out = runOk(**e, {&x});
        INFO("stride " << s << " mode " << static_cast<int>(mode) << " threads " << threads);
        CHECK(closeness(out[0], want) <= 1.0);
        CHECK(choiceOf(**e, "") == (mode == SparseMode::Always ? "csr" : "dense gemm"));
      }
    }
  }
  // MatMul with a constant pruned B [K, N], batched A [2, 3, K].
  Tensor a = randomTensor({2, 3, 40}, 21), bm = sparseTensor({40, 30}, 0.1, 22);
  Model mm = modelFromText("<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[2,3,40] A) => (float[2,3,30] Y) {\n  Y = MatMul(A, Bm)\n}");
  addInitializer(mm, "Bm", bm);
  Tensor want(DType::Float, {2, 3, 30});
  for (int64_t r = 0; r < 6; ++r)
    for (int64_t j = 0; j < 30; ++j) {
      double s = 0;
      for (int64_t k = 0; k < 40; ++k) s += double(a.data<float>()[r * 40 + k]) * bm.data<float>()[k * 30 + j];
      want.data<float>()[r * 30 + j] = static_cast<float>(s);
    }
  for (SparseMode mode : {SparseMode::Never, SparseMode::Always}) {
    auto e = Executor::create(mm, {.threads = 1, .sparse = mode});
    REQUIRE(e);
    CHECK(closeness(runOk(**e, {&a})[0], want) <= 1.0);
    CHECK(choiceOf(**e, "") == (mode == SparseMode::Always ? "csr" : "dense gemm"));
  }
}

TEST_CASE("a Relu fused into the Conv write-back changes no visible value", "[exec][conv]") {
  Tensor w = randomTensor({6, 3, 3, 3}, 31), b = randomTensor({6}, 32), x = randomTensor({1, 3, 8, 8}, 33);
  Model m = modelFromText("<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[1,3,8,8] X) => (float[1,6,8,8] Y) {\n"
                          "  Z = Conv<pads = [1,1,1,1]>(X, W, B)\n  Y = Relu(Z)\n}");
  addInitializer(m, "W", w);
  addInitializer(m, "B", b);
  auto e = makeExecutor(m);
  const Tensor fused = runOk(*e, {&x})[0];
  // Fetching Z too: Z must keep its negative values, and Y must not change.
  auto both = runOk(*e, {&x}, {.fetch = {"Z", "Y"}});
  bool negative = false;
  for (float v : both[0].span<float>()) negative |= v < 0.0f;
  CHECK(negative);
  CHECK(worstDiff(both[1].span<float>(), fused.span<float>()) == 0.0);
  for (size_t i = 0; i < both[0].span<float>().size(); ++i)
    REQUIRE(both[1].span<float>()[i] == std::max(both[0].span<float>()[i], 0.0f));
  // An observer sees the Conv's own output (unrectified) before the Relu.
  struct Seen : NodeObserver {
    bool negative = false;
    void afterNode(int, const onnx::NodeProto& node, std::span<const Value* const> outputs) override {
      if (node.op_type() != "Conv") return;
      for (float v : outputs[0]->span<float>()) negative |= v < 0.0f;
    }
  } seen;
  auto observed = runOk(*e, {&x}, {.fetch = {}, .observer = &seen});
  CHECK(seen.negative);
  CHECK(worstDiff(observed[0].span<float>(), fused.span<float>()) == 0.0);
}
