// sortFloats against std::sort on the value distributions weight sharing sees
// and on edge cases.
#include "lib/linalg/float_sort.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace dnnc;

namespace {

void checkSortsLikeStdSort(std::vector<float> values, int key_bits = 32) {
  // Both ways: through a buffer (the default at these sizes) and in place (the way of the largest layers).
  for (size_t largest_buffered : {size_t{1} << 25, size_t{0}}) {
    std::vector<float> v = values;
    std::vector<float> want = v;
    std::sort(want.begin(), want.end());
    sortFloats(v, key_bits, largest_buffered);
    REQUIRE(v.size() == want.size());
    CHECK(std::is_sorted(v.begin(), v.end()));
    // Same multiset (std::sort may order -0 and +0 either way, so compare values, then count signs).
    size_t mismatches = 0;
    for (size_t i = 0; i < v.size(); ++i) mismatches += !(v[i] == want[i]);
    CHECK(mismatches == 0);
    std::vector<uint32_t> a, b;
    for (size_t i = 0; i < v.size(); ++i) {
      a.push_back(std::signbit(v[i]));
      b.push_back(std::signbit(want[i]));
    }
    CHECK(std::count(a.begin(), a.end(), 1u) == std::count(b.begin(), b.end(), 1u));
  }
}

}  // namespace

TEST_CASE("sortFloats orders like std::sort", "[linalg][sort]") {
  std::mt19937 rng(11);
  SECTION(
      "Gaussian weights, sizes around the small-bucket threshold and far "
      "past it") {
    for (size_t n : {0u, 1u, 2u, 7u, 512u, 513u, 2049u, 10000u, 300000u, 2500000u}) {
      std::normal_distribution<float> g(0.0f, 0.02f);
      std::vector<float> v(n);
      for (auto &x : v) x = g(rng);
      checkSortsLikeStdSort(v);
    }
  }
  SECTION("few distinct values, many duplicates") {
    std::vector<float> v(100000);
    for (auto &x : v) x = float(int(rng() % 7) - 3) * 0.125f;
    checkSortsLikeStdSort(v);
  }
  SECTION("all of one sign, wide exponents, denormals, infinities, signed zeros") {
    std::vector<float> v(50000);
    std::uniform_int_distribution<uint32_t> bits(0, 0xff7fffffu);  // any finite pattern
    for (auto &x : v) {
      uint32_t u = bits(rng);
      std::memcpy(&x, &u, 4);
    }
    v.push_back(std::numeric_limits<float>::infinity());
    v.push_back(-std::numeric_limits<float>::infinity());
    v.push_back(std::numeric_limits<float>::denorm_min());
    v.push_back(-std::numeric_limits<float>::denorm_min());
    v.push_back(0.0f);
    v.push_back(-0.0f);
    std::vector<float> positive;
    for (float x : v)
      if (!std::isnan(x)) positive.push_back(std::abs(x));
    checkSortsLikeStdSort(positive);
    std::vector<float> mixed;
    for (float x : v)
      if (!std::isnan(x)) mixed.push_back(x);
    checkSortsLikeStdSort(mixed);
  }
  SECTION("values that agree in the top 16 bits of their order key, sorted on the low 16 only") {
    // One bucket of NonzeroValueBuckets each: a positive and a negative one.
    for (uint32_t top : {0x3c23u, 0xbc23u}) {
      std::vector<float> v(70000);
      for (auto &x : v) {
        const uint32_t u = (top << 16) | (rng() & 0xffffu);
        std::memcpy(&x, &u, 4);
      }
      checkSortsLikeStdSort(v, 16);
    }
  }
}
