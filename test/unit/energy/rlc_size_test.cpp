// Compressed sizes against an independent reference: a direct RLC pair counter over real streams.
#include <catch2/catch.hpp>
#include <random>
#include <vector>

#include "formats/rlc.h"
#include "lib/energy/energy.h"

using namespace dnnc::energy;

namespace {

// Reference Eyeriss RLC encoder (pair count only): a pair is (run of up to maxRun zeros, level); a zero
// arriving with maxRun zeros pending becomes the level of a cut pair; pending zeros at the end make a pair.
double referencePairs(const std::vector<float>& v, int max_run) {
  double pairs = 0;
  int run = 0;
  for (float x : v) {
    if (x == 0.0f && run < max_run) {
      ++run;
      continue;
    }
    ++pairs;  // level x (nonzero, or a zero cutting a full run)
    run = 0;
  }
  return pairs + (run > 0 ? 1 : 0);
}

std::vector<float> randomStream(std::size_t n, double z, std::mt19937& rng) {
  std::bernoulli_distribution zero(z);
  std::vector<float> v(n);
  for (auto& x : v) x = zero(rng) ? 0.0f : 1.0f;
  return v;
}

}  // namespace

TEST_CASE("RLC pairs from a zero-run histogram equal the reference encoder", "[energy][rlc]") {
  RlcParams p;
  std::mt19937 rng(7);
  for (double z : {0.0, 0.2, 0.6, 0.9, 0.97, 0.995}) {
    auto v = randomStream(20000, z, rng);
    v.back() = 1.0f;  // the histogram does not say which run ends the stream: end on a value
    ZeroRunHistogram h = measureZeroRuns(v);
    INFO("z=" << z);
    CHECK(rlcPairs(h, p) == referencePairs(v, p.maxRun()));
    CHECK(h.zeroFraction() == Approx(z).margin(0.02));
  }
  // Long runs are cut every 32 zeros.
  std::vector<float> v(100, 0.0f);
  v.push_back(3.0f);
  CHECK(rlcPairs(measureZeroRuns(v), p) == referencePairs(v, 31));
  CHECK(referencePairs(v, 31) == 4);  // 31+1, 31+1, 31+1, 4 zeros + level 3
}

TEST_CASE("the i.i.d. expectation matches long random streams", "[energy][rlc]") {
  RlcParams p;
  std::mt19937 rng(11);
  for (double z : {0.0, 0.387, 0.725, 0.9, 0.99}) {
    auto v = randomStream(400000, z, rng);
    double measured = referencePairs(v, p.maxRun()) / v.size();
    INFO("z=" << z);
    CHECK(rlcPairsPerValueIid(z, p) == Approx(measured).epsilon(0.01));
  }
  // Size: 3 pairs of 5+16 bits per 64-bit word, so a dense map costs 64/3 bits per value.
  CHECK(rlcBits(rlcPairsPerValueIid(0.0, p), p) == Approx(64.0 / 3));
}

TEST_CASE("the padded-plane chain matches sampled padded planes", "[energy][rlc]") {
  RlcParams p;
  std::mt19937 rng(3);
  const int H = 13, W = 13, pad = 1, rows = H + 2 * pad, cols = W + 2 * pad;
  for (double z : {0.0, 0.5, 0.793}) {
    double sum = 0;
    const int trials = 4000;
    std::bernoulli_distribution zero(z);
    for (int k = 0; k < trials; ++k) {
      std::vector<float> v(rows * cols, 0.0f);
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) v[(y + pad) * cols + x + pad] = zero(rng) ? 0.0f : 1.0f;
      sum += referencePairs(v, p.maxRun());
    }
    INFO("z=" << z);
    CHECK(rlcPairsPaddedPlane(rows, cols, pad, pad, H, W, z, p) == Approx(sum / trials).epsilon(0.01));
  }
}

TEST_CASE("significance map: one bit per value plus the nonzeros' bits", "[energy][rlc]") {
  CHECK(significanceMapBits(1000, 250, 16) == 1000 + 250 * 16);
}

TEST_CASE("a measured histogram drives the DRAM traffic exactly", "[energy][rlc]") {
  auto spec = loadAcceleratorSpec("eyeriss");
  REQUIRE(spec.ok());
  spec->levels[int(Level::Dram)].stores_padding.value = false;
  LayerShape l = convLayer("c", 1, 4, 8, 8, 4, 3, 3, 1, 1);
  std::mt19937 rng(5);
  auto v = randomStream(4 * 8 * 8, 0.7, rng);
  v.back() = 1.0f;
  l.ifmap.zero_runs = measureZeroRuns(v);
  Mapping m{1, 8, 4, 4, 1, 1, 4};
  auto c = evaluate(*spec, l, m);
  REQUIRE(c.ok());
  // The ifmap is read once (one m-group, one strip): its bits are the encoded stream's.
  const double pairs = referencePairs(v, 31);
  CHECK(c->dram_bits[int(DataType::Ifmap)] == Approx(pairs * 64.0 / 3));
}

TEST_CASE("the size formulas agree with formats/rlc's encoder", "[energy][rlc]") {
  RlcParams p;
  std::mt19937 rng(13);
  for (double z : {0.0, 0.5, 0.9, 0.99}) {
    auto v = randomStream(30001, z, rng);
    v.back() = 2.0f;  // the histogram does not say which run ends the stream
    std::vector<std::uint16_t> q(v.begin(), v.end());
    INFO("z=" << z);
    const double pairs = double(dnnc::formats::rlcPairCount(q));
    CHECK(rlcPairs(measureZeroRuns(v), p) == pairs);
    // Whole words: the encoder rounds the last word up; the model takes the expectation over transfers.
    const double slack = double(dnnc::formats::rlcEncodedBits(q)) - rlcBits(pairs, p);
    CHECK(slack >= 0);
    CHECK(slack < 64);
  }
}
