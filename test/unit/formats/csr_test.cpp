#include "formats/csr.h"

#include <catch2/catch.hpp>
#include <random>

#include "test/unit/formats/random_inputs.h"

using namespace dnnc::formats;
using dnnc::formats::test::symbolBattery;

TEST_CASE("csr: Han et al. Fig. 2 example with 3-bit gaps", "[formats][csr]") {
  // 16 weights, nonzeros at (0-based) 0, 3 and 14 with codebook indices 1, 2, 3. Han's index
  // differences 1, 3, 8, 3 (with a filler zero 8 positions after the second nonzero, because the real
  // difference 11 overflows 3 bits) are our gaps + 1: 0, 2, 7, 2.
  std::vector<uint32_t> w(16, 0);
  w[0] = 1;
  w[3] = 2;
  w[14] = 3;
  SparseEntries e = sparseEntries(w);
  CHECK(e.gaps == std::vector<uint64_t>{0, 2, 10});
  CHECK(csrPlainFillers(e, 3) == 1);
  CHECK(csrPlainPayloadBits(e, 3, 2) == 4 * 5);
  auto bytes = csrPlainEncode(w, 3, 2);
  // Header: n=16, entries=4, B=3, b=2. Entries (gap, value) = (0,1) (2,2) (7,0) (2,3), 5 bits each,
  // LSB-first: bits 00010 01001 11100 01011 -> 0x48 0x1e 0x0d.
  CHECK(bytes == std::vector<uint8_t>{0x10, 0x04, 0x03, 0x02, 0x48, 0x1e, 0x0d});
  CHECK(bytes.size() == csrPlainEncodedBytes(e, 3, 2));
  auto back = csrPlainDecode(bytes, 16);
  REQUIRE(back.ok());
  CHECK(*back == w);
}

TEST_CASE("csr: filler count at run boundaries", "[formats][csr]") {
  // A run of r zeros before a nonzero needs floor(r / 2^B) fillers.
  for (uint64_t run : {0u, 7u, 8u, 15u, 16u, 17u, 100u}) {
    std::vector<uint32_t> v(run, 0);
    v.push_back(5);
    SparseEntries e = sparseEntries(v);
    CHECK(csrPlainFillers(e, 3) == run / 8);
    auto bytes = csrPlainEncode(v, 3);
    auto back = csrPlainDecode(bytes, v.size());
    REQUIRE(back.ok());
    CHECK(*back == v);
  }
}

TEST_CASE("csr: both forms round-trip and match their size formulas", "[formats][csr]") {
  for (uint32_t alphabet : {2u, 16u, 256u, 70000u}) {
    for (auto& dist : symbolBattery(alphabet, 30000, alphabet)) {
      INFO(dist.name << ", alphabet " << alphabet);
      const auto& v = dist.values;
      SparseEntries e = sparseEntries(v);
      unsigned vb = valueBitsFor(v);
      for (unsigned gap_bits : {1u, 3u, 4u, 5u, 8u, 16u}) {
        auto plain = csrPlainEncode(v, gap_bits);
        REQUIRE(plain.size() == csrPlainEncodedBytes(e, gap_bits, vb));
        auto back = csrPlainDecode(plain, v.size());
        REQUIRE(back.ok());
        REQUIRE(*back == v);
      }
      auto ours = csrHuffmanEncode(v);
      CsrHuffmanPlan plan = planCsrHuffman(e);
      REQUIRE(ours.size() == plan.total_bytes);
      // The encoder reports the very choices the planner makes.
      CsrHuffmanPlan used;
      REQUIRE(csrHuffmanEncode(e, &used) == ours);
      CHECK(used.escape_threshold == plan.escape_threshold);
      CHECK(used.escape_order == plan.escape_order);
      CHECK(used.value_mode == plan.value_mode);
      CHECK(used.gap_bits == plan.gap_bits);
      CHECK(used.value_bits_total == plan.value_bits_total);
      CHECK(used.total_bytes == plan.total_bytes);
      auto back = csrHuffmanDecode(ours, v.size());
      REQUIRE(back.ok());
      REQUIRE(*back == v);
      // Ours is never meaningfully larger than the Deep Compression count at its best gap width: at
      // worst by its code tables on tiny inputs with near-uniform gaps.
      unsigned best = bestCsrPlainGapBits(e, vb);
      CHECK(plan.total_bytes <= csrPlainEncodedBytes(e, best, vb) * 1.02 + 40);
    }
  }
}

