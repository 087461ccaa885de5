// UCNN counts (lib/energy/ucnn.h) against brute force: every output of small random layers computed the
// factorised way, one operation at a time, each addition and multiplication counted as it is done; the
// result must equal the direct dot product, and the counts the library's.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <random>
#include <vector>

#include "lib/energy/ucnn.h"

using namespace dnnc::energy;

namespace {

struct Ops {
  double mul = 0, add = 0, reads = 0;
};

// One output of the filters [first, first + g): taps are visited in order; each tap whose g weights are not
// all zero is read once and added into the running sum of its weight tuple (the first input of a
// sub-group is stored, not added). Each filter then adds the sub-group sums of each of its nonzero values
// into that value's group sum, multiplies each group sum by its value, and adds the products.
std::vector<double> factorised(const std::vector<float>& w, int64_t taps, int64_t first, int g,
                               const std::vector<double>& x, Ops& ops) {
  std::map<std::vector<float>, double> sub;
  for (int64_t t = 0; t < taps; ++t) {
    std::vector<float> key(g);
    bool any = false;
    for (int j = 0; j < g; ++j) {
      key[j] = w[size_t((first + j) * taps + t)];
      if (key[j] == 0.0f) key[j] = 0.0f;  // -0 is the zero weight
      any |= key[j] != 0.0f;
    }
    if (!any) continue;
    ops.reads += 1;
    auto it = sub.find(key);
    if (it == sub.end()) {
      sub.emplace(key, x[size_t(t)]);
    } else {
      it->second += x[size_t(t)];
      ops.add += 1;
    }
  }
  std::vector<double> out(g, 0.0);
  for (int j = 0; j < g; ++j) {
    std::map<float, double> group;
    for (const auto& [key, sum] : sub) {
      if (key[j] == 0.0f) continue;
      auto it = group.find(key[j]);
      if (it == group.end()) {
        group.emplace(key[j], sum);
      } else {
        it->second += sum;
        ops.add += 1;
      }
    }
    bool first_product = true;
    for (const auto& [value, sum] : group) {
      const double product = double(value) * sum;
      ops.mul += 1;
      if (first_product) {
        out[j] = product;
        first_product = false;
      } else {
        out[j] += product;
        ops.add += 1;
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("UCNN multiply and add counts equal brute force on small layers", "[energy][ucnn]") {
  std::mt19937 rng(20180601);
  struct Case {
    int filters, taps, unique, reuse, conv_groups;
    double zero_fraction;
  };
  const Case cases[] = {{4, 27, 3, 1, 1, 0.0},  {6, 36, 5, 2, 1, 0.3},  {8, 18, 2, 3, 2, 0.5},
                        {5, 50, 17, 1, 1, 0.2}, {9, 12, 4, 4, 3, 0.6},  {3, 9, 1, 2, 1, 0.0},
                        {4, 16, 64, 2, 1, 0.1}, {6, 25, 3, 6, 1, 0.9}};
  for (const Case& k : cases) {
    std::vector<float> values(k.unique);
    std::uniform_real_distribution<float> val(-1.0f, 1.0f);
    for (float& v : values) v = val(rng);
    std::uniform_int_distribution<int> pick(0, k.unique - 1);
    std::bernoulli_distribution zero(k.zero_fraction);
    std::vector<float> w(size_t(k.filters) * k.taps);
    for (float& v : w) v = zero(rng) ? (rng() % 2 ? 0.0f : -0.0f) : values[size_t(pick(rng))];
    const int positions = 7;
    Ops ops;
    double worst = 0;
    const int per_group = k.filters / k.conv_groups;
    for (int p = 0; p < positions; ++p) {
      std::vector<double> x(size_t(k.taps));
      std::normal_distribution<double> in(0.0, 1.0);
      for (double& v : x) v = in(rng);
      for (int cg = 0; cg < k.conv_groups; ++cg)
        for (int f = 0; f < per_group; f += k.reuse) {
          const int g = std::min(k.reuse, per_group - f);
          const auto out = factorised(w, k.taps, cg * per_group + f, g, x, ops);
          for (int j = 0; j < g; ++j) {
            const size_t row = size_t(cg * per_group + f + j) * size_t(k.taps);
            double direct = 0;
            for (int t = 0; t < k.taps; ++t) direct += double(w[row + size_t(t)]) * x[size_t(t)];
            worst = std::max(worst, std::abs(out[size_t(j)] - direct));
          }
        }
    }
    INFO("filters " << k.filters << " taps " << k.taps << " U " << k.unique << " G " << k.reuse);
    CHECK(worst < 1e-9);
    auto c = countUcnn(w, k.filters, k.taps, positions, k.reuse, k.conv_groups);
    REQUIRE(c.ok());
    CHECK(c->multiplies == ops.mul);
    CHECK(c->additions == ops.add);
    CHECK(c->input_reads == ops.reads);
    CHECK(c->dense_macs == double(k.filters) * k.taps * positions);
    std::vector<float> nz;
    for (float v : w)
      if (v != 0.0f) nz.push_back(v);
    std::sort(nz.begin(), nz.end());
    CHECK(c->nonzero_weights == int64_t(nz.size()));
    CHECK(c->unique_weights == std::unique(nz.begin(), nz.end()) - nz.begin());
  }
}

TEST_CASE("UCNN: one distinct weight per filter is one multiply per output", "[energy][ucnn]") {
  // Two filters of 9 taps, every weight 0.5: per output 1 multiply and 8 additions each (G = 1); with
  // G = 2 the 9 taps form one sub-group summed once (8 additions) and shared: 2 multiplies, 8 additions.
  std::vector<float> w(18, 0.5f);
  auto one = countUcnn(w, 2, 9, 1, 1);
  REQUIRE(one.ok());
  CHECK(one->multiplies == 2);
  CHECK(one->additions == 16);
  auto two = countUcnn(w, 2, 9, 1, 2);
  REQUIRE(two.ok());
  CHECK(two->multiplies == 2);
  CHECK(two->additions == 8);
  CHECK(two->input_reads == 9);
  CHECK_FALSE(countUcnn(w, 4, 9, 1, 1).ok());
  CHECK_FALSE(countUcnn(w, 2, 9, 1, 0).ok());
}
