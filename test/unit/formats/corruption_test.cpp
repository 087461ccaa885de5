// Fuzz-like robustness: every decoder, fed truncations, random bit flips and random bytes, must
// return a value or an Exit::Input error: never crash, over-read or allocate beyond its bounds.
// Run under -fsanitize=address,undefined to make "never over-read" observable.
#include <catch2/catch.hpp>
#include <functional>
#include <random>

#include "formats/bitstream.h"
#include "formats/csr.h"
#include "formats/huffman.h"
#include "formats/rlc.h"
#include "formats/varint.h"
#include "formats/zstd_blob.h"
#include "test/unit/formats/random_inputs.h"

using namespace dnnc::formats;
using dnnc::formats::test::sparseSymbols;

namespace {

// Outcome of one decode: true if it succeeded. Failures must be Exit::Input errors.
using Decoder = std::function<bool(std::span<const uint8_t>)>;

template <class T>
bool check(const dnnc::Expected<T>& r) {
  if (!r.ok()) REQUIRE(r.error().code() == dnnc::Exit::Input);
  return r.ok();
}

// Every strict prefix of a valid stream must fail; flipped bits and junk must merely not crash.
void torture(const std::vector<uint8_t>& good, const Decoder& decode, uint64_t seed) {
  REQUIRE(decode(good));
  for (size_t len = 0; len < good.size(); ++len) {
    REQUIRE_FALSE(decode(std::span<const uint8_t>(good.data(), len)));
  }
  std::mt19937_64 rng(seed);
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<uint8_t> bad = good;
    int flips = 1 + int(rng() % 3);
    for (int f = 0; f < flips && !bad.empty(); ++f) bad[rng() % bad.size()] ^= uint8_t(1u << (rng() % 8));
    decode(bad);
  }
  for (int trial = 0; trial < 1000; ++trial) {
    std::vector<uint8_t> junk(rng() % 64);
    for (auto& b : junk) b = uint8_t(rng());
    decode(junk);
  }
}

}  // namespace

TEST_CASE("corruption: huffman streams", "[formats][corruption]") {
  std::mt19937_64 rng(21);
  for (uint32_t alphabet : {2u, 40u, 3000u}) {
    auto v = dnnc::formats::test::skewedSymbols(rng, 2000, alphabet, 0.02);
    std::vector<uint16_t> s(v.begin(), v.end());
    auto good = huffmanEncode(std::span<const uint16_t>(s));
    torture(good, [](std::span<const uint8_t> b) { return check(huffmanDecode<uint16_t>(b)); }, alphabet);
    if (alphabet <= 256) {
      torture(good, [](std::span<const uint8_t> b) { return check(huffmanDecode<uint8_t>(b)); }, alphabet + 1);
    }
  }
}

TEST_CASE("corruption: a huffman symbol count near 2^64 is rejected, not allocated", "[formats][corruption]") {
  // Found by tools/fuzz_unpack.sh (2026-12-03): a count whose stream quarter overflowed passed the per-stream
  // bound and reached std::vector's constructor (length_error, abort). Here: a valid stream with its count
  // varint replaced by 2^64 - 1.
  std::vector<uint16_t> s(5000);
  for (size_t i = 0; i < s.size(); ++i) s[i] = uint16_t(i % 7);
  auto good = huffmanEncode(std::span<const uint16_t>(s));
  REQUIRE(huffmanDecode<uint16_t>(good).ok());
  size_t pos = 0;
  REQUIRE(readVarint(good, pos).ok());
  std::vector<uint8_t> bad;
  appendVarint(bad, ~uint64_t(0));
  bad.insert(bad.end(), good.begin() + static_cast<std::ptrdiff_t>(pos), good.end());
  auto r = huffmanDecode<uint16_t>(bad);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == dnnc::Exit::Input);
}

TEST_CASE("corruption: huffman code tables", "[formats][corruption]") {
  std::mt19937_64 rng(22);
  std::vector<uint64_t> counts(5000, 0);
  for (int i = 0; i < 800; ++i) counts[rng() % counts.size()] += 1 + rng() % 100;
  auto code = HuffmanCode::fromCounts(counts);
  BitWriter w;
  code.write(w);
  auto good = w.finish();
  torture(good, [](std::span<const uint8_t> b) {
    BitReader r(b);
    auto c = HuffmanCode::read(r);
    return check(c) && r.expectEnd().ok();
  }, 5);
}

TEST_CASE("corruption: csr streams", "[formats][corruption]") {
  std::mt19937_64 rng(23);
  auto v = sparseSymbols(rng, 3000, 16, 0.9);
  const uint64_t n = v.size();
  for (unsigned gap_bits : {3u, 5u, 8u}) {
    auto good = csrPlainEncode(v, gap_bits);
    torture(good, [&](std::span<const uint8_t> b) { return check(csrPlainDecode(b, n)); }, gap_bits);
  }
  auto good = csrHuffmanEncode(v);
  torture(good, [&](std::span<const uint8_t> b) { return check(csrHuffmanDecode(b, n)); }, 99);
  auto runs = dnnc::formats::test::longRunSymbols(rng, 3000, 300, 400);
  auto good2 = csrHuffmanEncode(runs);
  torture(good2, [&](std::span<const uint8_t> b) { return check(csrHuffmanDecode(b, runs.size())); }, 98);
}

TEST_CASE("corruption: rlc streams", "[formats][corruption]") {
  std::mt19937_64 rng(24);
  std::vector<uint16_t> v(3000, 0);
  for (auto& x : v) x = rng() % 3 == 0 ? uint16_t(rng()) : 0;
  for (size_t i = 1000; i < 1200; ++i) v[i] = 0;
  auto good = rlcWordsToBytes(rlcEncode(std::span<const uint16_t>(v)));
  const size_t n = v.size();
  torture(good, [&](std::span<const uint8_t> b) {
    auto words = rlcBytesToWords(b);
    return check(words) && check(rlcDecode(*words, n));
  }, 7);
}

TEST_CASE("corruption: zstd blobs", "[formats][corruption]") {
  std::vector<uint8_t> data(5000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t((i * i) >> 7);
  auto good = *zstdCompress(data, 3);
  torture(good, [&](std::span<const uint8_t> b) { return check(zstdDecompress(b, data.size())); }, 8);
}
