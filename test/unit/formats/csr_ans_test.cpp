// csr-ans: exact round trips (edge cases, every table precision, long gaps), size against the
// empirical entropy and csr-ac, and corrupt or truncated input rejected cleanly.
#include <catch2/catch.hpp>
#include <random>

#include "formats/csr.h"
#include "formats/csr_ans.h"
#include "formats/csr_arith.h"
#include "formats/entropy.h"
#include "test/unit/formats/sparse_arrays.h"

using namespace dnnc::formats;

using dnnc::test::sparseArray;

TEST_CASE("csr-ans round-trips sparse, dense, empty and extreme arrays") {
  std::vector<std::vector<uint32_t>> cases = {
      {}, {0}, {5}, {0, 0, 0}, {1, 0, 0, 0, 0, 0, 0, 0, 0, 2}, std::vector<uint32_t>(100000, 0), std::vector<uint32_t>(1000, 65535),
  };
  std::vector<uint32_t> far(3000000, 0);
  far[0] = 1, far[2999999] = 7;  // one gap of almost 3M zeros: 22 low bits in three uniform chunks
  cases.push_back(far);
  // Every gap from 0 to 300 once, and runs across the direct/bucket boundary (23, 24, 25).
  std::vector<uint32_t> ladder;
  for (uint32_t g = 0; g <= 300; ++g) {
    ladder.insert(ladder.end(), g, 0);
    ladder.push_back(1 + g % 5);
  }
  cases.push_back(ladder);
  // Many distinct values: 20,000 of them force a 2^15-slot value table.
  std::vector<uint32_t> wide(60000, 0);
  for (size_t i = 0; i < wide.size(); i += 3) wide[i] = uint32_t(1 + (i / 3) % 20000);
  cases.push_back(wide);
  for (double d : {0.01, 0.08, 0.5, 0.99}) cases.push_back(sparseArray(50000, d, 31, uint32_t(d * 1000)));
  for (const auto& v : cases) {
    INFO(v.size() << " elements");
    auto bytes = csrAnsEncode(v);
    auto back = csrAnsDecode(bytes, v.size());
    REQUIRE(back.ok());
    CHECK(*back == v);
    // The entry API gives the array's own entries.
    auto e = sparseEntries(v);
    CHECK(csrAnsEncode(e) == bytes);
    auto entries = csrAnsDecodeEntries(bytes, v.size());
    REQUIRE(entries.ok());
    CHECK(entries->gaps == e.gaps);
    CHECK(entries->values == e.values);
  }
}

TEST_CASE("csr-ans comes within 1.5 % of the entropy of gaps and values and within 1 % of csr-ac") {
  for (double d : {0.04, 0.08, 0.2}) {
    auto v = sparseArray(400000, d, 31, 9);
    auto e = sparseEntries(v);
    std::vector<uint32_t> gaps(e.gaps.begin(), e.gaps.end());
    const double bound = shannonEntropyBits<uint32_t>(gaps) + shannonEntropyBits<uint32_t>(e.values);
    CsrAcCost cost;
    auto bytes = csrAnsEncode(v, &cost);
    const auto ac = csrAcEncode(v);
    INFO("density " << d << ": " << bytes.size() * 8 << " bits, bound " << bound << ", csr-ac " << ac.size() * 8);
    CHECK(double(bytes.size() * 8) < bound * 1.015);
    CHECK(double(bytes.size()) < double(ac.size()) * 1.01);
    CHECK(double(bytes.size()) < double(planCsrHuffman(e).total_bytes));
    // The ideal-cost split adds up to the stream size, give or take the tables and header.
    CHECK(std::abs(cost.gap_bits + cost.value_bits - double(bytes.size() * 8)) < 8 * 400);
  }
}

TEST_CASE("csr-ans rejects truncated and corrupted streams without crashing") {
  auto v = sparseArray(20000, 0.1, 31, 3);
  auto bytes = csrAnsEncode(v);
  for (size_t len = 0; len < bytes.size(); len += 1 + len / 16) {
    auto r = csrAnsDecode(std::span<const uint8_t>(bytes.data(), len), v.size());
    CHECK_FALSE(r.ok());
  }
  int rejected = 0, total = 0;
  std::mt19937 rng(5);
  for (int k = 0; k < 500; ++k) {
    auto bad = bytes;
    bad[rng() % bad.size()] ^= uint8_t(1 + rng() % 255);
    auto r = csrAnsDecode(bad, v.size(), 31);
    ++total;
    if (!r.ok()) ++rejected;
    else CHECK(r->size() == v.size());  // a flip the coder cannot see still decodes to a well-formed array
  }
  // The final-state check catches nearly every flip in the symbol stream.
  CHECK(rejected > total * 9 / 10);
  CHECK_FALSE(csrAnsDecode(bytes, v.size() - 1).ok());  // longer than the caller allows
  CHECK_FALSE(csrAnsDecode(bytes, v.size(), 3).ok());   // values beyond the caller's codebook
  auto longer = bytes;
  longer.push_back(0), longer.push_back(0);
  CHECK_FALSE(csrAnsDecode(longer, v.size()).ok());  // a word after the last entry's
}
