// SnaPEA exact mode: the MACs early termination skips, counted by hand on a tiny conv and by an
// independent brute-force loop (padded copy of the input, explicit patches) on a random grouped,
// strided, dilated one.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <vector>

#include "lib/analysis/snapea.h"

using namespace dnnc;

namespace {

// One channel, 3x3 input, one 2x2 filter, stride 1, no padding: a 2x2 output.
SnapeaConv tinyConv() {
  SnapeaConv c;
  c.batch = 1;
  c.channels = 1;
  c.height = c.width = 3;
  c.filters = 1;
  c.kernel_h = c.kernel_w = 2;
  c.out_h = c.out_w = 2;
  return c;
}

}  // namespace

TEST_CASE("SnaPEA exact mode on a hand-computed 2x2 filter", "[analysis][snapea]") {
  // Order: +1 (0,0), +0.5 (1,1), then -2 (0,1), -1 (1,0).
  const float w[4] = {1, -2, -1, 0.5f};
  const float x[9] = {1, 2, 0,  //
                      3, 1, 4,  //
                      0, 2, 1};
  SECTION("no bias") {
    // (0,0): 1+0.5=1.5, -2*2 -> -2.5 stop: 1 skipped. (0,1): 2+2=4, -0 -> 4, -1 -> 3: none.
    // (1,0): 3+1=4, -2 -> 2, -0 -> 2: none. (1,1): 1+0.5=1.5, -8 -> -6.5 stop: 1 skipped.
    const float relu[4] = {0, 3, 2, 0};
    SnapeaLayer l;
    accumulateSnapea(l, tinyConv(), x, w, nullptr, relu);
    CHECK(l.outputs == 4);
    CHECK(l.macs == 16);
    CHECK(l.negative_macs == 8);
    CHECK(l.terminated_outputs == 2);
    CHECK(l.skipped_macs == 2);
    CHECK(l.mismatches == 0);
    CHECK(l.max_abs_diff == 0);
    CHECK(l.exact());
  }
  SECTION("a negative bias stops before any negative term") {
    // bias -2: (0,0): -0.5 before negatives: 2 skipped. (0,1): 2, -0 -> 2, -1 -> 1: none.
    // (1,0): 2, -2 -> 0 stop: 1 skipped. (1,1): -0.5: 2 skipped.
    const float bias[1] = {-2};
    const float relu[4] = {0, 1, 0, 0};
    SnapeaLayer l;
    accumulateSnapea(l, tinyConv(), x, w, bias, relu);
    CHECK(l.terminated_outputs == 3);
    CHECK(l.skipped_macs == 5);
    CHECK(l.skipFraction() == Approx(5.0 / 16));
    CHECK(l.exact());
  }
  SECTION("an output that early termination would change is caught") {
    const float wrong[4] = {0, 3, 2, 1};  // (1,1) is not 0
    SnapeaLayer l;
    accumulateSnapea(l, tinyConv(), x, w, nullptr, wrong);
    CHECK(l.mismatches == 1);
    CHECK(l.terminated_nonzero == 1);
    CHECK(l.max_abs_diff == 1);
    CHECK_FALSE(l.exact());
  }
  SECTION("a negative input breaks the premise and is reported") {
    float xn[9];
    std::copy(x, x + 9, xn);
    xn[8] = -1;
    SnapeaLayer l;
    accumulateSnapea(l, tinyConv(), xn, w, nullptr, nullptr);
    CHECK(l.negative_inputs == 1);
    CHECK_FALSE(l.exact());
  }
}

