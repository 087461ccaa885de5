// Gemm and MatMul on the tape. Y = alpha * op(A) op(B) + beta * C:
//   dop(A) = alpha * dY op(B)^T,  dop(B) = alpha * op(A)^T dY,  dC = beta * dY summed to C's shape.
// Curvature mode squares A, B, alpha and beta (Gauss-Newton: d2E/dA_mk^2 = sum_n B_kn^2 d2E/dY_mn^2).
#include <Eigen/Core>

#include "lib/train/ops/registry.h"

namespace dnnc::train {
namespace {

using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using CMap = Eigen::Map<const Mat>;
using MMap = Eigen::Map<Mat>;

std::vector<float> squared(const std::vector<float>& v) {
  std::vector<float> s(v.size());
  for (size_t i = 0; i < v.size(); ++i) s[i] = v[i] * v[i];
  return s;
}

class GemmOp : public Op {
 public:
  GemmOp(float alpha, float beta, bool ta, bool tb) : alpha_(alpha), beta_(beta), ta_(ta), tb_(tb) {}

  Status forward(Tape& t) override {
    const Buf& a = x(t, 0);
    const Buf& b = x(t, 1);
    if (a.rank() != 2 || b.rank() != 2) return error("A ", dimsText(a.dims), " and B ", dimsText(b.dims), " must be 2-D");
    m_ = ta_ ? a.dims[1] : a.dims[0];
    k_ = ta_ ? a.dims[0] : a.dims[1];
    n_ = tb_ ? b.dims[0] : b.dims[1];
    if ((tb_ ? b.dims[1] : b.dims[0]) != k_) return error("A ", dimsText(a.dims), " and B ", dimsText(b.dims), " do not chain");
    Buf& c = y(t, 0);
    c.reshape({m_, n_});
    MMap Y(c.data(), m_, n_);
    product(Y, a.data(), b.data(), alpha_);
    if (has(2)) {
      const Buf& bias = x(t, 2);
      DNNC_TRY(checkBias(bias));
      for (int64_t i = 0; i < m_; ++i)
        for (int64_t j = 0; j < n_; ++j) c.v[i * n_ + j] += beta_ * bias.v[biasIndex(bias, i, j)];
    }
    return {};
  }

  void backward(Tape& t, Mode mode) override {
    const bool sq = mode == Mode::Curvature;
    const Buf& a = x(t, 0);
    const Buf& b = x(t, 1);
    std::vector<float> a2, b2;
    const float* ad = a.data();
    const float* bd = b.data();
    if (sq) {
      a2 = squared(a.v), b2 = squared(b.v);
      ad = a2.data(), bd = b2.data();
    }
    const float al = sq ? alpha_ * alpha_ : alpha_;
    CMap G(gradOut(t, 0).data(), m_, n_);
    if (float* ga = gradIn(t, 0)) {
      // op(B) is [K,N]: B is [K,N] (tb=0) or [N,K] (tb=1).
      if (!ta_) {
        MMap GA(ga, m_, k_);
        if (tb_) GA.noalias() += al * G * CMap(bd, n_, k_);
        else GA.noalias() += al * G * CMap(bd, k_, n_).transpose();
      } else {
        MMap GA(ga, k_, m_);
        if (tb_) GA.noalias() += al * CMap(bd, n_, k_).transpose() * G.transpose();
        else GA.noalias() += al * CMap(bd, k_, n_) * G.transpose();
      }
    }
    if (float* gb = gradIn(t, 1)) {
      if (!tb_) {
        MMap GB(gb, k_, n_);
        if (ta_) GB.noalias() += al * CMap(ad, k_, m_) * G;
        else GB.noalias() += al * CMap(ad, m_, k_).transpose() * G;
      } else {
        MMap GB(gb, n_, k_);
        if (ta_) GB.noalias() += al * G.transpose() * CMap(ad, k_, m_).transpose();
        else GB.noalias() += al * G.transpose() * CMap(ad, m_, k_);
      }
    }
    if (float* gc = gradIn(t, 2)) {
      const Buf& bias = x(t, 2);
      const float be = sq ? beta_ * beta_ : beta_;
      for (int64_t i = 0; i < m_; ++i)
        for (int64_t j = 0; j < n_; ++j) gc[biasIndex(bias, i, j)] += be * G(i, j);
    }
  }

