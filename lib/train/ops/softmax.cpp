// Softmax and LogSoftmax on the tape, along one axis (opset >= 13), or over the flattened trailing
// dims from `axis` on (opset < 13, where the default axis is 1).
//   Softmax:    dx = y * (dy - sum(dy * y));    LogSoftmax: dx = dy - softmax * sum(dy).
// Curvature mode uses the squared Jacobian's diagonal-propagation: dx_j = sum_i J_ij^2 dy_i.
#include <cmath>

#include "lib/train/ops/registry.h"

namespace dnnc::train {
namespace {

class SoftmaxOp : public Op {
 public:
  SoftmaxOp(bool log, int64_t axis, bool flatten) : log_(log), axis_(axis), flatten_(flatten) {}

  Status forward(Tape& t) override {
    const Buf& a = x(t, 0);
    const int64_t r = a.rank();
    const int64_t ax = axis_ < 0 ? axis_ + r : axis_;
    if (ax < 0 || ax >= std::max<int64_t>(r, 1)) return error("axis ", axis_, " is out of range for rank ", r);
    outer_ = 1, inner_ = 1;
    for (int64_t k = 0; k < ax; ++k) outer_ *= a.dims[k];
    if (flatten_) {
      d_ = outer_ ? a.numel() / outer_ : 0;
    } else {
      d_ = a.dims[ax];
      for (int64_t k = ax + 1; k < r; ++k) inner_ *= a.dims[k];
    }
    Buf& b = y(t, 0);
    b.reshape(a.dims);
    p_.resize(a.v.size());
    for (int64_t o = 0; o < outer_; ++o)
      for (int64_t in = 0; in < inner_; ++in) {
        const int64_t base = o * d_ * inner_ + in;
        float mx = -INFINITY;
        for (int64_t k = 0; k < d_; ++k) mx = std::max(mx, a.v[base + k * inner_]);
        double sum = 0;
        for (int64_t k = 0; k < d_; ++k) sum += std::exp(double(a.v[base + k * inner_]) - mx);
        const double lse = std::log(sum) + mx;
        for (int64_t k = 0; k < d_; ++k) {
          const int64_t i = base + k * inner_;
          p_[i] = static_cast<float>(std::exp(a.v[i] - lse));
          b.v[i] = log_ ? static_cast<float>(a.v[i] - lse) : p_[i];
        }
      }
    return {};
  }

  void backward(Tape& t, Mode mode) override {
    float* gx = gradIn(t, 0);
    if (!gx) return;
    const float* g = gradOut(t, 0).data();
    const bool sq = mode == Mode::Curvature;
    for (int64_t o = 0; o < outer_; ++o)
      for (int64_t in = 0; in < inner_; ++in) {
        const int64_t base = o * d_ * inner_ + in;
        auto at = [&](int64_t k) { return base + k * inner_; };
        double s = 0, sp = 0;  // sum g*p (softmax) or sum g; and sum g*p^2 for curvature
        for (int64_t k = 0; k < d_; ++k) {
          const double pk = p_[at(k)];
          s += log_ ? g[at(k)] : g[at(k)] * pk;
          sp += g[at(k)] * pk * pk;
        }
        for (int64_t j = 0; j < d_; ++j) {
          const int64_t i = at(j);
          const double pj = p_[i];
          double v;
          if (!sq) {
            v = log_ ? g[i] - pj * s : pj * (g[i] - s);
          } else if (log_) {  // J_ij = delta_ij - p_j: sum_i J_ij^2 g_i = g_j (1 - 2 p_j) + p_j^2 sum g
            v = g[i] * (1 - 2 * pj) + pj * pj * s;
          } else {  // J_ij = p_i (delta_ij - p_j): sum_i J_ij^2 g_i = g_j p_j^2 (1 - 2 p_j) + p_j^2 sum g_i p_i^2
            v = pj * pj * (g[i] * (1 - 2 * pj) + sp);
          }
          gx[i] += static_cast<float>(v);
        }
      }
  }

 private:
  bool log_;
  int64_t axis_;
  bool flatten_;
  int64_t outer_ = 1, inner_ = 1, d_ = 0;
  std::vector<float> p_;  // softmax probabilities of the last forward
};

}  // namespace

Expected<std::unique_ptr<Op>> makeSoftmax(const onnx::NodeProto& n, int64_t opset) {
  const bool flatten = opset < 13;
  return std::unique_ptr<Op>(new SoftmaxOp(n.op_type() == "LogSoftmax", attrInt(n, "axis", flatten ? 1 : -1), flatten));
}

}  // namespace dnnc::train