TEST_CASE("SnaPEA skip count matches a brute-force loop on a grouped, strided, padded conv", "[analysis][snapea]") {
  SnapeaConv c;
  c.batch = 2;
  c.channels = 4;
  c.height = 7;
  c.width = 6;
  c.filters = 6;
  c.group = 2;
  c.kernel_h = 3;
  c.kernel_w = 2;
  c.stride_h = 2;
  c.stride_w = 1;
  c.dilation_h = 1;
  c.dilation_w = 2;
  c.pad_top = 1;
  c.pad_left = 1;
  const int64_t pad_bottom = 1, pad_right = 2;
  c.out_h = (c.height + c.pad_top + pad_bottom - ((c.kernel_h - 1) * c.dilation_h + 1)) / c.stride_h + 1;
  c.out_w = (c.width + c.pad_left + pad_right - ((c.kernel_w - 1) * c.dilation_w + 1)) / c.stride_w + 1;
  const int64_t cg = c.channels / c.group, mg = c.filters / c.group, k = cg * c.kernel_h * c.kernel_w;

  std::mt19937 rng(7);
  std::uniform_real_distribution<float> weight(-1, 1), activation(0, 1);
  std::vector<float> x(static_cast<size_t>(c.batch * c.channels * c.height * c.width));
  for (auto& v : x) v = rng() % 4 == 0 ? 0.0f : activation(rng);  // some exact zeros, as after a Relu
  std::vector<float> w(static_cast<size_t>(c.filters * k)), b(static_cast<size_t>(c.filters));
  for (auto& v : w) v = weight(rng);
  for (auto& v : b) v = 0.3f * weight(rng);

  // The input zero-padded on every side, so patches need no bounds checks.
  const int64_t ph = c.height + c.pad_top + pad_bottom, pw = c.width + c.pad_left + pad_right;
  std::vector<float> padded(static_cast<size_t>(c.batch * c.channels * ph * pw), 0.0f);
  for (int64_t n = 0; n < c.batch * c.channels; ++n)
    for (int64_t i = 0; i < c.height; ++i)
      for (int64_t j = 0; j < c.width; ++j)
        padded[static_cast<size_t>((n * ph + i + c.pad_top) * pw + j + c.pad_left)] =
            x[static_cast<size_t>((n * c.height + i) * c.width + j)];

  std::vector<float> relu(static_cast<size_t>(c.batch * c.filters * c.out_h * c.out_w));
  int64_t expected_skipped = 0, expected_terminated = 0;
  for (int64_t n = 0; n < c.batch; ++n)
    for (int64_t m = 0; m < c.filters; ++m)
      for (int64_t oh = 0; oh < c.out_h; ++oh)
        for (int64_t ow = 0; ow < c.out_w; ++ow) {
          // The patch as (weight, input) pairs in storage order.
          std::vector<std::pair<float, float>> patch;
          for (int64_t ch = 0; ch < cg; ++ch)
            for (int64_t ky = 0; ky < c.kernel_h; ++ky)
              for (int64_t kx = 0; kx < c.kernel_w; ++kx) {
                const int64_t in_ch = (m / mg) * cg + ch;
                const float xv = padded[static_cast<size_t>(((n * c.channels + in_ch) * ph + oh * c.stride_h + ky * c.dilation_h) * pw +
                                                            ow * c.stride_w + kx * c.dilation_w)];
                patch.push_back({w[static_cast<size_t>(m * k + (ch * c.kernel_h + ky) * c.kernel_w + kx)], xv});
              }
          double full = b[static_cast<size_t>(m)], positive = full;
          std::vector<std::pair<float, float>> negatives;
          for (const auto& [wv, xv] : patch) {
            full += static_cast<double>(wv) * xv;
            if (wv >= 0) positive += static_cast<double>(wv) * xv;
            else negatives.push_back({wv, xv});
          }
          std::stable_sort(negatives.begin(), negatives.end(), [](const auto& a, const auto& bb) { return a.first < bb.first; });
          // Negative j is computed iff every partial sum before it (from the positive one on) is > 0.
          int64_t computed = 0;
          double prefix = positive;
          for (const auto& [wv, xv] : negatives) {
            if (prefix <= 0) break;
            prefix += static_cast<double>(wv) * xv;
            ++computed;
          }
          const bool zero = positive <= 0 || prefix <= 0;
          expected_terminated += zero;
          expected_skipped += static_cast<int64_t>(negatives.size()) - computed;
          relu[static_cast<size_t>(((n * c.filters + m) * c.out_h + oh) * c.out_w + ow)] = static_cast<float>(std::max(full, 0.0));
        }

  SnapeaLayer l;
  accumulateSnapea(l, c, x.data(), w.data(), b.data(), relu.data());
  CHECK(l.outputs == c.batch * c.filters * c.out_h * c.out_w);
  CHECK(l.macs == l.outputs * k);
  CHECK(expected_skipped > 0);
  CHECK(l.skipped_macs == expected_skipped);
  CHECK(l.terminated_outputs == expected_terminated);
  CHECK(l.mismatches == 0);
  CHECK(l.terminated_nonzero == 0);
  CHECK(l.max_abs_diff < 1e-6);
}

