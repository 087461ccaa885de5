// csr-ac: exact round trips, size against the empirical entropy, and corrupt input rejected cleanly.
#include <catch2/catch.hpp>
#include <random>

#include "formats/csr.h"
#include "formats/csr_arith.h"
#include "formats/entropy.h"
#include "test/unit/formats/sparse_arrays.h"

using namespace dnnc::formats;

using dnnc::test::sparseArray;

TEST_CASE("csr-ac round-trips sparse, dense, empty and extreme arrays") {
  std::vector<std::vector<uint32_t>> cases = {
      {}, {0}, {5}, {0, 0, 0}, {1, 0, 0, 0, 0, 0, 0, 0, 0, 2}, std::vector<uint32_t>(100000, 0), std::vector<uint32_t>(1000, 65535),
  };
  std::vector<uint32_t> far(3000000, 0);
  far[2999999] = 7;  // one gap of almost 3M zeros
  cases.push_back(far);
  for (double d : {0.01, 0.08, 0.5, 0.99}) cases.push_back(sparseArray(50000, d, 31, uint32_t(d * 1000)));
  for (const auto& v : cases) {
    auto bytes = csrAcEncode(v);
    auto back = csrAcDecode(bytes, v.size());
    REQUIRE(back.ok());
    CHECK(*back == v);
  }
}

TEST_CASE("csr-ac comes within 1.5 % of the entropy of gaps and values and beats csr-huffman") {
  for (double d : {0.04, 0.08, 0.2}) {
    auto v = sparseArray(400000, d, 31, 9);
    auto e = sparseEntries(v);
    std::vector<uint32_t> gaps(e.gaps.begin(), e.gaps.end());
    double bound = shannonEntropyBits<uint32_t>(gaps) + shannonEntropyBits<uint32_t>(e.values);
    CsrAcCost cost;
    auto bytes = csrAcEncode(v, &cost);
    INFO("density " << d << ": " << bytes.size() * 8 << " bits, bound " << bound);
    CHECK(double(bytes.size() * 8) < bound * 1.015);
    CHECK(double(bytes.size()) < double(planCsrHuffman(e).total_bytes));
    // The ideal-cost split adds up to the stream size (within the coder's few bytes).
    CHECK(std::abs(cost.gap_bits + cost.value_bits - double(bytes.size() * 8)) < 64 + 0.001 * bytes.size() * 8);
  }
}

TEST_CASE("csr-ac rejects truncated and corrupted streams without crashing") {
  auto v = sparseArray(20000, 0.1, 31, 3);
  auto bytes = csrAcEncode(v);
  for (size_t len = 0; len < bytes.size(); len += 1 + len / 16) {
    auto r = csrAcDecode(std::span<const uint8_t>(bytes.data(), len), v.size());
    CHECK_FALSE(r.ok());
  }
  int rejected = 0, total = 0;
  std::mt19937 rng(5);
  for (int k = 0; k < 300; ++k) {
    auto bad = bytes;
    bad[rng() % bad.size()] ^= uint8_t(1 + rng() % 255);
    auto r = csrAcDecode(bad, v.size(), 31);
    ++total;
    if (!r.ok()) ++rejected;
    else CHECK(r->size() == v.size());  // a flip the coder cannot see still decodes to a well-formed array
  }
  CHECK(rejected > total / 2);
  CHECK_FALSE(csrAcDecode(bytes, v.size() - 1).ok());  // longer than the caller allows
  CHECK_FALSE(csrAcDecode(bytes, v.size(), 3).ok());   // values beyond the caller's codebook
}

TEST_CASE("csr-ac entries: the same stream and array as the value API, and the uint16 entry scan agrees") {
  for (double d : {0.0, 0.02, 0.3, 1.0}) {
    auto v = sparseArray(30000, d, 27, uint32_t(7 + d * 100));
    std::vector<uint16_t> v16(v.begin(), v.end());
    auto e = sparseEntries(v);
    auto e16 = sparseEntries(std::span<const uint16_t>(v16));
    CHECK(e16.count == e.count);
    CHECK(e16.gaps == e.gaps);
    CHECK(e16.values == e.values);
    // Encoding from entries gives the very bytes of encoding the array, with the same cost split.
    CsrAcCost c1, c2;
    auto bytes = csrAcEncode(v, &c1);
    CHECK(csrAcEncode(e, &c2) == bytes);
    CHECK(c1.gap_bits == c2.gap_bits);
    CHECK(c1.value_bits == c2.value_bits);
    CHECK(csrHuffmanEncode(e) == csrHuffmanEncode(v));
    // Decoding to entries gives the array's own entries.
    auto back = csrAcDecodeEntries(bytes, v.size(), 27);
    REQUIRE(back.ok());
    CHECK(back->count == e.count);
    CHECK(back->gaps == e.gaps);
    CHECK(back->values == e.values);
  }
}
