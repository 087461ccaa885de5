// The .dnnc container: a header with magic, version, a section directory and CRC-32s, then the
// sections' bytes. It knows nothing of ONNX: a section is a name, a one-byte kind and a payload;
// lib/pack decides what goes in them. Layout: docs/formats/dnnc.md.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "lib/support/error.h"

namespace dnnc::formats {

inline constexpr uint8_t kContainerMagic[8] = {0x89, 'D', 'N', 'N', 'C', 0x0D, 0x0A, 0x1A};
inline constexpr uint16_t kContainerVersion = 1;
inline constexpr size_t kMaxSectionName = 4096;

struct Section {
  std::string name;
  uint8_t kind = 0;
  std::vector<uint8_t> data;
};

// A section of a container read in memory: views into the container's bytes.
struct SectionView {
  std::string name;
  uint8_t kind = 0;
  std::span<const uint8_t> data;
  uint32_t crc = 0;  // the CRC the directory records for data
};

// What the header records of a section: enough to write the header before (or without) its payload.
struct SectionEntry {
  std::string name;
  uint8_t kind = 0;
  uint64_t size = 0;
  uint32_t crc = 0;
};
SectionEntry entryOf(const Section& section);
// The header (magic to header CRC) of a container with these sections; their payloads follow it in order.
std::vector<uint8_t> containerHeader(std::span<const SectionEntry> entries);
uint64_t containerBytes(std::span<const SectionEntry> entries);
uint64_t containerOverheadBytes(std::span<const SectionEntry> entries);

std::vector<uint8_t> writeContainer(std::span<const Section> sections);
// The same bytes, handed to `sink` piece by piece (the header, then each payload where it is), so a
// container of gigabytes is never whole in memory; the first error of the sink ends it.
Status writeContainerTo(std::span<const Section> sections,
                        const std::function<Status(std::span<const uint8_t>)>& sink);
// Bytes of the container writeContainer makes.
uint64_t containerBytes(std::span<const Section> sections);
// Bytes writeContainer spends on everything but the payloads (magic, directory, CRCs).
uint64_t containerOverheadBytes(std::span<const Section> sections);
// Validates the magic, version, directory, lengths and every CRC before returning anything.
Expected<std::vector<SectionView>> readContainer(std::span<const uint8_t> bytes);
// The same checks but the payloads' CRCs, which checkSection makes one section at a time: a reader of a
// mapped file can then check, use and drop each section in turn instead of touching all of them first.
Expected<std::vector<SectionView>> readContainerDirectory(std::span<const uint8_t> bytes);
// `summed`, when given, is told each piece of the payload (16 MB) once it is in the checksum, so that a
// mapped file can drop it before the next is read.
Status checkSection(const SectionView& section, const std::function<void(std::span<const uint8_t>)>& summed = {});

}  // namespace dnnc::formats
