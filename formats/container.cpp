// .dnnc container writer and validating reader (docs/formats/dnnc.md).
#include "formats/container.h"

#include <algorithm>
#include <cstring>

#include "formats/crc32.h"
#include "formats/varint.h"

namespace dnnc::formats {

namespace {

void appendU16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(uint8_t(v));
  out.push_back(uint8_t(v >> 8));
}
void appendU32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(uint8_t(v >> (8 * i)));
}
uint32_t readU32(std::span<const uint8_t> in, size_t pos) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t(in[pos + size_t(i)]) << (8 * i);
  return v;
}

std::vector<SectionEntry> entriesOf(std::span<const Section> sections) {
  std::vector<SectionEntry> entries;
  entries.reserve(sections.size());
  for (const auto& s : sections) entries.push_back(entryOf(s));
  return entries;
}

std::vector<uint8_t> header(std::span<const Section> sections) { return containerHeader(entriesOf(sections)); }

}  // namespace

SectionEntry entryOf(const Section& section) { return {section.name, section.kind, section.data.size(), crc32(section.data)}; }

std::vector<uint8_t> containerHeader(std::span<const SectionEntry> entries) {
  std::vector<uint8_t> h(std::begin(kContainerMagic), std::end(kContainerMagic));
  appendU16(h, kContainerVersion);
  appendU16(h, 0);  // flags: none defined
  appendVarint(h, entries.size());
  for (const auto& e : entries) {
    appendVarint(h, e.name.size());
    h.insert(h.end(), e.name.begin(), e.name.end());
    h.push_back(e.kind);
    appendVarint(h, e.size);
    appendU32(h, e.crc);
  }
  appendU32(h, crc32(h));
  return h;
}

uint64_t containerBytes(std::span<const SectionEntry> entries) {
  uint64_t total = containerHeader(entries).size();
  for (const auto& e : entries) total += e.size;
  return total;
}

uint64_t containerOverheadBytes(std::span<const SectionEntry> entries) { return containerHeader(entries).size(); }

std::vector<uint8_t> writeContainer(std::span<const Section> sections) {
  std::vector<uint8_t> out;
  out.reserve(size_t(containerBytes(sections)));
  (void)writeContainerTo(sections, [&](std::span<const uint8_t> piece) {
    out.insert(out.end(), piece.begin(), piece.end());
    return Status{};
  });
  return out;
}

Status writeContainerTo(std::span<const Section> sections,
                        const std::function<Status(std::span<const uint8_t>)>& sink) {
  const std::vector<uint8_t> h = header(sections);
  DNNC_TRY(sink(h));
  for (const auto& s : sections) DNNC_TRY(sink(s.data));
  return {};
}

uint64_t containerBytes(std::span<const Section> sections) {
  uint64_t total = header(sections).size();
  for (const auto& s : sections) total += s.data.size();
  return total;
}

uint64_t containerOverheadBytes(std::span<const Section> sections) { return header(sections).size(); }

Expected<std::vector<SectionView>> readContainer(std::span<const uint8_t> bytes) {
  DNNC_ASSIGN(std::vector<SectionView> sections, readContainerDirectory(bytes));
  for (const auto& s : sections) DNNC_TRY(checkSection(s));
  return sections;
}

Status checkSection(const SectionView& section, const std::function<void(std::span<const uint8_t>)>& summed) {
  constexpr size_t kPiece = size_t{16} << 20;
  uint32_t crc = 0;
  for (size_t at = 0; at < section.data.size(); at += kPiece) {
    const std::span<const uint8_t> piece = section.data.subspan(at, std::min(kPiece, section.data.size() - at));
    crc = crc32(piece, crc);
    if (summed) summed(piece);
  }
  if (crc != section.crc) return Error(Exit::Input, ".dnnc section '", section.name, "' CRC mismatch (corrupt file)");
  return {};
}

Expected<std::vector<SectionView>> readContainerDirectory(std::span<const uint8_t> bytes) {
  constexpr size_t kFixed = sizeof(kContainerMagic) + 4;
  if (bytes.size() < kFixed || std::memcmp(bytes.data(), kContainerMagic, sizeof(kContainerMagic)) != 0)
    return Error(Exit::Input, "not a .dnnc container (bad magic)");
  uint16_t version = uint16_t(bytes[8] | (bytes[9] << 8));
  uint16_t flags = uint16_t(bytes[10] | (bytes[11] << 8));
  if (version != kContainerVersion)
    return Error(Exit::Input, ".dnnc version ", version, " is not supported (this dnnc reads version ", kContainerVersion, ")");
  if (flags != 0) return Error(Exit::Input, ".dnnc header has unknown flags ", flags);
  size_t pos = kFixed;
  auto count = readVarint(bytes, pos);
  if (!count) return Error(Exit::Input, ".dnnc header: ", count.error().message());
  // Each directory entry takes at least 7 bytes: bound the count by the input before reserving.
  if (*count > (bytes.size() - pos) / 7) return Error(Exit::Input, ".dnnc header: ", *count, " sections cannot fit in ", bytes.size(), " bytes");
  struct Entry {
    SectionView view;
    uint64_t size;
    uint32_t crc;
  };
  std::vector<Entry> entries;
  entries.reserve(size_t(*count));
  for (uint64_t i = 0; i < *count; ++i) {
    auto len = readVarint(bytes, pos);
    if (!len) return Error(Exit::Input, ".dnnc directory entry ", i, ": ", len.error().message());
    if (*len > kMaxSectionName || *len > bytes.size() - pos)
      return Error(Exit::Input, ".dnnc directory entry ", i, ": name length ", *len, " is invalid");
    Entry e;
    e.view.name.assign(reinterpret_cast<const char*>(bytes.data() + pos), size_t(*len));
    pos += size_t(*len);
    if (pos >= bytes.size()) return Error(Exit::Input, ".dnnc directory truncated at entry ", i);
    e.view.kind = bytes[pos++];
    auto size = readVarint(bytes, pos);
    if (!size) return Error(Exit::Input, ".dnnc directory entry ", i, ": ", size.error().message());
    e.size = *size;
    if (bytes.size() - pos < 4) return Error(Exit::Input, ".dnnc directory truncated at entry ", i);
    e.crc = readU32(bytes, pos);
    pos += 4;
    entries.push_back(std::move(e));
  }
  if (bytes.size() - pos < 4) return Error(Exit::Input, ".dnnc header truncated before its CRC");
  if (crc32(bytes.first(pos)) != readU32(bytes, pos)) return Error(Exit::Input, ".dnnc header CRC mismatch (corrupt file)");
  pos += 4;
  std::vector<SectionView> out;
  out.reserve(entries.size());
  for (auto& e : entries) {
    if (e.size > bytes.size() - pos)
      return Error(Exit::Input, ".dnnc section '", e.view.name, "' is truncated (", e.size, " bytes declared, ", bytes.size() - pos,
                   " left)");
    e.view.data = bytes.subspan(pos, size_t(e.size));
    e.view.crc = e.crc;
    pos += size_t(e.size);
    out.push_back(std::move(e.view));
  }
  if (pos != bytes.size()) return Error(Exit::Input, ".dnnc file has ", bytes.size() - pos, " bytes after its last section");
  return out;
}

}  // namespace dnnc::formats
