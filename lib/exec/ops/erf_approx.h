// erf(x) for float32 activations in a form the compiler vectorizes (no libm call per value: ConvNeXt's
// exact GELU spent 30 % of the network's time in std::erf, ORT's fused BiasGelu a third of that).
// Two branches, both computed and one selected, so that the loop stays branch-free:
//   |x| < 0.5: the Maclaurin series 2/sqrt(pi) (x - x^3/3 + x^5/10 - x^7/42 + x^9/216 - x^11/1320), whose
//              next term is below 1e-8 of the value there (keeps the relative error small near zero);
//   |x| >= 0.5: Abramowitz & Stegun 7.1.26, 1 - (a1 t + ... + a5 t^5) exp(-x^2) with t = 1 / (1 + p|x|),
//              absolute error at most 1.5e-7 (with exp_approx.h's exp), odd in x.
// Measured against std::erf (double) over [-10, 10]: see erf_test in test/unit/exec.
#pragma once
#include "lib/exec/ops/exp_approx.h"

namespace dnnc::ops {

inline float erfApprox(float x) {
  const float a = x < 0.0f ? -x : x;
  const float x2 = x * x;
  // Near zero: the odd series, Horner in x^2.
  float s = -1.0f / 1320.0f;
  s = s * x2 + 1.0f / 216.0f;
  s = s * x2 - 1.0f / 42.0f;
  s = s * x2 + 1.0f / 10.0f;
  s = s * x2 - 1.0f / 3.0f;
  s = s * x2 + 1.0f;
  const float near = 1.12837916709551257f * x * s;
  // Elsewhere: A&S 7.1.26 on |x|, sign restored.
  const float t = 1.0f / (1.0f + 0.3275911f * a);
  float p = 1.061405429f;
  p = p * t - 1.453152027f;
  p = p * t + 1.421413741f;
  p = p * t - 0.284496736f;
  p = p * t + 0.254829592f;
  const float tail = 1.0f - p * t * expApprox(-x2);
  const float far = x < 0.0f ? -tail : tail;
  return a < 0.5f ? near : far;
}

}  // namespace dnnc::ops
