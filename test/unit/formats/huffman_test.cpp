#include "formats/huffman.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <queue>
#include <random>

#include "formats/code_lengths.h"
#include "formats/entropy.h"
#include "test/unit/formats/random_inputs.h"

using namespace dnnc::formats;
using dnnc::formats::test::symbolBattery;

namespace {

uint64_t cost(const std::vector<uint64_t>& counts, const std::vector<uint8_t>& lengths) {
  uint64_t c = 0;
  for (size_t i = 0; i < counts.size(); ++i) c += counts[i] * lengths[i];
  return c;
}

// Unlimited Huffman cost by the textbook merge: the sum of all internal node weights.
uint64_t textbookHuffmanCost(const std::vector<uint64_t>& counts) {
  std::priority_queue<uint64_t, std::vector<uint64_t>, std::greater<>> q;
  for (uint64_t c : counts) if (c) q.push(c);
  if (q.size() == 1) return q.top();  // one symbol: one bit each
  uint64_t total = 0;
  while (q.size() > 1) {
    uint64_t a = q.top(); q.pop();
    uint64_t b = q.top(); q.pop();
    total += a + b;
    q.push(a + b);
  }
  return total;
}

// Brute-force optimum over all length vectors within the limit satisfying Kraft.
uint64_t bruteForceCost(const std::vector<uint64_t>& counts, unsigned limit) {
  size_t n = counts.size();
  std::vector<uint8_t> l(n, 1);
  uint64_t best = UINT64_MAX;
  std::function<void(size_t, double)> rec = [&](size_t i, double kraft) {
    if (kraft > 1.0 + 1e-12) return;
    if (i == n) { best = std::min(best, cost(counts, l)); return; }
    for (unsigned len = 1; len <= limit; ++len) { l[i] = uint8_t(len); rec(i + 1, kraft + std::ldexp(1.0, -int(len))); }
  };
  rec(0, 0.0);
  return best;
}

double kraftSum(const std::vector<uint8_t>& lengths) {
  double k = 0;
  for (uint8_t l : lengths) if (l) k += std::ldexp(1.0, -int(l));
  return k;
}

template <class T>
std::vector<T> convert(const std::vector<uint32_t>& v) { return std::vector<T>(v.begin(), v.end()); }

}  // namespace

TEST_CASE("huffman: canonical codes match RFC 1951's example", "[formats][huffman]") {
  // ABCDEFGH with lengths (3,3,3,3,3,2,4,4): F=00, A=010, B=011, ..., E=110, G=1110, H=1111.
  auto code = HuffmanCode::fromLengths({3, 3, 3, 3, 3, 2, 4, 4});
  REQUIRE(code.ok());
  BitWriter w;
  code->encode(w, 0);  // A = 010, first bit first
  code->encode(w, 5);  // F = 00
  code->encode(w, 7);  // H = 1111
  auto bytes = w.finish();
  // Stream bits: 0,1,0, 0,0, 1,1,1 | 1 -> byte0 = 0b11100010, byte1 = 0b1.
  CHECK(bytes == std::vector<uint8_t>{0xe2, 0x01});
  HuffmanDecoder dec(*code);
  BitReader r(bytes);
  std::vector<uint32_t> out(3);
  REQUIRE(dec.decode(r, std::span<uint32_t>(out)).ok());
  CHECK(out == std::vector<uint32_t>{0, 5, 7});
}

TEST_CASE("huffman: package-merge lengths are optimal", "[formats][huffman]") {
  std::mt19937_64 rng(7);
  SECTION("unlimited: equals textbook Huffman cost") {
    for (int trial = 0; trial < 200; ++trial) {
      size_t n = 1 + rng() % 300;
      std::vector<uint64_t> counts(n);
      for (auto& c : counts) c = (rng() % 4 == 0) ? 0 : 1 + rng() % (1 + rng() % 100000);
      auto lengths = limitedCodeLengths(counts, 32);
      if (std::count_if(counts.begin(), counts.end(), [](uint64_t c) { return c != 0; }) >= 2)
        REQUIRE(kraftSum(lengths) == 1.0);
      REQUIRE(cost(counts, lengths) == textbookHuffmanCost(counts));
    }
  }
  SECTION("limited: equals brute force on small alphabets") {
    for (int trial = 0; trial < 150; ++trial) {
      size_t n = 2 + rng() % 5;
      unsigned limit = 3 + unsigned(rng() % 2);
      std::vector<uint64_t> counts(n);
      for (auto& c : counts) c = 1 + (rng() % 2 ? rng() % 1000 : rng() % 3);
      auto lengths = limitedCodeLengths(counts, limit);
      REQUIRE(*std::max_element(lengths.begin(), lengths.end()) <= limit);
      REQUIRE(cost(counts, lengths) == bruteForceCost(counts, limit));
    }
  }
  SECTION("Fibonacci counts respect the limit") {
    std::vector<uint64_t> fib{1, 1};
    while (fib.size() < 40) fib.push_back(fib[fib.size() - 1] + fib[fib.size() - 2]);
    for (unsigned limit : {6u, 7u, 10u, 15u, 16u}) {
      auto lengths = limitedCodeLengths(fib, limit);
      CHECK(*std::max_element(lengths.begin(), lengths.end()) == limit);
      CHECK(kraftSum(lengths) == 1.0);
    }
    auto unlimited = limitedCodeLengths(fib, 32);
    CHECK(*std::max_element(unlimited.begin(), unlimited.end()) == 32);  // capped by the request
  }
  SECTION("a limit below log2(used symbols) is raised") {
    std::vector<uint64_t> counts(1000, 1);
    auto lengths = limitedCodeLengths(counts, 4);
    CHECK(*std::max_element(lengths.begin(), lengths.end()) == 10);
    CHECK(kraftSum(lengths) == 1.0);
  }
}

