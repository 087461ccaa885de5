// The Gauss-Newton Hessian diagonal against naive formulas: for a single Gemm layer under cross-entropy
// it is exact, h(w_kj) = mean_n p_nk (1 - p_nk) x_nj^2; for a Conv layer followed by a fixed linear
// read-out the same formula holds with im2col inputs and squared read-out weights.
#include <cmath>

#include "lib/train/hessian_diag.h"
#include "test/unit/train/train_test_util.h"

using namespace dnnc;
using namespace dnnc::test;

TEST_CASE("hessian: Gemm layer diagonal equals mean p(1-p) x^2", "[train][hessian]") {
  Model m = textModel(R"(<ir_version: 8, opset_import: ["" : 13]>
    g (float[N,4] x, float[3,4] w, float[3] b) => (float[N,3] y) { y = Gemm <transB = 1> (x, w, b) })",
                      {{"w", {3, 4}}, {"b", {3}}});
  train::Dataset d;
  d.x = randomBuf({10, 4}, 5, -2, 2);
  auto h = train::computeHessianDiag(m, d, 1, 4);  // batches of 4, 4, 2: the average must weight them
  REQUIRE(h.ok());
  REQUIRE(h->samples == 10);
  std::vector<float> w, b;
  for (const auto& init : m.graph().initializer()) {
    if (init.name() == "w") w = readTensor(init, "")->toFloats();
    if (init.name() == "b") b = readTensor(init, "")->toFloats();
  }
  std::vector<double> hw(12, 0.0), hb(3, 0.0);
  for (int n = 0; n < 10; ++n) {
    double z[3], mx = -1e30, s = 0;
    for (int k = 0; k < 3; ++k) {
      z[k] = b[k];
      for (int j = 0; j < 4; ++j) z[k] += w[k * 4 + j] * d.x.v[n * 4 + j];
      mx = std::max(mx, z[k]);
    }
    for (int k = 0; k < 3; ++k) s += std::exp(z[k] - mx);
    for (int k = 0; k < 3; ++k) {
      const double p = std::exp(z[k] - mx) / s, c = p * (1 - p) / 10;
      hb[k] += c;
      for (int j = 0; j < 4; ++j) hw[k * 4 + j] += c * d.x.v[n * 4 + j] * d.x.v[n * 4 + j];
    }
  }
  const auto* dw = h->find("w");
  const auto* db = h->find("b");
  REQUIRE(dw);
  REQUIRE(db);
  for (int i = 0; i < 12; ++i) CHECK((*dw)[i] == Approx(hw[i]).epsilon(1e-5));
  for (int k = 0; k < 3; ++k) CHECK((*db)[k] == Approx(hb[k]).epsilon(1e-5));
  // Saliency and filter saliency from it.
  auto s = train::saliency(*dw, w);
  auto fs = train::filterSaliency(*dw, w, {3, 4});
  for (int k = 0; k < 3; ++k) {
    double sum = 0;
    for (int j = 0; j < 4; ++j) {
      CHECK(s[k * 4 + j] == Approx(0.5 * hw[k * 4 + j] * w[k * 4 + j] * w[k * 4 + j]).epsilon(1e-5));
      sum += s[k * 4 + j];
    }
    CHECK(fs[k] == Approx(sum).epsilon(1e-9));
  }
}

TEST_CASE("hessian: Conv weights through Relu and a read-out: LeCun's recursion by hand", "[train][hessian]") {
  // x [N,1,4,4] -> Conv w [2,1,3,3] (no pad) -> a [N,2,2,2] -> Relu -> Flatten [N,8] -> Gemm v [3,8].
  Model m = textModel(R"(<ir_version: 8, opset_import: ["" : 13]>
    g (float[N,1,4,4] x, float[2,1,3,3] w, float[3,8] v) => (float[N,3] y) {
      a = Conv (x, w)
      r = Relu (a)
      f = Flatten (r)
      y = Gemm <transB = 1> (f, v)
    })",
                      {{"w", {2, 1, 3, 3}}, {"v", {3, 8}}});
  std::vector<float> w, v;
  for (const auto& init : m.graph().initializer()) {
    if (init.name() == "w") w = readTensor(init, "")->toFloats();
    if (init.name() == "v") v = readTensor(init, "")->toFloats();
  }
  train::Dataset d;
  d.x = randomBuf({5, 1, 4, 4}, 9, -2, 2);
  auto h = train::computeHessianDiag(m, d, 1);
  REQUIRE(h.ok());
  std::vector<double> hw(18, 0.0);
  for (int n = 0; n < 5; ++n) {
    const float* x = d.x.data() + n * 16;
    double a[8], r[8], z[3], mx = -1e30, s = 0;
    for (int c = 0; c < 2; ++c)
      for (int oh = 0; oh < 2; ++oh)
        for (int ow = 0; ow < 2; ++ow) {
          double acc = 0;
          for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j) acc += w[c * 9 + i * 3 + j] * x[(oh + i) * 4 + ow + j];
          a[c * 4 + oh * 2 + ow] = acc;
          r[c * 4 + oh * 2 + ow] = acc > 0 ? acc : 0;
        }
    for (int k = 0; k < 3; ++k) {
      z[k] = 0;
      for (int q = 0; q < 8; ++q) z[k] += v[k * 8 + q] * r[q];
      mx = std::max(mx, z[k]);
    }
    for (int k = 0; k < 3; ++k) s += std::exp(z[k] - mx);
    double hz[3];
    for (int k = 0; k < 3; ++k) {
      const double p = std::exp(z[k] - mx) / s;
      hz[k] = p * (1 - p) / 5;
    }
    // d2E/da_q^2 = f'(a_q)^2 sum_k v_kq^2 d2E/dz_k^2; d2E/dw^2 = sum over positions of d2E/da^2 x^2.
    for (int q = 0; q < 8; ++q) {
      double ha = 0;
      for (int k = 0; k < 3; ++k) ha += double(v[k * 8 + q]) * v[k * 8 + q] * hz[k];
      ha *= a[q] > 0 ? 1.0 : 0.0;
      const int c = q / 4, oh = (q % 4) / 2, ow = q % 2;
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) hw[c * 9 + i * 3 + j] += ha * x[(oh + i) * 4 + ow + j] * x[(oh + i) * 4 + ow + j];
    }
  }
  const auto* dw = h->find("w");
  REQUIRE(dw);
  for (int i = 0; i < 18; ++i) CHECK((*dw)[i] == Approx(hw[i]).epsilon(1e-4).margin(1e-9));
}
