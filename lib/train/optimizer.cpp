#include "lib/train/optimizer.h"

#include <cmath>
#include <numbers>

namespace dnnc::train {

void Optimizer::step(int k, Buf& param, const Buf& grad, double lr) {
  const size_t n = param.v.size();
  auto& m = m_[k];
  if (m.size() != n) m.assign(n, 0.0f);
  const float wd = static_cast<float>(o_.weight_decay);
  if (o_.kind == "adam") {
    auto& v = v_[k];
    if (v.size() != n) v.assign(n, 0.0f);
    const int64_t t = ++t_[k];
    const double c1 = 1 - std::pow(o_.beta1, t), c2 = 1 - std::pow(o_.beta2, t);
    const float b1 = static_cast<float>(o_.beta1), b2 = static_cast<float>(o_.beta2);
    const float step = static_cast<float>(lr / c1), eps = static_cast<float>(o_.eps);
    const float inv_c2 = static_cast<float>(1.0 / c2);
    for (size_t i = 0; i < n; ++i) {
      const float g = grad.v[i] + wd * param.v[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      param.v[i] -= step * m[i] / (std::sqrt(v[i] * inv_c2) + eps);
    }
    return;
  }
  const float mu = static_cast<float>(o_.momentum), a = static_cast<float>(lr);
  for (size_t i = 0; i < n; ++i) {
    const float g = grad.v[i] + wd * param.v[i];
    m[i] = mu * m[i] + g;
    param.v[i] -= a * m[i];
  }
}

double scheduledLr(const std::string& schedule, double lr, int64_t step, int64_t total) {
  if (total <= 0) return lr;
  const double f = static_cast<double>(step) / static_cast<double>(total);
  if (schedule == "step") return lr * (f >= 0.75 ? 0.01 : f >= 0.5 ? 0.1 : 1.0);
  if (schedule == "cosine") return lr * 0.5 * (1 + std::cos(std::numbers::pi * f));
  return lr;
}

}  // namespace dnnc::train
