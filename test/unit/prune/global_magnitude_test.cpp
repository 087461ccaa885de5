// The radix selection of the global magnitude rule against the definition it replaces: sort every weight
// by (|w|, layer, position) and take the first k. Random layers with many exact ties, zeros, negative
// zeros and denormals, every k from 0 to n.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <tuple>

#include "lib/prune/global_magnitude.h"

using namespace dnnc;

namespace {

uint32_t bitsOf(float v) {
  uint32_t b;
  std::memcpy(&b, &v, 4);
  return b;
}

}  // namespace

TEST_CASE("global magnitude selection equals sorting by (|w|, layer, position)") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<std::vector<float>> data(1 + trial % 4);
    std::uniform_int_distribution<int> pick(0, 9);
    for (auto& layer : data) {
      layer.resize(1 + rng() % 200);
      for (float& v : layer) {
        const int kind = pick(rng);
        // Few distinct magnitudes (ties), exact zeros, -0, denormals and ordinary values.
        v = kind == 0 ? 0.0f : kind == 1 ? -0.0f : kind == 2 ? 1e-40f : kind < 6 ? float(int(rng() % 5) - 2) * 0.25f
                                                                               : std::normal_distribution<float>(0, 1)(rng);
      }
    }
    std::vector<std::tuple<float, size_t, size_t>> all;  // |w|, layer, position
    for (size_t l = 0; l < data.size(); ++l)
      for (size_t i = 0; i < data[l].size(); ++i) all.emplace_back(std::fabs(data[l][i]), l, i);
    std::sort(all.begin(), all.end());
    std::vector<std::span<float>> spans;
    for (auto& layer : data) spans.emplace_back(layer);
    for (int64_t k = 0; k <= int64_t(all.size()); k += 1 + int64_t(all.size()) / 17) {
      const GlobalSelection s = selectSmallestMagnitudes(spans, k);
      INFO("trial " << trial << ", k " << k << " of " << all.size());
      CHECK(s.any == (k > 0));
      if (k == 0) continue;
      const float kth = std::get<0>(all[size_t(k - 1)]);
      CHECK(s.value_bits == bitsOf(kth));
      // Ties at the threshold taken first in (layer, position) order: as many as the sort takes.
      const int64_t ties = std::count_if(all.begin(), all.begin() + k, [&](const auto& t) { return std::get<0>(t) == kth; });
      CHECK(s.ties_taken == ties);
    }
  }
}
