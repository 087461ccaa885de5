// Delta coding of feature maps (lib/energy/delta_stats): quantization, spatial and temporal deltas, and each
// stream's entropy, zeros, zero runs and RLC size, against brute-force computations written here and
// against formats/rlc's encoder (the pair count of real encoded streams).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <map>
#include <random>

#include "formats/rlc.h"
#include "lib/energy/delta_stats.h"
#include "test/unit/exec/exec_test_util.h"

using namespace dnnc;
using namespace dnnc::energy;
using namespace dnnc::exectest;

namespace {

// Independent figures of a list of per-sample streams.
struct Brute {
  double entropy = 0, zero_fraction = 0, mean_run = 0, rlc_bits_per_value = 0;
};

Brute brute(const std::vector<std::vector<uint16_t>>& samples) {
  std::map<uint16_t, double> counts;
  double n = 0, zeros = 0, runs = 0, pairs = 0;
  for (const auto& s : samples) {
    bool in_run = false;
    for (uint16_t v : s) {
      counts[v] += 1;
      n += 1;
      zeros += v == 0;
      if (v == 0 && !in_run) runs += 1;
      in_run = v == 0;
    }
    // The encoder's pairs, less the one pair it spends on a trailing run that is not a whole 32-zero chunk
    // (rlc_size.h's histogram count leaves that pair out: at most one per stream).
    size_t trailing = 0;
    while (trailing < s.size() && s[s.size() - 1 - trailing] == 0) ++trailing;
    pairs += double(formats::rlcPairCount(s)) - (trailing % 32 != 0 ? 1 : 0);
  }
  Brute b;
  for (const auto& [sym, c] : counts) b.entropy += c / n * std::log2(n / c);
  b.zero_fraction = zeros / n;
  b.mean_run = runs > 0 ? zeros / runs : 0;
  b.rlc_bits_per_value = pairs * 64.0 / 3.0 / n;
  return b;
}

CodedStream streamOf(const std::vector<std::vector<uint16_t>>& samples) {
  CodedStream s;
  for (const auto& x : samples) addSample(s, x);
  return s;
}

void checkAgainstBrute(const std::vector<std::vector<uint16_t>>& samples) {
  CodedStream s = streamOf(samples);
  Brute b = brute(samples);
  CHECK(s.entropyBitsPerValue() == Approx(b.entropy).margin(1e-9));
  CHECK(s.zeroFraction() == Approx(b.zero_fraction).margin(1e-12));
  CHECK(s.meanZeroRun() == Approx(b.mean_run).margin(1e-12));
  CHECK(s.rlcBitsPerValue() == Approx(b.rlc_bits_per_value).margin(1e-9));
}

std::vector<uint16_t> raw(const std::vector<float>& x, double scale) {
  std::vector<uint16_t> q;
  rawSymbols(x, scale, q);
  return q;
}

std::vector<uint16_t> spatial(const std::vector<uint16_t>& q, int64_t width) {
  std::vector<uint16_t> d;
  spatialDeltas(q, width, d);
  return d;
}

}  // namespace

TEST_CASE("16-bit fixed point: one scale from the largest magnitude, rounding, clamping, two's complement",
          "[energy][delta]") {
  const double scale = fixedPointScale(2.0);
  CHECK(scale == Approx(2.0 / 32767));
  CHECK(quantize16(2.0f, scale) == 32767);
  CHECK(quantize16(-2.0f, scale) == uint16_t(65536 - 32767));
  CHECK(quantize16(5.0f, scale) == 32767);  // beyond the calibrated range: clamped
  CHECK(quantize16(0.0f, scale) == 0);
  CHECK(quantize16(float(0.4 * scale), scale) == 0);  // below half a step: a zero word
  CHECK(quantize16(float(-3 * scale), scale) == uint16_t(65536 - 3));
  CHECK(fixedPointScale(0.0) == 1.0);  // an all-zero tensor
}