TEST_CASE("SnaPEA speculative sums and predictive counts match a brute-force loop", "[analysis][snapea]") {
  // Grouped, strided (2 along the width too), padded and dilated, so the row ranges the speculation
  // loop computes are exercised at both edges.
  SnapeaConv c;
  c.batch = 2;
  c.channels = 4;
  c.height = 7;
  c.width = 9;
  c.filters = 6;
  c.group = 2;
  c.kernel_h = 3;
  c.kernel_w = 3;
  c.stride_h = 1;
  c.stride_w = 2;
  c.dilation_h = 2;
  c.dilation_w = 1;
  c.pad_top = 2;
  c.pad_left = 1;
  const int64_t pad_bottom = 1, pad_right = 2;
  c.out_h = (c.height + c.pad_top + pad_bottom - ((c.kernel_h - 1) * c.dilation_h + 1)) / c.stride_h + 1;
  c.out_w = (c.width + c.pad_left + pad_right - ((c.kernel_w - 1) * c.dilation_w + 1)) / c.stride_w + 1;
  const int64_t cg = c.channels / c.group, mg = c.filters / c.group, k = cg * c.kernel_h * c.kernel_w;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> wd(-1, 1), xd(0, 2);
  std::vector<float> w(static_cast<size_t>(c.filters * k)), bias(static_cast<size_t>(c.filters));
  std::vector<float> x(static_cast<size_t>(c.batch * c.channels * c.height * c.width));
  for (float& v : w) v = wd(rng);
  for (float& v : bias) v = wd(rng);
  for (float& v : x) v = std::uniform_real_distribution<float>(0, 1)(rng) < 0.3f ? 0.0f : xd(rng);
  const int64_t n_spec = 5;

  // Brute force: per output, the filter's terms by decreasing |w| (ties by index), the first n summed
  // in double with the bias; the full sum decides mispredictions.
  std::vector<double> expected, full;
  for (int64_t n = 0; n < c.batch; ++n)
    for (int64_t m = 0; m < c.filters; ++m) {
      std::vector<int64_t> idx(static_cast<size_t>(k));
      for (int64_t i = 0; i < k; ++i) idx[static_cast<size_t>(i)] = i;
      std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) { return std::abs(w[size_t(m * k + a)]) > std::abs(w[size_t(m * k + b)]); });
      for (int64_t oh = 0; oh < c.out_h; ++oh)
        for (int64_t ow = 0; ow < c.out_w; ++ow) {
          double spec = bias[size_t(m)], sum = bias[size_t(m)];
          for (int64_t t = 0; t < k; ++t) {
            const int64_t q = idx[size_t(t)], ch = q / (c.kernel_h * c.kernel_w), ky = q / c.kernel_w % c.kernel_h, kx = q % c.kernel_w;
            const int64_t ih = oh * c.stride_h - c.pad_top + ky * c.dilation_h, iw = ow * c.stride_w - c.pad_left + kx * c.dilation_w;
            if (ih < 0 || ih >= c.height || iw < 0 || iw >= c.width) continue;
            const double p = double(w[size_t(m * k + q)]) * x[size_t(((n * c.channels + (m / mg) * cg + ch) * c.height + ih) * c.width + iw)];
            if (t < n_spec) spec += p;
            sum += p;
          }
          expected.push_back(spec);
          full.push_back(sum);
        }
    }
  const std::vector<double> sums = speculativeSums(c, x.data(), w.data(), bias.data(), n_spec);
  REQUIRE(sums.size() == expected.size());
  for (size_t i = 0; i < sums.size(); ++i) CHECK(sums[i] == Approx(expected[i]).margin(1e-9));

  // Predictive counts with threshold 0.3: predicted outputs are those below it, each computing n terms.
  const SnapeaPrediction p{"conv", n_spec, 0.3};
  const std::vector<char> predicted = predictNegative(c, x.data(), w.data(), bias.data(), p);
  std::vector<float> relu(full.size());
  int64_t guessed = 0, wrong = 0;
  for (size_t i = 0; i < full.size(); ++i) {
    CHECK(bool(predicted[i]) == (expected[i] < 0.3));
    relu[i] = predicted[i] ? 0.0f : float(std::max(full[i], 0.0));
    guessed += predicted[i];
    wrong += predicted[i] && full[i] > 0;
  }
  REQUIRE(guessed > 0);
  SnapeaLayer l;
  accumulateSnapea(l, c, x.data(), w.data(), bias.data(), relu.data(), predicted.data(), n_spec);
  CHECK(l.predicted_outputs == guessed);
  CHECK(l.mispredicted == wrong);
  CHECK(l.mismatches == 0);
  CHECK(l.speculation_n == n_spec);
  // Every predicted output skips its k - n other terms; the others may stop early too.
  CHECK(l.skipped_macs >= guessed * (k - n_spec));
  CHECK(l.skipped_nonzero_macs <= l.skipped_macs);
  SnapeaLayer exact;
  accumulateSnapea(exact, c, x.data(), w.data(), bias.data(), nullptr);
  CHECK(l.skipped_macs > exact.skipped_macs);
}