TEMPLATE_TEST_CASE("huffman: round trip over the distribution battery", "[formats][huffman]", uint8_t, uint16_t,
                   uint32_t) {
  std::vector<uint32_t> alphabets{2, 16, 255};
  if (sizeof(TestType) >= 2) {
    alphabets.push_back(4096);
    alphabets.push_back(65536);
  }
  for (uint32_t alphabet : alphabets) {
    for (unsigned limit : {8u, 15u, 16u}) {
      for (auto& dist : symbolBattery(alphabet * 31 + limit, 20000, alphabet)) {
        INFO(dist.name << ", alphabet " << alphabet << ", limit " << limit);
        auto symbols = convert<TestType>(dist.values);
        std::span<const TestType> in(symbols);
        auto bytes = huffmanEncode(in, limit);
        REQUIRE(bytes.size() == huffmanEncodedBytes(in, limit));
        auto back = huffmanDecode<TestType>(bytes);
        REQUIRE(back.ok());
        REQUIRE(*back == symbols);

        // Payload within one bit per symbol of the empirical entropy, and never below it.
        auto counts = symbolCounts(in);
        auto code = HuffmanCode::fromCounts(counts, 16);
        double h = shannonEntropyBits(in);
        double payload = double(code.payloadBits(counts));
        CHECK(payload >= h - 1e-6);
        CHECK(payload <= h + double(symbols.size()) + 1e-6);
        if (symbols.size() >= 2 && code.usedSymbols() >= 2) CHECK(payload < h + double(symbols.size()));
      }
    }
  }
}

TEST_CASE("huffman: the full 16-bit alphabet fits a 16-bit limit", "[formats][huffman]") {
  std::vector<uint16_t> all(65536 * 2);
  for (size_t i = 0; i < all.size(); ++i) all[i] = uint16_t(i * 40503u);
  auto bytes = huffmanEncode(std::span<const uint16_t>(all), 15);  // 15 is raised to 16
  auto back = huffmanDecode<uint16_t>(bytes);
  REQUIRE(back.ok());
  CHECK(*back == all);
}

TEST_CASE("huffman: code tables round-trip and are compact", "[formats][huffman]") {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 300; ++trial) {
    size_t alphabet = 1 + rng() % (trial % 3 == 0 ? 65536 : 300);
    std::vector<uint64_t> counts(alphabet, 0);
    size_t used = rng() % (alphabet + 1);
    for (size_t i = 0; i < used; ++i) counts[rng() % alphabet] += 1 + rng() % 50;
    auto code = HuffmanCode::fromCounts(counts, 1 + unsigned(rng() % 16));
    BitWriter w;
    code.write(w);
    CHECK(w.bitSize() == code.tableBits());
    auto bytes = w.finish();
    BitReader r(bytes);
    auto back = HuffmanCode::read(r);
    REQUIRE(back.ok());
    REQUIRE(back->lengths() == code.lengths());
    CHECK(r.expectEnd().ok());
  }
  // 256 used symbols of a 65536 alphabet: far below a 5-bit field per symbol.
  std::vector<uint64_t> sparse(65536, 0);
  for (size_t i = 0; i < 256; ++i) sparse[i * 256] = 1 + i;
  CHECK(HuffmanCode::fromCounts(sparse).tableBits() < 14 * 256);
}

