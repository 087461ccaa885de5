#include "formats/bitstream.h"

#include <catch2/catch.hpp>
#include <random>

using namespace dnnc::formats;

TEST_CASE("bitstream: fields pack LSB-first into bytes", "[formats][bitstream]") {
  BitWriter w;
  w.write(1, 1);
  w.write(0b10, 2);
  w.write(0x1f, 5);
  w.write(0xabc, 12);
  CHECK(w.bitSize() == 20);
  std::vector<uint8_t> bytes = w.finish();
  // byte0 = 1 | 0b10 << 1 | 0x1f << 3; then 0xabc LSB-first, padded with zeros.
  REQUIRE(bytes == std::vector<uint8_t>{0xfd, 0xbc, 0x0a});
}

TEST_CASE("bitstream: random field widths round-trip", "[formats][bitstream]") {
  std::mt19937_64 rng(1);
  std::vector<std::pair<uint64_t, unsigned>> fields;
  BitWriter w;
  uint64_t total = 0;
  for (int i = 0; i < 20000; ++i) {
    unsigned n = unsigned(rng() % 65);
    uint64_t v = n == 64 ? rng() : (rng() & ((uint64_t(1) << n) - 1));
    if (n <= kMaxBitsPerCall && rng() % 2) w.write(v, n);
    else w.writeWide(v, n);
    fields.push_back({v, n});
    total += n;
  }
  CHECK(w.bitSize() == total);
  std::vector<uint8_t> bytes = w.finish();
  CHECK(bytes.size() == (total + 7) / 8);
  BitReader r(bytes);
  for (auto [v, n] : fields) {
    auto got = r.readWide(n);
    REQUIRE(got.ok());
    REQUIRE(*got == v);
  }
  CHECK(r.expectEnd().ok());
}

TEST_CASE("bitstream: exp-Golomb codes", "[formats][bitstream]") {
  SECTION("known code: 3 in order 0 is 00100 (stream order)") {
    BitWriter w;
    w.writeExpGolomb(3, 0);
    CHECK(w.bitSize() == 5);
    CHECK(w.finish() == std::vector<uint8_t>{0x04});
  }
  SECTION("round trip and size formula") {
    std::mt19937_64 rng(2);
    std::vector<std::pair<uint64_t, unsigned>> vals;
    BitWriter w;
    uint64_t bits = 0;
    for (int i = 0; i < 5000; ++i) {
      unsigned k = unsigned(rng() % 25);
      uint64_t v = rng() >> (2 + rng() % 62);  // all magnitudes below 2^62
      vals.push_back({v, k});
      uint64_t before = w.bitSize();
      w.writeExpGolomb(v, k);
      REQUIRE(w.bitSize() - before == expGolombBits(v, k));
      bits += expGolombBits(v, k);
    }
    vals.push_back({(uint64_t(1) << 62) - 1, 0});
    w.writeExpGolomb((uint64_t(1) << 62) - 1, 0);
    auto bytes = w.finish();
    BitReader r(bytes);
    for (auto [v, k] : vals) {
      auto got = r.readExpGolomb(k);
      REQUIRE(got.ok());
      REQUIRE(*got == v);
    }
    CHECK(r.expectEnd().ok());
  }
}

TEST_CASE("bitstream: reads past the end are errors", "[formats][bitstream]") {
  std::vector<uint8_t> bytes{0xff, 0x01};
  BitReader r(bytes);
  CHECK(r.read(9).ok());
  CHECK(r.bitsLeft() == 7);
  auto bad = r.read(8);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code() == dnnc::Exit::Input);
  CHECK(r.read(7).ok());
  CHECK_FALSE(r.read(1).ok());
  CHECK(r.expectEnd().ok());

  std::vector<uint8_t> zeros(5, 0);
  BitReader z(zeros);
  CHECK_FALSE(z.readExpGolomb(0).ok());  // unterminated prefix

  BitReader empty(std::span<const uint8_t>{});
  CHECK_FALSE(empty.read(1).ok());
  CHECK(empty.read(0).ok());
}

TEST_CASE("bitstream: unchecked skips past the end set overrun, never read memory", "[formats][bitstream]") {
  std::vector<uint8_t> bytes{0xaa};
  BitReader r(bytes);
  r.refill();
  CHECK(r.peek(8) == 0xaa);
  r.skip(8);
  CHECK_FALSE(r.overrun());
  r.refill();
  CHECK(r.peek(16) == 0);  // zeros past the end
  r.skip(16);
  CHECK(r.overrun());
  r.refill();
  CHECK(r.peek(56) == 0);
  CHECK_FALSE(r.expectEnd().ok());
}

TEST_CASE("bitstream: padding and trailing bytes are checked", "[formats][bitstream]") {
  std::vector<uint8_t> bytes{0x01, 0x00};
  BitReader r(bytes);
  CHECK(r.read(1).ok());
  CHECK_FALSE(r.expectEnd().ok());  // a trailing byte
  std::vector<uint8_t> dirty{0x03};
  BitReader d(dirty);
  CHECK(d.read(1).ok());
  CHECK_FALSE(d.expectEnd().ok());  // nonzero padding bit
}
