// BatchNormalization on the tape, per channel c of X [N, C, ...]:
//   frozen (Phase::Eval, or training without batch statistics): y = gamma (x - mean) / sqrt(var + eps) + beta
//     with the running mean and variance as constants;
//   batch statistics (Phase::Train with TapeOptions::bn_batch_stats): mean and (biased) variance of the
//     batch, x^ = (x - mu) / sqrt(var + eps), y = gamma x^ + beta, and the running statistics move by
//     ONNX momentum: running = running * momentum + batch * (1 - momentum) (unbiased variance, as PyTorch);
//     with TapeOptions::bn_population the running statistics are instead the mean and unbiased variance of
//     every value seen since the tape was made (recalibrate-bn).
// Reverse with batch statistics: dx = gamma / (m sqrt(var + eps)) (m dy - sum dy - x^ sum(dy x^)).
// Curvature mode treats the statistics as constants (the Gauss-Newton diagonal of the frozen layer).
// A Relu or Clip that alone reads y is applied here (fuseClamp): y = clamp(gamma x^ + beta), and the
// reverse sweep masks dy where the recomputed pre-activation did not pass, as the activation's own
// backward would have.
#include <algorithm>
#include <cmath>
#include <optional>

#include "lib/train/ops/registry.h"

namespace dnnc::train {
namespace {

class BatchNormOp : public Op {
 public:
  BatchNormOp(float eps, float momentum) : eps_(eps), momentum_(momentum) {}

  InputRole role(int i) const override { return i >= 3 ? InputRole::Buffer : InputRole::Trainable; }
  bool fuseClamp(const Clamp& c) override {
    if (clamp_) return false;
    clamp_ = c;
    return true;
  }

  Status forward(Tape& t) override {
    const Buf& xb = x(t, 0);
    if (xb.rank() < 2) return error("X ", dimsText(xb.dims), " needs a channel axis");
    N_ = xb.dims[0], C_ = xb.dims[1], S_ = xb.numel() / std::max<int64_t>(1, N_ * C_);
    for (int i = 1; i < 5; ++i)
      if (!has(i) || x(t, i).numel() != C_) return error("input ", i, " must hold ", C_, " values");
    Buf& mean = x(t, 3);
    Buf& var = x(t, 4);
    batch_ = t.phase() == Phase::Train && t.options().bn_batch_stats;
    mu_.assign(C_, 0.0f), inv_.assign(C_, 0.0f);
    const int64_t m = N_ * S_;
    const float mom = t.options().bn_momentum >= 0 ? 1.0f - t.options().bn_momentum : momentum_;
    if (batch_ && t.options().bn_population && seen_sum_.size() != size_t(C_))
      seen_sum_.assign(C_, 0.0), seen_squares_.assign(C_, 0.0), seen_ = 0;
#pragma omp parallel for num_threads(t.threads()) schedule(static)
    for (int64_t c = 0; c < C_; ++c) {
      if (batch_) {
        // One pass: sums of x - k and of its square, k the channel's first value (near the mean, so the
        // variance s2/m - (s1/m)^2 does not cancel as it would about zero), each plane in float lanes,
        // planes in double. (Two passes, mean then squared deviations, read these tensors twice: on
        // MobileNetV2's 112x112 maps that was a sixth of BN's time.)
        const float k = xb.data()[c * S_];
        double s1 = 0, s2 = 0;
        for (int64_t n = 0; n < N_; ++n) {
          float a, b;
          planeShiftedSums(xb.data() + (n * C_ + c) * S_, S_, k, a, b);
          s1 += a, s2 += b;
        }
        const double d = s1 / m, mu = k + d;
        const double v = std::max(0.0, s2 / m - d * d);
        mu_[c] = static_cast<float>(mu);
        inv_[c] = static_cast<float>(1.0 / std::sqrt(v + eps_));
        if (t.options().bn_population) {
          seen_sum_[c] += mu * double(m), seen_squares_[c] += (v + mu * mu) * double(m);
          const double total = double(seen_ + m), pmu = seen_sum_[c] / total;
          const double pv = std::max(0.0, seen_squares_[c] / total - pmu * pmu);
          mean.v[c] = static_cast<float>(pmu);
          var.v[c] = static_cast<float>(total > 1 ? pv * total / (total - 1) : pv);
        } else {
          mean.v[c] = mean.v[c] * mom + static_cast<float>(mu) * (1.0f - mom);
          var.v[c] = var.v[c] * mom + static_cast<float>(m > 1 ? v * m / (m - 1) : v) * (1.0f - mom);
        }
      } else {
        mu_[c] = mean.v[c];
        inv_[c] = 1.0f / std::sqrt(var.v[c] + eps_);
      }
    }
    if (batch_ && t.options().bn_population) seen_ += m;
    const float* gamma = x(t, 1).data();
    const float* beta = x(t, 2).data();
    Buf& yb = y(t, 0);
    yb.reshape(xb.dims);
#pragma omp parallel for num_threads(t.threads()) schedule(static)
    for (int64_t nc = 0; nc < N_ * C_; ++nc) {
      const int64_t c = nc % C_;
      const float a = gamma[c] * inv_[c], b = beta[c] - mu_[c] * a;
      const float* p = xb.data() + nc * S_;
      float* q = yb.data() + nc * S_;
      if (!clamp_) {
        for (int64_t k = 0; k < S_; ++k) q[k] = a * p[k] + b;
      } else if (clamp_->relu) {
        for (int64_t k = 0; k < S_; ++k) {
          const float v = a * p[k] + b;
          q[k] = v > 0 ? v : 0.0f;  // as Relu's own forward
        }
      } else {
        const float lo = clamp_->lo, hi = clamp_->hi;
        for (int64_t k = 0; k < S_; ++k) q[k] = std::min(std::max(a * p[k] + b, lo), hi);
      }
    }
    return {};
  }

