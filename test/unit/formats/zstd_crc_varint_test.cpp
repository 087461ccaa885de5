#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "formats/crc32.h"
#include "formats/varint.h"
#include "formats/zstd_blob.h"

using namespace dnnc::formats;

namespace {
std::span<const uint8_t> bytesOf(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
}  // namespace

TEST_CASE("crc32: standard check values", "[formats][crc32]") {
  CHECK(crc32(bytesOf("")) == 0u);
  CHECK(crc32(bytesOf("a")) == 0xe8b7be43u);
  CHECK(crc32(bytesOf("123456789")) == 0xcbf43926u);
  CHECK(crc32(bytesOf("The quick brown fox jumps over the lazy dog")) == 0x414fa339u);
}

TEST_CASE("crc32: slicing-by-8 equals the bitwise definition, incrementally", "[formats][crc32]") {
  std::mt19937_64 rng(4);
  std::vector<uint8_t> data(10007);
  for (auto& b : data) b = uint8_t(rng());
  uint32_t ref = 0xffffffffu;
  for (uint8_t b : data) {
    ref ^= b;
    for (int k = 0; k < 8; ++k) ref = (ref & 1) ? 0xedb88320u ^ (ref >> 1) : ref >> 1;
  }
  ref = ~ref;
  CHECK(crc32(data) == ref);
  for (size_t cut : {0u, 1u, 7u, 8u, 9u, 5000u, 10007u}) {
    std::span<const uint8_t> all(data);
    CHECK(crc32(all.subspan(cut), crc32(all.first(cut))) == ref);
  }
}

TEST_CASE("varint: round trip, sizes, canonical form", "[formats][varint]") {
  std::vector<uint64_t> vals{0, 1, 127, 128, 300, 16383, 16384, (1ull << 32) - 1, (1ull << 63), UINT64_MAX};
  std::vector<uint8_t> buf;
  size_t total = 0;
  for (uint64_t v : vals) {
    appendVarint(buf, v);
    total += varintSize(v);
    CHECK(buf.size() == total);
  }
  CHECK(varintSize(UINT64_MAX) == 10);
  size_t pos = 0;
  for (uint64_t v : vals) {
    auto got = readVarint(buf, pos);
    REQUIRE(got.ok());
    CHECK(*got == v);
  }
  CHECK(pos == buf.size());
  std::vector<uint8_t> overlong{0x80, 0x00};
  pos = 0;
  CHECK_FALSE(readVarint(overlong, pos).ok());
  std::vector<uint8_t> overflow{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
  pos = 0;
  CHECK_FALSE(readVarint(overflow, pos).ok());
  std::vector<uint8_t> truncated{0x80};
  pos = 0;
  CHECK_FALSE(readVarint(truncated, pos).ok());
}

TEST_CASE("zstd_blob: round trip and validation", "[formats][zstd]") {
  std::mt19937_64 rng(8);
  std::vector<uint8_t> data(200000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(rng() % 4 == 0 ? rng() : i / 100);
  for (int level : {-5, 1, 3, 19}) {
    auto c = zstdCompress(data, level);
    REQUIRE(c.ok());
    CHECK(c->size() < data.size());
    auto d = zstdDecompress(*c, data.size());
    REQUIRE(d.ok());
    CHECK(*d == data);
    auto small = zstdDecompress(*c, data.size() - 1);
    REQUIRE_FALSE(small.ok());
    CHECK(small.error().code() == dnnc::Exit::Input);
  }
  auto empty = zstdCompress({}, 3);
  REQUIRE(empty.ok());
  auto e = zstdDecompress(*empty, 0);
  REQUIRE(e.ok());
  CHECK(e->empty());

  auto bad_level = zstdCompress(data, 1000);
  REQUIRE_FALSE(bad_level.ok());
  CHECK(bad_level.error().code() == dnnc::Exit::Usage);

  auto c = *zstdCompress(data, 3);
  auto trailing = c;
  trailing.push_back(0);
  CHECK_FALSE(zstdDecompress(trailing, data.size()).ok());
  for (size_t len = 0; len < c.size(); len += 1 + len / 8) {
    CHECK_FALSE(zstdDecompress(std::span<const uint8_t>(c.data(), len), data.size()).ok());
  }
}

TEST_CASE("zstd_blob: a header claiming a huge size is refused before allocating", "[formats][zstd]") {
  std::vector<uint8_t> tiny{1, 2, 3};
  auto c = *zstdCompress(tiny, 3);
  // Frame header: magic (4), descriptor, [window], content size. Rewrite the descriptor to an 8-byte
  // content-size field claiming 2^40 bytes by re-encoding the whole header is fiddly; instead check
  // that the block bound rejects a forged large size with a valid single-segment header.
  std::vector<uint8_t> forged{0x28, 0xb5, 0x2f, 0xfd,  // magic
                              0xe0,                    // single segment, 8-byte content size
                              0, 0, 0, 0, 0, 1, 0, 0,  // 2^40
                              0x01, 0x00, 0x00};       // last raw block of 0 bytes
  auto r = zstdDecompress(forged, uint64_t(1) << 41);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == dnnc::Exit::Input);
}
