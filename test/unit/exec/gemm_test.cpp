// The executor's GEMM (lib/exec/gemm/sgemm.h) against a naive triple loop in double: every operand
// layout, odd sizes around the AVX2 6x16 and AVX-512 12x32 tiles and the 256-deep blocks, row and column
// ranges, bias and ReLU in the write-back.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "lib/exec/gemm/sgemm.h"

using namespace dnnc::gemm;

namespace {

struct Problem {
  int64_t M, N, K;
  std::vector<float> a, b, bt, row_bias, col_bias;  // a: M x K, b: K x N, bt: b transposed
};

Problem makeProblem(int64_t M, int64_t N, int64_t K, uint32_t seed) {
  Problem p{M, N, K, {}, {}, {}, {}, {}};
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  p.a.resize(M * K);
  p.b.resize(K * N);
  p.bt.resize(K * N);
  p.row_bias.resize(M);
  p.col_bias.resize(N);
  for (auto* v : {&p.a, &p.b, &p.row_bias, &p.col_bias})
    for (float& x : *v) x = d(rng);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t j = 0; j < N; ++j) p.bt[j * K + k] = p.b[k * N + j];
  return p;
}

std::vector<float> naive(const Problem& p, const Epilogue& ep) {
  std::vector<float> c(p.M * p.N);
  for (int64_t i = 0; i < p.M; ++i)
    for (int64_t j = 0; j < p.N; ++j) {
      double s = (ep.row_bias ? ep.row_bias[i] : 0.0) + (ep.col_bias ? ep.col_bias[j] : 0.0);
      for (int64_t k = 0; k < p.K; ++k) s += double(p.a[i * p.K + k]) * p.b[k * p.N + j];
      c[i * p.N + j] = static_cast<float>(ep.relu ? std::max(s, 0.0) : s);
    }
  return c;
}

void requireClose(const std::vector<float>& got, const std::vector<float>& want, int64_t K) {
  REQUIRE(got.size() == want.size());
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(double(got[i]) - want[i]));
  CHECK(worst <= 1e-5 * std::max<int64_t>(K, 1));
}

}  // namespace

TEST_CASE("sgemm matches a naive product for every operand layout", "[exec][gemm]") {
  const int64_t shapes[][3] = {{1, 1, 1},   {5, 15, 7},   {6, 16, 256}, {7, 17, 257}, {13, 33, 300},
                               {1, 100, 513}, {121, 40, 9}, {64, 300, 600}, {3, 1, 50}, {12, 32, 0},
                               {300, 37, 300},   // row ranges over 128: B packed, not read in place
                               {11, 31, 5},   {25, 65, 257}, {24, 48, 40},  // around the 12x32 tile
                               {150, 70, 128}, {130, 300, 129}};  // at and past the shallow depth, B packed
  uint32_t seed = 1;
  for (const auto& s : shapes) {
    const Problem p = makeProblem(s[0], s[1], s[2], seed++);
    for (int variant = 0; variant < 4; ++variant) {
      Epilogue ep{variant & 1 ? p.row_bias.data() : nullptr, variant & 2 ? p.col_bias.data() : nullptr, variant == 3};
      const std::vector<float> want = naive(p, ep);
      INFO("M " << p.M << " N " << p.N << " K " << p.K << " variant " << variant);
      const MatrixRef a = MatrixRef::rowMajor(p.a.data(), p.M, p.K);
      std::vector<float> c(p.M * p.N, 99.0f);

      // Packed A over two row ranges split at a panel boundary, B as row pointers.
      const PackedA pa(a);
      std::vector<const float*> rows(p.K);
      for (int64_t k = 0; k < p.K; ++k) rows[k] = p.b.data() + k * p.N;
      const int64_t split = std::min(p.M, (p.M / 2) / rowPanel() * rowPanel());
      multiply(pa, 0, split, {rows.data(), p.K, p.N}, c.data(), p.N, ep);
      Epilogue tail = ep;
      if (tail.row_bias) tail.row_bias += split;
      multiply(pa, split, p.M, {rows.data(), p.K, p.N}, c.data() + split * p.N, p.N, tail);
      requireClose(c, want, p.K);

      // Packed on the fly, B row-major and transposed (a Gemm with transB).
      std::fill(c.begin(), c.end(), 99.0f);
      multiply(a, MatrixRef::rowMajor(p.b.data(), p.K, p.N), c.data(), p.N, ep);
      requireClose(c, want, p.K);
      std::fill(c.begin(), c.end(), 99.0f);
      multiply(a, MatrixRef::transposed(p.bt.data(), p.K, p.N), c.data(), p.N, ep);
      requireClose(c, want, p.K);

      // The batch-1 row kernel, one row of A at a time (no row bias in a Gemm).
      if (!ep.row_bias) {
        for (const MatrixRef b : {MatrixRef::rowMajor(p.b.data(), p.K, p.N), MatrixRef::transposed(p.bt.data(), p.K, p.N)}) {
          std::fill(c.begin(), c.end(), 99.0f);
          for (int64_t i = 0; i < p.M; ++i) multiplyRow(p.a.data() + i * p.K, b, 0, p.N, c.data() + i * p.N, ep);
          requireClose(c, want, p.K);
        }
      }
    }
  }
}

TEST_CASE("sgemm's transposed A and packed-A storage in scratch", "[exec][gemm]") {
  const Problem p = makeProblem(20, 37, 70, 42);
  std::vector<float> at(p.M * p.K);
  for (int64_t i = 0; i < p.M; ++i)
    for (int64_t k = 0; k < p.K; ++k) at[k * p.M + i] = p.a[i * p.K + k];
  const std::vector<float> want = naive(p, {});
  std::vector<float> c(p.M * p.N);
  multiply(MatrixRef::transposed(at.data(), p.M, p.K), MatrixRef::rowMajor(p.b.data(), p.K, p.N), c.data(), p.N, {});
  requireClose(c, want, p.K);
  std::vector<float> storage(PackedA::floatsFor(p.M, p.K));
  const PackedA pa(MatrixRef::transposed(at.data(), p.M, p.K), storage.data());
  std::vector<const float*> rows(p.K);
  for (int64_t k = 0; k < p.K; ++k) rows[k] = p.b.data() + k * p.N;
  std::fill(c.begin(), c.end(), 0.0f);
  multiply(pa, 0, p.M, {rows.data(), p.K, p.N}, c.data(), p.N, {});
  requireClose(c, want, p.K);
}
