// exp(x) for float32 activations in a form the compiler vectorizes: no call into libm (whose expf runs
// one value per call: EfficientNet-B0's SiLU activations spent 57 % of the network's time there).
// Cephes' expf: x = n ln2 + r with |r| <= ln2 / 2 (ln2 split in two for an exact n ln2), exp(r) by its
// degree-7 minimax polynomial, 2^n built in the exponent bits; about 1 ulp from the exact value over
// the range. Inputs are clamped to [-87.3, 88]: beyond, the exact result is a denormal, zero or
// infinity, which the activations that use this (sigmoid) turn into 0 or 1 all the same.
#pragma once
#include <bit>
#include <cstdint>

namespace dnnc::ops {

inline float expApprox(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  // Clamps as selects and rounding by the 1.5 * 2^23 shift (exact for |t| < 2^22; here |t| <= 127):
  // std::min/max, std::floor and a sign-dependent truncation each kept GCC 12 from vectorizing the loop.
  x = x < -87.3f ? -87.3f : x;
  x = x > 88.0f ? 88.0f : x;
  constexpr float kShift = 12582912.0f;
  const float n = (x * kLog2e + kShift) - kShift;
  const int32_t k = static_cast<int32_t>(n);
  const float r = x - n * kLn2Hi - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const float scale = std::bit_cast<float>(static_cast<int32_t>((k + 127) << 23));
  return p * scale;
}

}  // namespace dnnc::ops