TEST_CASE("a constant image has all-zero spatial deltas after each row's first value", "[energy][delta]") {
  const int64_t H = 5, W = 8;
  std::vector<float> x(size_t(H * W), 0.75f);
  const double scale = fixedPointScale(0.75);
  auto q = raw(x, scale);
  auto d = spatial(q, W);
  for (int64_t h = 0; h < H; ++h)
    for (int64_t w = 0; w < W; ++w) CHECK(d[size_t(h * W + w)] == (w == 0 ? 32767 : 0));
  CodedStream r = streamOf({q}), s = streamOf({d});
  CHECK(r.entropyBitsPerValue() == 0.0);
  CHECK(r.zeroFraction() == 0.0);
  CHECK(s.zeroFraction() == Approx(7.0 / 8));
  // Two symbols, 1/8 and 7/8 of the values.
  CHECK(s.entropyBitsPerValue() == Approx(-(1.0 / 8) * std::log2(1.0 / 8) - (7.0 / 8) * std::log2(7.0 / 8)));
  CHECK(s.meanZeroRun() == Approx(7.0));  // each row's 7 zeros, cut by the next row's first value
  CHECK(s.rlcBitsPerValue() < r.rlcBitsPerValue());
  checkAgainstBrute({d});
  checkAgainstBrute({q});
}

TEST_CASE("a ramp along W has constant spatial deltas", "[energy][delta]") {
  // Integer levels at scale 1: max|x| = 32767.
  const int64_t H = 4, W = 16;
  std::vector<float> x(size_t(H * W));
  for (int64_t h = 0; h < H; ++h)
    for (int64_t w = 0; w < W; ++w) x[size_t(h * W + w)] = float(100 * h + 3 * w);
  x.back() = 32767;  // sets the scale to 1 (the last value's own delta is then no longer 3)
  auto q = raw(x, fixedPointScale(32767));
  auto d = spatial(q, W);
  for (int64_t h = 0; h < H; ++h) {
    CHECK(d[size_t(h * W)] == uint16_t(100 * h));
    for (int64_t w = 1; w < W - (h == H - 1 ? 1 : 0); ++w) CHECK(d[size_t(h * W + w)] == 3);
  }
  CodedStream r = streamOf({q}), s = streamOf({d});
  CHECK(r.entropyBitsPerValue() == Approx(std::log2(double(H * W))));  // every value distinct
  CHECK(s.entropyBitsPerValue() < 1.0);                                  // mostly the one symbol 3
  checkAgainstBrute({d});
}

TEST_CASE("deltas decode exactly: RLC-decode, then add back modulo 2^16", "[energy][delta]") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-3, 3);
  std::vector<float> x(6 * 10);
  for (auto& v : x) v = u(rng);
  x[5] = 3.0f;
  x[6] = -3.0f;  // neighbours at both ends of the range: a delta beyond 16 bits before the wrap-around
  auto q = raw(x, fixedPointScale(3.0));
  auto d = spatial(q, 10);
  auto words = formats::rlcEncode(std::span<const uint16_t>(d));
  auto back = formats::rlcDecode(words, d.size());
  REQUIRE(back.ok());
  std::vector<uint16_t> restored(back->size());
  for (size_t i = 0; i < restored.size(); ++i)
    restored[i] = i % 10 == 0 ? (*back)[i] : uint16_t(restored[i - 1] + (*back)[i]);
  CHECK(restored == q);
  std::vector<uint16_t> prev(q.size(), 12345), t;
  temporalDeltas(q, prev, t);
  for (size_t i = 0; i < q.size(); ++i) CHECK(uint16_t(prev[i] + t[i]) == q[i]);
}

TEST_CASE("on random noise, spatial deltas carry no less entropy than the values", "[energy][delta]") {
  // i.i.d. values on 17 levels: the difference of two independent values spreads over 33 levels.
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> level(-8, 8);
  std::vector<std::vector<uint16_t>> raws, deltas;
  for (int sample = 0; sample < 4; ++sample) {
    std::vector<float> x(size_t(1 * 64 * 64));
    for (auto& v : x) v = float(level(rng));
    auto q = raw(x, fixedPointScale(8));
    deltas.push_back(spatial(q, 64));
    raws.push_back(std::move(q));
  }
  CodedStream r = streamOf(raws), s = streamOf(deltas);
  CHECK(r.entropyBitsPerValue() == Approx(std::log2(17.0)).margin(0.01));
  CHECK(s.entropyBitsPerValue() >= r.entropyBitsPerValue());
  checkAgainstBrute(raws);
  checkAgainstBrute(deltas);
}