TEST_CASE("huffman: invalid code lengths are rejected", "[formats][huffman]") {
  CHECK_FALSE(HuffmanCode::fromLengths({1, 1, 1}).ok());     // over-subscribed
  CHECK_FALSE(HuffmanCode::fromLengths({1, 2}).ok());        // incomplete
  CHECK_FALSE(HuffmanCode::fromLengths({2}).ok());           // single symbol must have length 1
  CHECK_FALSE(HuffmanCode::fromLengths({17, 1}).ok());       // too long
  CHECK(HuffmanCode::fromLengths({0, 1, 0}).ok());           // single symbol
  CHECK(HuffmanCode::fromLengths({0, 0}).ok());              // nothing used
  CHECK(HuffmanCode::fromLengths({1, 2, 2}).ok());
}

TEST_CASE("huffman: narrow output types reject wide alphabets", "[formats][huffman]") {
  std::vector<uint16_t> wide{1, 300, 2};
  auto bytes = huffmanEncode(std::span<const uint16_t>(wide));
  auto as8 = huffmanDecode<uint8_t>(bytes);
  REQUIRE_FALSE(as8.ok());
  CHECK(as8.error().code() == dnnc::Exit::Input);
  CHECK(huffmanDecode<uint16_t>(bytes).ok());
}

TEST_CASE("huffman: every truncation and trailing garbage is an error", "[formats][huffman]") {
  std::mt19937_64 rng(3);
  auto symbols = dnnc::formats::test::skewedSymbols(rng, 3000, 200, 0.1);
  auto bytes = huffmanEncode(std::span<const uint32_t>(symbols));
  for (size_t len = 0; len < bytes.size(); ++len) {
    auto r = huffmanDecode<uint32_t>(std::span<const uint8_t>(bytes.data(), len));
    REQUIRE_FALSE(r.ok());
    REQUIRE(r.error().code() == dnnc::Exit::Input);
  }
  auto longer = bytes;
  longer.push_back(0);
  CHECK_FALSE(huffmanDecode<uint32_t>(longer).ok());
}

TEST_CASE("huffman: entropy helper", "[formats][huffman]") {
  std::vector<uint8_t> v{0, 0, 1, 1, 2, 2, 3, 3};
  CHECK(shannonEntropyBits(std::span<const uint8_t>(v)) == Approx(16.0));
  std::vector<uint32_t> w{7, 7, 7, 1000000};  // 3 log2(4/3) + log2(4)
  CHECK(shannonEntropyBits(std::span<const uint32_t>(w)) == Approx(3 * std::log2(4.0 / 3) + 2));
  std::vector<uint64_t> one{42};
  CHECK(entropyBits(one) == 0.0);
}

TEST_CASE("huffman: one- and four-stream layouts around the threshold", "[formats][huffman]") {
  std::mt19937_64 rng(12);
  std::vector<size_t> sizes{0, 1, 2, 3, 4, 5, 11, 12, 13, 63, 64, 65};
  for (size_t n = kHuffmanFourStreamsMin - 5; n <= kHuffmanFourStreamsMin + 40; ++n) sizes.push_back(n);
  for (size_t n : {1000u, 1001u, 1002u, 1003u, 4099u, 100003u}) sizes.push_back(n);
  for (size_t n : sizes) {
    for (uint32_t alphabet : {1u, 2u, 3u, 200u, 5000u}) {
      INFO("n " << n << ", alphabet " << alphabet);
      auto v = dnnc::formats::test::skewedSymbols(rng, n, alphabet, 0.03);
      std::vector<uint16_t> s(v.begin(), v.end());
      std::span<const uint16_t> in(s);
      auto bytes = huffmanEncode(in);
      REQUIRE(bytes.size() == huffmanEncodedBytes(in));
      auto back = huffmanDecode<uint16_t>(bytes);
      REQUIRE(back.ok());
      REQUIRE(*back == s);
    }
  }
}

TEST_CASE("huffman: long codes through the subtables", "[formats][huffman]") {
  // Fibonacci-like counts force 16-bit codes, beyond the 11-bit primary table.
  std::vector<uint16_t> s;
  uint64_t a = 1, b = 1;
  for (uint16_t sym = 0; sym < 24; ++sym) {
    for (uint64_t k = 0; k < a; ++k) s.push_back(sym);
    uint64_t c = a + b;
    a = b;
    b = c;
  }
  std::mt19937_64 rng(13);
  std::shuffle(s.begin(), s.end(), rng);
  auto counts = symbolCounts(std::span<const uint16_t>(s));
  CHECK(HuffmanCode::fromCounts(counts, 16).maxLength() == 16);
  auto bytes = huffmanEncode(std::span<const uint16_t>(s), 16);
  auto back = huffmanDecode<uint16_t>(bytes);
  REQUIRE(back.ok());
  CHECK(*back == s);
}
