// byte-planes encoder and decoder (see byte_planes.h).
#include "formats/byte_planes.h"

#include <algorithm>

#include "formats/huffman.h"
#include "formats/range_coder.h"
#include "formats/varint.h"
#include "lib/support/check.h"

namespace dnnc::formats {

namespace {

// Planes coded adaptively: the top min(width, 2), most significant first.
unsigned codedPlanes(unsigned width) { return std::min(width, 2u); }

}  // namespace

std::vector<uint8_t> bytePlanesCodedPart(std::span<const uint8_t> data, unsigned width) {
  DNNC_CHECK((width == 1 || width == 2 || width == 4 || width == 8) && data.size() % width == 0);
  const size_t n = data.size() / width;
  const unsigned coded = codedPlanes(width);
  std::vector<uint8_t> out;
  if (n >= kBytePlanesHuffmanMin) {
    // Mode 1: each coded plane a four-stream Huffman array (huffman.md), preceded by its size.
    out.push_back(1);
    for (unsigned k = 0; k < coded; ++k) {
      unsigned plane = width - 1 - k;
      std::vector<uint8_t> bytes(n);
      for (size_t i = 0; i < n; ++i) bytes[i] = data[i * width + plane];
      appendVarint(out, huffmanEncodedBytes<uint8_t>(bytes));
      huffmanEncodeAppend<uint8_t>(bytes, out);
    }
    return out;
  }
  out.push_back(0);  // mode 0: range-coded planes
  RangeEncoder rc;
  for (unsigned k = 0; k < coded; ++k) {
    unsigned plane = width - 1 - k;
    std::vector<BitModel> tree(256);
    for (size_t i = 0; i < n; ++i) rc.encodeTree(tree.data(), 8, data[i * width + plane]);
  }
  std::vector<uint8_t> coded_bytes;
  rc.finishInto(coded_bytes);
  appendVarint(out, coded_bytes.size());
  out.insert(out.end(), coded_bytes.begin(), coded_bytes.end());
  return out;
}

uint64_t bytePlanesRawBytes(size_t bytes, unsigned width) { return bytes / width * (width - codedPlanes(width)); }

void bytePlanesRawPlanes(std::span<const uint8_t> data, unsigned width,
                         const std::function<void(std::span<const uint8_t>)>& out) {
  constexpr size_t kPiece = size_t{1} << 20;
  const size_t n = data.size() / width;
  std::vector<uint8_t> piece;
  for (unsigned plane = width - codedPlanes(width); plane-- > 0;)
    for (size_t i0 = 0; i0 < n; i0 += kPiece) {
      const size_t i1 = std::min(n, i0 + kPiece);
      piece.resize(i1 - i0);
      for (size_t i = i0; i < i1; ++i) piece[i - i0] = data[i * width + plane];
      out(piece);
    }
}

std::vector<uint8_t> bytePlanesEncode(std::span<const uint8_t> data, unsigned width) {
  std::vector<uint8_t> out = bytePlanesCodedPart(data, width);
  out.reserve(out.size() + bytePlanesRawBytes(data.size(), width));  // one allocation, not doubling growth
  bytePlanesRawPlanes(data, width, [&](std::span<const uint8_t> p) { out.insert(out.end(), p.begin(), p.end()); });
  return out;
}

Expected<std::vector<uint8_t>> bytePlanesDecode(std::span<const uint8_t> bytes, unsigned width, uint64_t count) {
  // The stream is checked against count before anything of count's size is allocated.
  DNNC_TRY(bytePlanesCheckSize(bytes, width, count));
  std::vector<uint8_t> out(count * width);
  DNNC_TRY(bytePlanesDecodeInto(bytes, width, out));
  return out;
}

Status bytePlanesCheckSize(std::span<const uint8_t> bytes, unsigned width, uint64_t count) {
  if (width != 1 && width != 2 && width != 4 && width != 8) return Error(Exit::Input, "byte-planes: width ", width);
  if (bytes.empty()) return Error(Exit::Input, "byte-planes: empty stream");
  const unsigned coded = codedPlanes(width);
  size_t pos = 1;
  if (bytes[0] > 1) return Error(Exit::Input, "byte-planes: unknown mode ", int(bytes[0]));
  if (bytes[0] == 1) {
    if (count < kBytePlanesHuffmanMin) return Error(Exit::Input, "byte-planes: Huffman mode for only ", count, " elements");
    for (unsigned k = 0; k < coded; ++k) {
      DNNC_ASSIGN(uint64_t size, readVarint(bytes, pos));
      if (size > bytes.size() - pos) return Error(Exit::Input, "byte-planes: plane of ", size, " bytes is truncated");
      // Every Huffman symbol costs at least one bit (huffman.md): this bounds count by the input.
      if (count > 8 * size) return Error(Exit::Input, "byte-planes: ", count, " elements cannot come from a plane of ", size, " bytes");
      pos += size_t(size);
    }
    if (bytes.size() - pos != count * (width - coded))
      return Error(Exit::Input, "byte-planes: ", bytes.size() - pos, " raw bytes for ", count, " elements");
    return {};
  }
  DNNC_ASSIGN(uint64_t coded_size, readVarint(bytes, pos));
  if (coded_size > bytes.size() - pos) return Error(Exit::Input, "byte-planes: coded part of ", coded_size, " bytes is truncated");
  // The raw planes must fill the rest exactly: this bounds count by the input before allocating.
  const uint64_t raw = bytes.size() - pos - coded_size;
  if (raw != count * (width - coded)) return Error(Exit::Input, "byte-planes: ", raw, " raw bytes for ", count, " elements");
  // A coded byte costs at least 8 decisions of >= 0.0007 bits (models clamp at 32/65536), so at most
  // about 1400 bytes come from each coded byte: bound count by the input before allocating.
  if (width == coded && count > coded_size * 2048)
    return Error(Exit::Input, "byte-planes: ", count, " elements cannot come from ", coded_size, " bytes");
  return {};
}

namespace {

// The raw planes at bytes[pos...] into out, plane by plane, telling `consumed` every 16 MB read.
void copyRawPlanes(std::span<const uint8_t> bytes, size_t pos, unsigned width, unsigned coded, std::span<uint8_t> out,
                   const std::function<void(std::span<const uint8_t>)>& consumed) {
  constexpr size_t kChunk = size_t{16} << 20;
  const size_t count = out.size() / width;
  for (unsigned plane = width - coded; plane-- > 0;) {
    for (size_t i0 = 0; i0 < count; i0 += kChunk) {
      const size_t i1 = std::min(count, i0 + kChunk);
      for (size_t i = i0; i < i1; ++i) out[i * width + plane] = bytes[pos + (i - i0)];
      if (consumed) consumed(bytes.subspan(pos, i1 - i0));
      pos += i1 - i0;
    }
  }
}

}  // namespace

Status bytePlanesDecodeInto(std::span<const uint8_t> bytes, unsigned width, std::span<uint8_t> out,
                            const std::function<void(std::span<const uint8_t>)>& consumed) {
  if (width != 1 && width != 2 && width != 4 && width != 8) return Error(Exit::Input, "byte-planes: width ", width);
  if (out.size() % width != 0) return Error(Exit::Input, "byte-planes: ", out.size(), " bytes are not whole elements");
  const uint64_t count = out.size() / width;
  DNNC_TRY(bytePlanesCheckSize(bytes, width, count));
  const unsigned coded = codedPlanes(width);
  size_t pos = 1;
  if (bytes[0] == 1) {
    // One plane at a time: the output and one plane of bytes, never every plane at once.
    for (unsigned k = 0; k < coded; ++k) {
      DNNC_ASSIGN(uint64_t size, readVarint(bytes, pos));
      const std::span<const uint8_t> part = bytes.subspan(pos, size_t(size));
      DNNC_ASSIGN(auto plane, huffmanDecode<uint8_t>(part));
      if (plane.size() != count) return Error(Exit::Input, "byte-planes: plane of ", plane.size(), " bytes, expected ", count);
      const unsigned at = width - 1 - k;
      for (uint64_t i = 0; i < count; ++i) out[i * width + at] = plane[i];
      if (consumed) consumed(part);
      pos += size_t(size);
    }
    copyRawPlanes(bytes, pos, width, coded, out, consumed);
    return {};
  }
  DNNC_ASSIGN(uint64_t coded_size, readVarint(bytes, pos));
  RangeDecoder rc(bytes.subspan(pos, coded_size));
  if (!rc.validStart()) return Error(Exit::Input, "byte-planes: corrupt range-coder stream");
  for (unsigned k = 0; k < coded; ++k) {
    unsigned plane = width - 1 - k;
    std::vector<BitModel> tree(256);
    for (uint64_t i = 0; i < count; ++i) {
      out[i * width + plane] = uint8_t(rc.decodeTree(tree.data(), 8));
      if (rc.overrun() > 4) return Error(Exit::Input, "byte-planes: truncated stream");
    }
  }
  if (rc.overrun() != 0 || !rc.atEnd()) return Error(Exit::Input, "byte-planes: the coded part does not end where it should");
  pos += size_t(coded_size);
  copyRawPlanes(bytes, pos, width, coded, out, consumed);
  return {};
}

}  // namespace dnnc::formats