  void backward(Tape& t, Mode mode) override {
    if (!clamp_) backwardWith(t, mode, [](float, float g) { return g; });
    else if (clamp_->relu) backwardWith(t, mode, [](float v, float g) { return v > 0 ? g : 0.0f; });
    else backwardWith(t, mode, [lo = clamp_->lo, hi = clamp_->hi](float v, float g) { return v >= lo && v <= hi ? g : 0.0f; });
  }

 private:
  // The reverse sweep with dy masked by the fused activation: masked(v, g) is the gradient that reaches
  // y's pre-activation v = gamma x^ + beta (recomputed as forward() computed it) from g, y's gradient.
  template <class Masked>
  void backwardWith(Tape& t, Mode mode, Masked masked) {
    const bool sq = mode == Mode::Curvature;
    const Buf& xb = x(t, 0);
    const float* gy = gradOut(t, 0).data();
    const float* gamma = x(t, 1).data();
    const float* beta = x(t, 2).data();
    bool fresh = false;  // gx not yet written in this sweep: write it rather than add
    float* gx = gradInForWrite(t, 0, &fresh);
    float* gg = gradIn(t, 1);
    float* gbeta = gradIn(t, 2);
    const double m = static_cast<double>(N_ * S_);
    // Channels are independent: one thread per slice of channels, each plane's sums in float lanes.
#pragma omp parallel for num_threads(t.threads()) schedule(static)
    for (int64_t c = 0; c < C_; ++c) {
      // Per channel: sum dy and sum dy * x^ (x^ squared in curvature mode).
      const float mu = mu_[c], inv = inv_[c];
      const float a = gamma[c] * inv, b = beta[c] - mu * a;  // forward()'s affine map
      auto dy = [&](const float* p, const float* g, int64_t k) { return masked(a * p[k] + b, g[k]); };
      double sdy = 0, sdyx = 0;
      for (int64_t n = 0; n < N_; ++n) {
        const float* p = xb.data() + (n * C_ + c) * S_;
        const float* g = gy + (n * C_ + c) * S_;
        float pdy, pdyx;
        if (sq) planeSums<true>([&](int64_t k) { return dy(p, g, k); }, p, S_, mu, inv, pdy, pdyx);
        else planeSums<false>([&](int64_t k) { return dy(p, g, k); }, p, S_, mu, inv, pdy, pdyx);
        sdy += pdy, sdyx += pdyx;
      }
      if (gbeta) gbeta[c] += static_cast<float>(sdy);
      if (gg) gg[c] += static_cast<float>(sdyx);
      if (!gx) continue;
      // dx = a dy - a sum(dy)/m - x^ a sum(dy x^)/m, with x^ = (x - mu) inv.
      const float f = sq ? a * a : a;
      const float k0 = static_cast<float>(-a * sdy / m), kx = static_cast<float>(-a * sdyx / m);
      for (int64_t n = 0; n < N_; ++n) {
        const float* p = xb.data() + (n * C_ + c) * S_;
        const float* g = gy + (n * C_ + c) * S_;
        float* q = gx + (n * C_ + c) * S_;
        if (sq || !batch_) {
          if (fresh) store<false>(q, S_, [&](int64_t k) { return f * dy(p, g, k); });
          else store<true>(q, S_, [&](int64_t k) { return f * dy(p, g, k); });
        } else {
          auto v = [&](int64_t k) { return a * dy(p, g, k) + k0 + kx * ((p[k] - mu) * inv); };
          if (fresh) store<false>(q, S_, v);
          else store<true>(q, S_, v);
        }
      }
    }
  }

