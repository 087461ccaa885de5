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
};

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

}  // namespace dnnc::formats
