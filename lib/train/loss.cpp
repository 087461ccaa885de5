#include "lib/exec/top_class.h"
#include "lib/train/loss.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace dnnc::train {

namespace {
// softmax(z / T) of one row, in double.
void softmaxRow(const float* z, int64_t c, double temp, std::vector<double>& p) {
  p.resize(static_cast<size_t>(c));
  double mx = *std::max_element(z, z + c) / temp, sum = 0;
  for (int64_t k = 0; k < c; ++k) sum += p[k] = std::exp(z[k] / temp - mx);
  for (int64_t k = 0; k < c; ++k) p[k] /= sum;
}
}  // namespace

LossValue lossAndGrad(const Buf& logits, std::span<const int64_t> labels, const Buf* teacher, const LossOptions& opts,
                      Buf& grad) {
  const int64_t n = logits.dims[0], c = logits.numel() / std::max<int64_t>(1, n);
  grad.reshape(logits.dims);
  grad.zero();
  const bool hard = !labels.empty(), soft = teacher != nullptr;
  const double a = hard && soft ? opts.alpha : hard ? 1.0 : 0.0;
  const double T = opts.temperature;
  LossValue out;
  std::vector<double> p, ps, pt;
  for (int64_t i = 0; i < n; ++i) {
    const float* z = logits.data() + i * c;
    float* g = grad.data() + i * c;
    if (hard) {
      softmaxRow(z, c, 1.0, p);
      const int64_t y = labels[i];
      out.loss += -a * std::log(std::max(p[y], 1e-300)) / n;
      for (int64_t k = 0; k < c; ++k) g[k] += static_cast<float>(a * (p[k] - (k == y)) / n);
      out.correct += topClass(z, c) == y;
    }
    if (soft) {
      const float* tz = teacher->data() + i * c;
      softmaxRow(z, c, T, ps);
      softmaxRow(tz, c, T, pt);
      double kl = 0;
      for (int64_t k = 0; k < c; ++k)
        if (pt[k] > 0) kl += pt[k] * (std::log(pt[k]) - std::log(std::max(ps[k], 1e-300)));
      const double w = (1.0 - a) * T * T;
      out.loss += w * kl / n;
      // d/dz of T^2 KL(pt || softmax(z/T)) = T (ps - pt).
      for (int64_t k = 0; k < c; ++k) g[k] += static_cast<float>((1.0 - a) * T * (ps[k] - pt[k]) / n);
      if (!hard) out.correct += topClass(z, c) == topClass(tz, c);
    }
  }
  return out;
}

void crossEntropyCurvature(const Buf& logits, Buf& seed) {
  const int64_t n = logits.dims[0], c = logits.numel() / std::max<int64_t>(1, n);
  seed.reshape(logits.dims);
  std::vector<double> p;
  for (int64_t i = 0; i < n; ++i) {
    softmaxRow(logits.data() + i * c, c, 1.0, p);
    for (int64_t k = 0; k < c; ++k) seed.v[i * c + k] = static_cast<float>(p[k] * (1 - p[k]) / n);
  }
}

}  // namespace dnnc::train
