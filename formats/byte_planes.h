// byte-planes: an array of w-byte little-endian elements (float32 weights and biases that share no
// values) coded plane by plane with the adaptive range coder of range_coder.h. The top two byte
// planes (sign, exponent and leading mantissa bits of a float: few distinct values) each go through
// an adaptive 8-bit binary tree (or, for large arrays, a Huffman code); the lower planes (mantissa bits, close to uniform) are stored as
// raw bytes after the coded part, where a model could only add learning cost. Layout:
// docs/formats/byte-planes.md.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "lib/support/error.h"

namespace dnnc::formats {

// From this many elements on the coded planes use static Huffman (fast: about 500 MB/s each way,
// and the tables are amortised); below, the adaptive range coder (no tables, but 8 decisions a byte).
inline constexpr uint64_t kBytePlanesHuffmanMin = 4096;

// data.size() must be a multiple of width (1, 2, 4 or 8).
std::vector<uint8_t> bytePlanesEncode(std::span<const uint8_t> data, unsigned width);
// The same stream in two parts, so that a writer need not hold the raw planes (a copy of half a float
// layer): the coded part (mode, coded planes), then bytePlanesRawBytes more bytes, which
// bytePlanesRawPlanes hands to `out` piece by piece. bytePlanesEncode is the two together.
std::vector<uint8_t> bytePlanesCodedPart(std::span<const uint8_t> data, unsigned width);
uint64_t bytePlanesRawBytes(size_t bytes, unsigned width);
void bytePlanesRawPlanes(std::span<const uint8_t> data, unsigned width,
                         const std::function<void(std::span<const uint8_t>)>& out);
// Decodes exactly `count` elements of `width` bytes.
Expected<std::vector<uint8_t>> bytePlanesDecode(std::span<const uint8_t> bytes, unsigned width, uint64_t count);
// The same into out (out.size() / width elements), one plane at a time: the output and one decoded plane
// in memory, never every plane. `consumed`, when given, is told each part of `bytes` as the decoder is
// done with it, front to back (unpack's mapped container drops those pages).
Status bytePlanesDecodeInto(std::span<const uint8_t> bytes, unsigned width, std::span<uint8_t> out,
                            const std::function<void(std::span<const uint8_t>)>& consumed = {});
// Whether a stream's layout fits `count` elements (its mode, part sizes and raw bytes), before anything
// of count's size is allocated.
Status bytePlanesCheckSize(std::span<const uint8_t> bytes, unsigned width, uint64_t count);

}  // namespace dnnc::formats