 private:
  void product(MMap& Y, const float* ad, const float* bd, float alpha) const {
    if (!ta_ && !tb_) Y.noalias() = alpha * CMap(ad, m_, k_) * CMap(bd, k_, n_);
    else if (!ta_ && tb_) Y.noalias() = alpha * CMap(ad, m_, k_) * CMap(bd, n_, k_).transpose();
    else if (ta_ && !tb_) Y.noalias() = alpha * CMap(ad, k_, m_).transpose() * CMap(bd, k_, n_);
    else Y.noalias() = alpha * CMap(ad, k_, m_).transpose() * CMap(bd, n_, k_).transpose();
  }
  Status checkBias(const Buf& c) const {
    const auto& d = c.dims;
    bool ok = d.empty() || (d.size() == 1 && (d[0] == n_ || d[0] == 1)) ||
              (d.size() == 2 && (d[0] == m_ || d[0] == 1) && (d[1] == n_ || d[1] == 1));
    if (!ok) return error("C ", dimsText(d), " does not broadcast to [", m_, ",", n_, "]");
    return {};
  }
  int64_t biasIndex(const Buf& c, int64_t i, int64_t j) const {
    const auto& d = c.dims;
    if (d.empty()) return 0;
    if (d.size() == 1) return d[0] == 1 ? 0 : j;
    return (d[0] == 1 ? 0 : i) * d[1] + (d[1] == 1 ? 0 : j);
  }
  float alpha_, beta_;
  bool ta_, tb_;
  int64_t m_ = 0, k_ = 0, n_ = 0;
};

// MatMul: A [..., M, K] x B [K, N] (A's leading dims folded into rows), or A [..., M, K] x B [..., K, N]
// with equal leading dims (batched).
class MatMulOp : public Op {
 public:
  Status forward(Tape& t) override {
    const Buf& a = x(t, 0);
    const Buf& b = x(t, 1);
    if (a.rank() < 2 || b.rank() < 2)
      return error("A ", dimsText(a.dims), " and B ", dimsText(b.dims), ": 1-D operands are not supported for training");
    k_ = a.dims.back();
    n_ = b.dims.back();
    if (b.dims[b.rank() - 2] != k_) return error("A ", dimsText(a.dims), " and B ", dimsText(b.dims), " do not chain");
    std::vector<int64_t> od(a.dims.begin(), a.dims.end() - 1);
    od.push_back(n_);
    if (b.rank() == 2) {
      batch_ = 1;
      m_ = a.numel() / k_;
    } else {
      if (a.rank() != b.rank() || !std::equal(a.dims.begin(), a.dims.end() - 2, b.dims.begin()))
        return error("A ", dimsText(a.dims), " and B ", dimsText(b.dims), ": broadcast batch dims are not supported for training");
      m_ = a.dims[a.rank() - 2];
      batch_ = a.numel() / (m_ * k_);
    }
    Buf& c = y(t, 0);
    c.reshape(od);
    for (int64_t s = 0; s < batch_; ++s)
      MMap(c.data() + s * m_ * n_, m_, n_).noalias() = CMap(a.data() + s * m_ * k_, m_, k_) * CMap(b.data() + bOff(s), k_, n_);
    return {};
  }

  void backward(Tape& t, Mode mode) override {
    const bool sq = mode == Mode::Curvature;
    std::vector<float> a2, b2;
    const float* ad = x(t, 0).data();
    const float* bd = x(t, 1).data();
    if (sq) {
      a2 = squared(x(t, 0).v), b2 = squared(x(t, 1).v);
      ad = a2.data(), bd = b2.data();
    }
    const float* g = gradOut(t, 0).data();
    float* ga = gradIn(t, 0);
    float* gb = gradIn(t, 1);
    for (int64_t s = 0; s < batch_; ++s) {
      CMap G(g + s * m_ * n_, m_, n_);
      if (ga) MMap(ga + s * m_ * k_, m_, k_).noalias() += G * CMap(bd + bOff(s), k_, n_).transpose();
      if (gb) MMap(gb + bOff(s), k_, n_).noalias() += CMap(ad + s * m_ * k_, m_, k_).transpose() * G;
    }
  }

 private:
  int64_t bOff(int64_t s) const { return batch_ == 1 ? 0 : s * k_ * n_; }
  int64_t m_ = 0, k_ = 0, n_ = 0, batch_ = 1;
};

}  // namespace

Expected<std::unique_ptr<Op>> makeGemm(const onnx::NodeProto& n, int64_t) {
  return std::unique_ptr<Op>(new GemmOp(attrFloat(n, "alpha", 1.0f), attrFloat(n, "beta", 1.0f), attrInt(n, "transA", 0) != 0,
                                        attrInt(n, "transB", 0) != 0));
}

Expected<std::unique_ptr<Op>> makeMatMul(const onnx::NodeProto&, int64_t) { return std::unique_ptr<Op>(new MatMulOp()); }

}  // namespace dnnc::train
