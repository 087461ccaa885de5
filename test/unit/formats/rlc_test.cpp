#include "formats/rlc.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <random>

using namespace dnnc::formats;

namespace {

uint64_t pairBits(uint64_t run, uint64_t level, unsigned slot) {
  return (run << 16 | level) << (64 - 21 * (slot + 1));
}

}  // namespace

TEST_CASE("rlc: the Eyeriss paper's example packs into one word", "[formats][rlc]") {
  std::vector<uint16_t> v{0, 0, 12, 0, 0, 0, 0, 53, 0, 0, 22};
  auto words = rlcEncode(std::span<const uint16_t>(v));
  REQUIRE(words.size() == 1);
  uint64_t expected = pairBits(2, 12, 0) | pairBits(4, 53, 1) | pairBits(2, 22, 2) | 1;
  CHECK(words[0] == expected);
  CHECK(words[0] == 0x1000'6100'0d44'002dULL);
  auto back = rlcDecode(words, v.size());
  REQUIRE(back.ok());
  CHECK(*back == v);
}

TEST_CASE("rlc: runs over 31 and trailing zeros", "[formats][rlc]") {
  // 40 zeros, 5, then 70 zeros: (31,0) (8,5) (31,0) | (31,0) (5,0) pad, term on the second word.
  std::vector<uint16_t> v(40, 0);
  v.push_back(5);
  v.resize(v.size() + 70, 0);
  auto words = rlcEncode(std::span<const uint16_t>(v));
  REQUIRE(words.size() == 2);
  CHECK(words[0] == (pairBits(31, 0, 0) | pairBits(8, 5, 1) | pairBits(31, 0, 2)));
  CHECK(words[1] == (pairBits(31, 0, 0) | pairBits(5, 0, 1) | 1));
  CHECK(rlcPairCount(v) == 5);
  CHECK(rlcEncodedBits(std::span<const uint16_t>(v)) == 128);
  auto back = rlcDecode(words, v.size());
  REQUIRE(back.ok());
  CHECK(*back == v);
}

TEST_CASE("rlc: exactly 32 zeros and boundary runs", "[formats][rlc]") {
  for (size_t run : {0u, 1u, 30u, 31u, 32u, 33u, 63u, 64u, 65u, 96u, 1000u}) {
    for (bool trailing : {false, true}) {
      std::vector<uint16_t> v(run, 0);
      if (!trailing) v.push_back(7);
      uint64_t pairs = trailing ? (run + 31) / 32 : 1 + run / 32;
      CHECK(rlcPairCount(v) == pairs);
      auto words = rlcEncode(std::span<const uint16_t>(v));
      CHECK(words.size() == (pairs + 2) / 3);
      auto back = rlcDecode(words, v.size());
      REQUIRE(back.ok());
      CHECK(*back == v);
    }
  }
  CHECK(rlcEncode(std::span<const uint16_t>()).empty());
  CHECK(rlcDecode({}, 0).ok());
}

TEST_CASE("rlc: random sequences round-trip, sizes match the formula", "[formats][rlc]") {
  std::mt19937_64 rng(9);
  for (double zero_p : {0.0, 0.3, 0.5, 0.9, 0.99, 1.0}) {
    for (int trial = 0; trial < 20; ++trial) {
      size_t n = rng() % 5000;
      std::bernoulli_distribution z(zero_p);
      std::vector<int16_t> v(n);
      std::vector<float> f(n);
      for (size_t i = 0; i < n; ++i) {
        v[i] = z(rng) ? 0 : int16_t(1 + rng() % 65535);
        f[i] = v[i] == 0 ? (rng() % 2 ? 0.0f : -0.0f) : float(v[i]) * 0.01f;
      }
      auto words = rlcEncode(std::span<const int16_t>(v));
      std::span<const uint16_t> u(reinterpret_cast<const uint16_t*>(v.data()), v.size());
      REQUIRE(words.size() * 64 == rlcEncodedBits(u));
      REQUIRE(rlcEncodedBits(f.data(), f.size()) == rlcEncodedBits(u));
      auto back = rlcDecodeSigned(words, n);
      REQUIRE(back.ok());
      REQUIRE(*back == v);
      auto bytes = rlcWordsToBytes(words);
      auto words2 = rlcBytesToWords(bytes);
      REQUIRE(words2.ok());
      REQUIRE(*words2 == words);
    }
  }
  float nan = std::nanf("");
  CHECK(rlcEncodedBits(&nan, 1) == 64);  // NaN is not zero
}

TEST_CASE("rlc: corrupt streams are rejected", "[formats][rlc]") {
  std::vector<uint16_t> v{0, 0, 12, 0, 0, 0, 0, 53, 0, 0, 22};
  auto words = rlcEncode(std::span<const uint16_t>(v));
  CHECK_FALSE(rlcDecode(words, 10).ok());       // run past n
  CHECK_FALSE(rlcDecode(words, 12).ok());       // too few values
  CHECK_FALSE(rlcDecode(words, 1000).ok());     // more than one word can hold
  std::vector<uint64_t> noterm{words[0] & ~uint64_t(1)};
  CHECK_FALSE(rlcDecode(noterm, v.size()).ok());
  std::vector<uint64_t> extra{words[0] & ~uint64_t(1), 1};  // a word of padding alone
  CHECK_FALSE(rlcDecode(extra, v.size()).ok());
  std::vector<uint64_t> short_zero{pairBits(3, 0, 0) | pairBits(0, 9, 1) | 1};  // (3,0) mid-stream
  CHECK_FALSE(rlcDecode(short_zero, 5).ok());
  std::vector<uint64_t> dirty_pad{pairBits(0, 9, 0) | pairBits(0, 1, 2) | 1};
  CHECK_FALSE(rlcDecode(dirty_pad, 1).ok());
  CHECK_FALSE(rlcDecode({}, 1).ok());
  CHECK_FALSE(rlcDecode(words, 0).ok());
  std::vector<uint8_t> odd(12, 0);
  CHECK_FALSE(rlcBytesToWords(odd).ok());
}