TEST_CASE("stream figures equal brute force on sparse streams with runs longer than the RLC run field",
          "[energy][delta]") {
  std::mt19937 rng(3);
  std::bernoulli_distribution zero(0.93);
  std::vector<std::vector<uint16_t>> samples;
  for (int k = 0; k < 5; ++k) {
    std::vector<uint16_t> s(700);
    for (auto& v : s) v = zero(rng) ? 0 : uint16_t(1 + rng() % 5);
    samples.push_back(s);
  }
  samples[1].assign(700, 0);                  // one all-zero sample (runs of 700)
  std::fill(samples[2].end() - 64, samples[2].end(), 0);  // a trailing run of whole 32-zero chunks
  checkAgainstBrute(samples);
  CodedStream s = streamOf(samples);
  CHECK(s.samples == 5);
  CHECK(s.values() == 3500);
}

TEST_CASE("the collector: scale over the whole data set, raw, spatial and temporal streams of a Conv input",
          "[energy][delta]") {
  Model m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,1,6,6] X) => (float[N,5] Y) {
  c = Conv <pads = [1, 1, 1, 1]> (X, W)
  r = Relu (c)
  f = Flatten (r)
  Y = Gemm <transB = 1> (f, G)
})");
  m.graph().mutable_node(0)->set_name("conv");
  m.graph().mutable_node(3)->set_name("fc");
  addInitializer(m, "W", randomTensor({2, 1, 3, 3}, 1));
  addInitializer(m, "G", randomTensor({5, 72}, 2));
  auto exec = makeExecutor(m);
  // Four frames: a random texture panned one pixel per frame (frame t = columns t..t+5).
  Tensor tex = randomTensor({1, 1, 6, 9}, 4);
  std::vector<float> frames(4 * 36);
  for (int t = 0; t < 4; ++t)
    for (int h = 0; h < 6; ++h)
      for (int w = 0; w < 6; ++w) frames[size_t(t * 36 + h * 6 + w)] = tex.data<float>()[h * 9 + t + w];
  Tensor x = Tensor::fromFloats(frames, {4, 1, 6, 6});
  DeltaStatsCollector collector(*exec, {.frames = true});
  ExecRunOptions run;
  run.observer = &collector;
  runOk(*exec, {&x}, run);
  collector.freeze();
  Tensor first = Tensor::fromFloats(std::span<const float>(frames).subspan(0, 72), {2, 1, 6, 6});
  Tensor second = Tensor::fromFloats(std::span<const float>(frames).subspan(72, 72), {2, 1, 6, 6});
  runOk(*exec, {&first}, run);  // two batches: the previous frame carries across them
  runOk(*exec, {&second}, run);
  auto stats = collector.results();
  REQUIRE(stats.size() == 2);
  const DeltaStats& c = stats[0];
  CHECK(c.node == "conv");
  CHECK(c.value == "X");
  CHECK(c.sample_dims == std::vector<int64_t>{1, 6, 6});
  double max_abs = 0;
  for (float v : frames) max_abs = std::max(max_abs, double(std::abs(v)));
  CHECK(c.max_abs == max_abs);
  const double scale = max_abs / 32767;
  std::vector<std::vector<uint16_t>> q, sp, tm;
  for (int t = 0; t < 4; ++t) {
    std::vector<uint16_t> s(36);
    for (int i = 0; i < 36; ++i)
      s[size_t(i)] = uint16_t(int32_t(std::lround(double(frames[size_t(t * 36 + i)]) / scale)));
    std::vector<uint16_t> d(36);
    for (int i = 0; i < 36; ++i) d[size_t(i)] = i % 6 == 0 ? s[size_t(i)] : uint16_t(s[size_t(i)] - s[size_t(i - 1)]);
    sp.push_back(d);
    if (t > 0) {
      for (int i = 0; i < 36; ++i) d[size_t(i)] = uint16_t(s[size_t(i)] - q.back()[size_t(i)]);
      tm.push_back(d);
    }
    q.push_back(s);
  }
  auto same = [](const CodedStream& s, const std::vector<std::vector<uint16_t>>& ref) {
    CodedStream r = streamOf(ref);
    CHECK(s.samples == r.samples);
    CHECK(s.symbol_counts == r.symbol_counts);
    CHECK(s.zero_runs.runs == r.zero_runs.runs);
    CHECK(s.zero_runs.nonzeros == r.zero_runs.nonzeros);
  };
  same(c.raw, q);
  same(c.spatial, sp);
  same(c.temporal, tm);
  CHECK(c.temporal.samples == 3);  // the first frame has no predecessor
  CHECK(stats[1].node == "fc");
  CHECK(stats[1].raw.values() == 4 * 72);
  CHECK(stats[1].raw.zeroFraction() > 0);  // after the Relu
}