  // q[k] = v(k), or q[k] += v(k) when Add, over a plane.
  template <bool Add, class V>
  static void store(float* q, int64_t n, V&& v) {
#pragma omp simd
    for (int64_t k = 0; k < n; ++k) q[k] = Add ? q[k] + v(k) : v(k);
  }
  // sum g and sum g x^ (or g x^2 when Squared) over a plane in one pass, x^ = (x - mu) inv, g(k) the
  // plane's (masked) gradient.
  template <bool Squared, class G>
  static void planeSums(G&& g, const float* x, int64_t n, float mu, float inv, float& sg, float& sgx) {
    float a = 0, b = 0;
#pragma omp simd reduction(+ : a, b)
    for (int64_t k = 0; k < n; ++k) {
      const float xh = (x[k] - mu) * inv;
      const float gk = g(k);
      a += gk;
      b += gk * (Squared ? xh * xh : xh);
    }
    sg = a, sgx = b;
  }
  // sum (x - k) and sum (x - k)^2 over a plane in one pass.
  static void planeShiftedSums(const float* p, int64_t n, float k, float& s1, float& s2) {
    float a = 0, b = 0;
#pragma omp simd reduction(+ : a, b)
    for (int64_t i = 0; i < n; ++i) {
      const float d = p[i] - k;
      a += d;
      b += d * d;
    }
    s1 = a, s2 = b;
  }

  float eps_, momentum_;
  std::optional<Clamp> clamp_;  // the fused activation, if any
  bool batch_ = false;
  int64_t N_ = 0, C_ = 0, S_ = 0;
  std::vector<float> mu_, inv_;  // statistics used by the last forward
  // bn_population: per channel, the sums of the values and of their squares seen so far, and their count.
  std::vector<double> seen_sum_, seen_squares_;
  int64_t seen_ = 0;
};

}  // namespace

Expected<std::unique_ptr<Op>> makeBatchNorm(const onnx::NodeProto& n, int64_t) {
  if (attrInt(n, "spatial", 1) == 0)
    return Error(Exit::Input, "BatchNormalization node '", n.name(), "': spatial=0 is not supported for training");
  return std::unique_ptr<Op>(new BatchNormOp(attrFloat(n, "epsilon", 1e-5f), attrFloat(n, "momentum", 0.9f)));
}

}  // namespace dnnc::train
