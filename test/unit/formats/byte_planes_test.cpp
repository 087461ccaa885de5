// byte-planes: decoding into the caller's buffer gives the original bytes in both modes and every
// width, tells the caller which parts of the stream it is done with (front to back, covering the raw
// planes), and rejects what the allocating decoder rejects.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>

#include "formats/byte_planes.h"

using namespace dnnc::formats;

namespace {

// Float-like data: a skewed top byte and a uniform rest, as byte-planes expects.
std::vector<uint8_t> floatLikeBytes(size_t count, unsigned width, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 0.05f);
  std::vector<uint8_t> out(count * width);
  for (size_t i = 0; i < count; ++i) {
    const float f = g(rng);
    uint8_t b[8] = {};
    std::memcpy(b, &f, 4);
    // The float's bytes, little-endian, its top bytes last; wider elements repeat the low four below.
    for (unsigned k = 0; k < width; ++k) out[i * width + k] = width >= 4 ? b[(k + 8 - width) % 4] : b[4 - width + k];
  }
  return out;
}

}  // namespace

TEST_CASE("byte-planes decodes into the caller's buffer, telling it what it has read", "[byte-planes]") {
  for (unsigned width : {1u, 2u, 4u, 8u}) {
    for (size_t count : {size_t(1), size_t(300), size_t(kBytePlanesHuffmanMin), size_t(70000)}) {
      INFO("width " << width << " count " << count);
      const std::vector<uint8_t> data = floatLikeBytes(count, width, uint32_t(width * 7 + count));
      const std::vector<uint8_t> stream = bytePlanesEncode(data, width);
      auto whole = bytePlanesDecode(stream, width, count);
      REQUIRE(whole.ok());
      CHECK(*whole == data);
      std::vector<uint8_t> out(data.size(), 0xAB);
      std::vector<std::span<const uint8_t>> parts;
      REQUIRE(bytePlanesDecodeInto(stream, width, out, [&](std::span<const uint8_t> p) { parts.push_back(p); }).ok());
      CHECK(out == data);
      // Parts in order, inside the stream, not overlapping; the last ends the stream; together at least
      // the raw planes.
      size_t covered = 0;
      for (size_t i = 0; i < parts.size(); ++i) {
        CHECK(parts[i].data() >= stream.data());
        CHECK(parts[i].data() + parts[i].size() <= stream.data() + stream.size());
        if (i > 0) CHECK(parts[i].data() >= parts[i - 1].data() + parts[i - 1].size());
        covered += parts[i].size();
      }
      if (width > 2) {
        REQUIRE_FALSE(parts.empty());
        CHECK(parts.back().data() + parts.back().size() == stream.data() + stream.size());
        CHECK(covered >= count * (width - 2));
      }
    }
  }
}

TEST_CASE("byte-planes into a buffer rejects what decoding to a new buffer rejects", "[byte-planes]") {
  const std::vector<uint8_t> data = floatLikeBytes(5000, 4, 3);
  const std::vector<uint8_t> stream = bytePlanesEncode(data, 4);
  std::vector<uint8_t> out(data.size());
  for (size_t len = 0; len < stream.size(); len += 97) {
    const std::span<const uint8_t> cut(stream.data(), len);
    CHECK_FALSE(bytePlanesDecode(cut, 4, 5000).ok());
    CHECK_FALSE(bytePlanesDecodeInto(cut, 4, out).ok());
  }
  std::vector<uint8_t> short_out(data.size() - 4), ragged(data.size() - 1);
  CHECK_FALSE(bytePlanesDecodeInto(stream, 4, short_out).ok());
  CHECK_FALSE(bytePlanesDecodeInto(stream, 4, ragged).ok());
  // Width 2 has no raw planes to bound the count: a count beyond 8 symbols per byte of a Huffman plane
  // is refused before anything of its size is allocated.
  const std::vector<uint8_t> two = bytePlanesEncode(floatLikeBytes(5000, 2, 4), 2);
  auto huge = bytePlanesDecode(two, 2, uint64_t(1) << 40);
  REQUIRE_FALSE(huge.ok());
  CHECK_THAT(huge.error().message(), Catch::Contains("cannot come from"));
}
