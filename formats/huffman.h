// Canonical Huffman coding of symbol arrays (alphabets up to 2^16 symbols, codes up to 16 bits).
//
// A code is fully described by its code lengths (canonical assignment as in DEFLATE, RFC 1951 3.2.2),
// so only lengths are stored, themselves compressed by a small code-length code. Codes are written
// bit-reversed into the LSB-first bit stream, so the decoder indexes a table with the next bits
// directly: a primary table of up to 2^11 entries plus 2^(len-11)-entry subtables for longer codes.
// Layout: docs/formats/huffman.md.
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "formats/bitstream.h"
#include "lib/support/error.h"

namespace dnnc::formats {

inline constexpr unsigned kMaxHuffmanCodeLength = 16;
inline constexpr unsigned kDefaultHuffmanCodeLength = 15;
inline constexpr size_t kMaxHuffmanAlphabet = size_t(1) << 16;

class HuffmanCode {
 public:
  HuffmanCode() = default;
  // The optimal code for these symbol counts with lengths <= max_length (raised if the used symbols
  // need more; see limitedCodeLengths). counts.size() is the alphabet size, at most 2^16.
  static HuffmanCode fromCounts(std::span<const uint64_t> counts,
                                unsigned max_length = kDefaultHuffmanCodeLength);
  // Validates lengths: each <= 16, and either a complete code (Kraft sum exactly 1), a single used
  // symbol of length 1, or no used symbol at all.
  static Expected<HuffmanCode> fromLengths(std::vector<uint8_t> lengths);

  // The serialised code table (code lengths); tableBits() is exactly what write() emits.
  void write(BitWriter& out) const;
  static Expected<HuffmanCode> read(BitReader& in);
  uint64_t tableBits() const;

  // Bits of the symbols with these counts (sum count * length); counts.size() <= alphabetSize().
  uint64_t payloadBits(std::span<const uint64_t> counts) const;

  // Writes one symbol; it must have a nonzero length.
  void encode(BitWriter& out, uint32_t symbol) const { out.write(reversed_codes_[symbol], lengths_[symbol]); }
  // Writes an array of symbols (each must have a nonzero length).
  template <class T>
  void encodeAll(BitWriter& out, std::span<const T> symbols) const;

  size_t alphabetSize() const { return lengths_.size(); }
  const std::vector<uint8_t>& lengths() const { return lengths_; }
  unsigned maxLength() const { return max_length_; }
  size_t usedSymbols() const { return used_; }

 private:
  explicit HuffmanCode(std::vector<uint8_t> lengths);  // lengths already valid

  std::vector<uint8_t> lengths_;
  std::vector<uint16_t> reversed_codes_;  // first code bit in bit 0
  unsigned max_length_ = 0;
  size_t used_ = 0;
};

class HuffmanDecoder {
 public:
  explicit HuffmanDecoder(const HuffmanCode& code);

  // Decodes out.size() symbols. Errors on an invalid code word, a symbol that does not fit T, or
  // reading past the end of the input.
  template <class T>
  Status decode(BitReader& in, std::span<T> out) const;
  // Decodes out.size() symbols from four byte streams holding consecutive quarters of the array
  // (huffmanQuarter gives their lengths). Each stream must be consumed exactly, with zero padding.
  // Independent streams let the CPU overlap four table lookups, as zstd's 4-stream Huffman does.
  template <class T>
  Status decodeFour(const std::array<std::span<const uint8_t>, 4>& streams, std::span<T> out) const;
  // One symbol, checked (for streams that interleave codes with other fields, such as CSR).
  Expected<uint32_t> decodeOne(BitReader& in) const;

 private:
  Status checkOutput(size_t n, unsigned bits) const;

  // Entry: symbol << 8 | length (1..16) for a code word; offset << 8 | 0x80 | subtable bits for a
  // link to a subtable; 0 for bit patterns that start no code word.
  std::vector<uint32_t> table_;
  unsigned primary_bits_ = 0;
  uint32_t max_symbol_ = 0;
  bool empty_ = true;
  bool complete_ = false;  // every table entry is a code word or a link: no validity test needed
};

// Self-contained stream (docs/formats/huffman.md): LEB128 symbol count, the code table (zero-padded
// to a byte), then the codes in one stream, or for kHuffmanFourStreamsMin symbols or more in four
// streams, one per quarter of the array, preceded by the byte sizes of the first three.
// Symbols must be < 2^16.
inline constexpr uint64_t kHuffmanFourStreamsMin = 256;
inline constexpr unsigned kHuffmanStreams = 4;
// Symbols in each of the first three quarters: ceil(count / 4); the fourth holds the rest.
// (count + 3) / 4 without the overflow near 2^64 that a corrupt count would reach.
inline uint64_t huffmanQuarter(uint64_t count) { return count / 4 + (count % 4 != 0); }
template <class T>
std::vector<uint8_t> huffmanEncode(std::span<const T> symbols, unsigned max_length = kDefaultHuffmanCodeLength);
// The same stream appended to out (no second copy of it).
template <class T>
void huffmanEncodeAppend(std::span<const T> symbols, std::vector<uint8_t>& out,
                         unsigned max_length = kDefaultHuffmanCodeLength);
template <class T>
Expected<std::vector<T>> huffmanDecode(std::span<const uint8_t> bytes);
// Exact size of huffmanEncode's output, computed from symbol counts without encoding.
template <class T>
uint64_t huffmanEncodedBytes(std::span<const T> symbols, unsigned max_length = kDefaultHuffmanCodeLength);

// Symbol histogram: counts[s] = occurrences of s; size = max symbol + 1 (0 for no symbols).
// Symbols must be < 2^16 for uint32_t input.
template <class T>
std::vector<uint64_t> symbolCounts(std::span<const T> symbols);

}  // namespace dnnc::formats
