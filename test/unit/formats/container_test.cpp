// The .dnnc container: exact round trip and layout, and every truncation or bit flip rejected.
#include <catch2/catch.hpp>

#include "formats/container.h"
#include "formats/crc32.h"

using namespace dnnc::formats;

TEST_CASE("container round-trips named sections and has the documented layout") {
  std::vector<Section> s = {{"model", 1, {1, 2, 3}}, {"w", 2, {}}, {std::string(300, 'x'), 7, std::vector<uint8_t>(1000, 9)}};
  auto bytes = writeContainer(s);
  CHECK(bytes.size() == containerOverheadBytes(s) + 3 + 0 + 1000);
  // magic, version 1, flags 0, 3 sections, first entry: name length 5, "model", kind 1, size 3, crc
  const uint8_t head[] = {0x89, 'D', 'N', 'N', 'C', 0x0D, 0x0A, 0x1A, 1, 0, 0, 0, 3, 5, 'm', 'o', 'd', 'e', 'l', 1, 3};
  REQUIRE(bytes.size() > sizeof head);
  CHECK(std::equal(std::begin(head), std::end(head), bytes.begin()));
  uint32_t crc = crc32(std::vector<uint8_t>{1, 2, 3});
  CHECK(bytes[21] == (crc & 0xFF));
  auto back = readContainer(bytes);
  REQUIRE(back.ok());
  REQUIRE(back->size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK((*back)[i].name == s[i].name);
    CHECK((*back)[i].kind == s[i].kind);
    CHECK(std::vector<uint8_t>((*back)[i].data.begin(), (*back)[i].data.end()) == s[i].data);
  }
  auto empty = writeContainer({});
  CHECK(readContainer(empty).ok());
}

TEST_CASE("container rejects every truncation and every single-byte corruption") {
  std::vector<Section> s = {{"model", 1, {1, 2, 3, 4, 5}}, {"t", 2, {9, 8, 7}}};
  auto bytes = writeContainer(s);
  for (size_t len = 0; len < bytes.size(); ++len)
    CHECK_FALSE(readContainer(std::span<const uint8_t>(bytes.data(), len)).ok());
  auto longer = bytes;
  longer.push_back(0);
  CHECK_FALSE(readContainer(longer).ok());
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (uint8_t flip : {uint8_t(1), uint8_t(0x80), uint8_t(0xFF)}) {
      auto bad = bytes;
      bad[i] ^= flip;
      INFO("byte " << i << " ^ " << int(flip));
      CHECK_FALSE(readContainer(bad).ok());
    }
  }
}

TEST_CASE("a section's CRC is checked in pieces, each handed back once summed") {
  std::vector<uint8_t> big(size_t(33) << 20);
  for (size_t i = 0; i < big.size(); ++i) big[i] = uint8_t(i * 2654435761u >> 13);
  std::vector<Section> s = {{"big", 2, big}};
  auto bytes = writeContainer(s);
  auto sections = readContainerDirectory(bytes);
  REQUIRE(sections.ok());
  REQUIRE(sections->size() == 1);
  std::vector<std::span<const uint8_t>> pieces;
  REQUIRE(checkSection((*sections)[0], [&](std::span<const uint8_t> p) { pieces.push_back(p); }).ok());
  REQUIRE(pieces.size() == 3);  // 16 + 16 + 1 MB, in order, the whole payload
  CHECK(pieces[0].data() == (*sections)[0].data.data());
  CHECK(pieces[1].data() == pieces[0].data() + pieces[0].size());
  CHECK(pieces[2].data() + pieces[2].size() == (*sections)[0].data.data() + big.size());
  bytes[bytes.size() - 5] ^= 1;  // in the last piece
  auto corrupt = readContainerDirectory(bytes);
  REQUIRE(corrupt.ok());
  CHECK_FALSE(checkSection((*corrupt)[0], [](std::span<const uint8_t>) {}).ok());
}