TEST_CASE("csr: ours beats the Deep Compression count on pruned weights", "[formats][csr]") {
  // i.i.d. magnitude pruning leaves geometric gaps; values are 4-bit codebook indices (16 clusters).
  std::mt19937_64 rng(6);
  for (double sparsity : {0.5, 0.7, 0.9, 0.95, 0.99}) {
    auto v = dnnc::formats::test::sparseSymbols(rng, 100000, 16, sparsity);
    SparseEntries e = sparseEntries(v);
    unsigned best = bestCsrPlainGapBits(e, 4);
    INFO("sparsity " << sparsity << ", best plain gap bits " << best);
    CHECK(planCsrHuffman(e).total_bytes < csrPlainEncodedBytes(e, best, 4));
    CHECK(planCsrHuffman(e).total_bytes < csrPlainEncodedBytes(e, 5, 4));  // Han's FC setting
  }
}

TEST_CASE("csr: huffman gaps beat fillers on long runs", "[formats][csr]") {
  std::mt19937_64 rng(5);
  auto v = dnnc::formats::test::longRunSymbols(rng, 200000, 16, 5000);
  SparseEntries e = sparseEntries(v);
  uint64_t dc = csrPlainPayloadBits(e, 4, 4);
  CsrHuffmanPlan plan = planCsrHuffman(e);
  CHECK(csrPlainFillers(e, 4) > e.gaps.size() * 50);
  CHECK(plan.gap_bits + plan.value_bits_total < dc / 10);
}

TEST_CASE("csr: corrupt streams are rejected", "[formats][csr]") {
  std::vector<uint32_t> w(16, 0);
  w[0] = 1;
  w[3] = 2;
  w[14] = 3;
  auto plain = csrPlainEncode(w, 3, 2);
  SECTION("count above the caller's bound") { CHECK_FALSE(csrPlainDecode(plain, 15).ok()); }
  SECTION("entry past the end") {
    auto bad = plain;
    bad[0] = 0x0f;  // n = 15: the last nonzero at 14 still fits, so shrink further
    bad[0] = 0x0e;
    CHECK_FALSE(csrPlainDecode(bad, 16).ok());
  }
  SECTION("zero value that is not a filler") {
    auto bad = plain;
    bad[4] = 0x40;  // first entry (0, 0)
    CHECK_FALSE(csrPlainDecode(bad, 16).ok());
  }
  SECTION("widths out of range") {
    auto bad = plain;
    bad[2] = 0;
    CHECK_FALSE(csrPlainDecode(bad, 16).ok());
    bad[2] = 17;
    CHECK_FALSE(csrPlainDecode(bad, 16).ok());
    bad = plain;
    bad[3] = 33;
    CHECK_FALSE(csrPlainDecode(bad, 16).ok());
  }
  SECTION("huge entry count") {
    std::vector<uint8_t> bad{0x10, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x03, 0x02, 0x00};
    CHECK_FALSE(csrPlainDecode(bad, 16).ok());
  }
  SECTION("huffman form: huge counts are bounded before allocating") {
    std::vector<uint8_t> bad{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x01, 0x00};
    CHECK_FALSE(csrHuffmanDecode(bad, 1000).ok());
    std::vector<uint8_t> many{0x10, 0x10, 0x00};  // 16 nonzeros in 8 bits: fine by the bound...
    CHECK_FALSE(csrHuffmanDecode(many, 16).ok());   // ...but not a valid stream
    many = {0x10, 0x0a, 0x00};                      // 10 nonzeros in 8 bits
    CHECK_FALSE(csrHuffmanDecode(many, 16).ok());
  }
  SECTION("empty and all-zero arrays") {
    std::vector<uint32_t> zeros(1000, 0);
    auto z = csrHuffmanEncode(zeros);
    CHECK(z.size() == 3);
    auto back = csrHuffmanDecode(z, 1000);
    REQUIRE(back.ok());
    CHECK(*back == zeros);
    CHECK_FALSE(csrHuffmanDecode(z, 999).ok());
  }
}

TEST_CASE("csr: sparse entries equal a reference scan", "[formats][csr]") {
  // The branch-free scan against the obvious loop, on arrays that start and end with zeros or
  // nonzeros, all zeros, all nonzeros and empty.
  std::mt19937 rng(11);
  std::vector<std::vector<uint32_t>> cases = {{}, {0, 0, 0}, {4, 5, 6}, {0, 3}, {3, 0}};
  for (double density : {0.01, 0.1, 0.5, 0.9}) {
    std::vector<uint32_t> v(5000);
    for (auto& x : v) x = double(rng() % 10000) < density * 10000 ? 1 + rng() % 300 : 0;
    cases.push_back(v);
  }
  for (const auto& v : cases) {
    SparseEntries ref;
    ref.count = v.size();
    uint64_t run = 0;
    for (uint32_t x : v) {
      if (x == 0) { ++run; continue; }
      ref.gaps.push_back(run);
      ref.values.push_back(x);
      run = 0;
    }
    SparseEntries e = sparseEntries(v);
    CHECK(e.count == ref.count);
    CHECK(e.gaps == ref.gaps);
    CHECK(e.values == ref.values);
  }
}
