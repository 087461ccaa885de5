// The self-contained Huffman stream of huffman.h: count, code table, one or four code streams.
#include <algorithm>
#include <array>

#include "formats/huffman.h"
#include "formats/varint.h"
#include "lib/support/check.h"

namespace dnnc::formats {
namespace {

unsigned streamCount(uint64_t count) { return count >= kHuffmanFourStreamsMin ? kHuffmanStreams : 1; }

// Symbols in stream j of s: a quarter of the array each, the last one the rest.
uint64_t symbolsInStream(uint64_t count, unsigned j, unsigned s) {
  if (s == 1) return count;
  uint64_t q = huffmanQuarter(count), begin = std::min<uint64_t>(count, j * q);
  return std::min<uint64_t>(count, begin + q) - begin;
}

}  // namespace

template <class T>
std::vector<uint64_t> symbolCounts(std::span<const T> symbols) {
  std::vector<uint64_t> counts;
  if constexpr (sizeof(T) <= 2) {
    counts.assign(size_t(1) << (8 * sizeof(T)), 0);
    for (T s : symbols) ++counts[s];
  } else {
    for (T s : symbols) {
      DNNC_CHECK(s < kMaxHuffmanAlphabet, "symbol ", s, " outside the 2^16 Huffman alphabet");
      if (s >= counts.size()) counts.resize(size_t(s) + 1, 0);
      ++counts[s];
    }
  }
  while (!counts.empty() && counts.back() == 0) counts.pop_back();
  return counts;
}

template <class T>
void huffmanEncodeAppend(std::span<const T> symbols, std::vector<uint8_t>& out, unsigned max_length) {
  std::vector<uint64_t> counts = symbolCounts(symbols);
  HuffmanCode code = HuffmanCode::fromCounts(counts, max_length);
  appendVarint(out, symbols.size());
  BitWriter table;
  code.write(table);
  table.finishInto(out);
  const unsigned s = streamCount(symbols.size());
  // Each stream's exact size first (its sizes precede the streams), so that the streams go straight to
  // out one at a time: never every stream and a joined copy at once (a 100M-byte plane's 90 MB, twice).
  std::array<uint64_t, kHuffmanStreams> bytes{};
  const auto& lengths = code.lengths();
  for (unsigned j = 0; j < s; ++j) {
    const size_t begin = size_t(j * huffmanQuarter(symbols.size()));
    uint64_t bits = 0;
    for (T x : symbols.subspan(begin, size_t(symbolsInStream(symbols.size(), j, s)))) bits += lengths[size_t(x)];
    bytes[j] = (bits + 7) / 8;
  }
  uint64_t total = 0;
  for (unsigned j = 0; j < s; ++j) total += bytes[j] + (j + 1 < s ? varintSize(bytes[j]) : 0);
  out.reserve(out.size() + total);
  for (unsigned j = 0; j + 1 < s; ++j) appendVarint(out, bytes[j]);
  for (unsigned j = 0; j < s; ++j) {
    BitWriter w;
    w.reserveBits(bytes[j] * 8);
    const size_t begin = size_t(j * huffmanQuarter(symbols.size()));
    code.encodeAll(w, symbols.subspan(begin, size_t(symbolsInStream(symbols.size(), j, s))));
    const std::vector<uint8_t> part = w.finish();
    DNNC_CHECK(part.size() == bytes[j]);
    out.insert(out.end(), part.begin(), part.end());
  }
}

template <class T>
std::vector<uint8_t> huffmanEncode(std::span<const T> symbols, unsigned max_length) {
  std::vector<uint8_t> out;
  huffmanEncodeAppend(symbols, out, max_length);
  return out;
}

template <class T>
uint64_t huffmanEncodedBytes(std::span<const T> symbols, unsigned max_length) {
  std::vector<uint64_t> counts = symbolCounts(symbols);
  HuffmanCode code = HuffmanCode::fromCounts(counts, max_length);
  const unsigned s = streamCount(symbols.size());
  uint64_t bytes = varintSize(symbols.size()) + (code.tableBits() + 7) / 8;
  if (s == 1) return bytes + (code.payloadBits(counts) + 7) / 8;
  std::array<uint64_t, kHuffmanStreams> bits{};
  const auto& lengths = code.lengths();
  const uint64_t q = huffmanQuarter(symbols.size());
  for (unsigned j = 0; j < s; ++j) {  // stream by stream: no division per symbol
    const size_t end = std::min<size_t>(symbols.size(), size_t(j + 1) * q);
    for (size_t i = size_t(j) * q; i < end; ++i) bits[j] += lengths[size_t(symbols[i])];
  }
  for (unsigned j = 0; j < s; ++j) {
    uint64_t stream_bytes = (bits[j] + 7) / 8;
    bytes += stream_bytes + (j + 1 < s ? varintSize(stream_bytes) : 0);
  }
  return bytes;
}

template <class T>
Expected<std::vector<T>> huffmanDecode(std::span<const uint8_t> bytes) {
  size_t pos = 0;
  DNNC_ASSIGN(uint64_t count, readVarint(bytes, pos));
  // Every symbol costs at least one bit: a larger count is corrupt (and must not size an allocation).
  if (count / 8 > bytes.size()) return Error(Exit::Input, "corrupt Huffman stream: ", count, " symbols in ", bytes.size(), " bytes");
  BitReader table(bytes.subspan(pos));
  DNNC_ASSIGN(HuffmanCode code, HuffmanCode::read(table));
  DNNC_TRY(table.alignToByteZero());
  pos += table.bitPosition() / 8;

  const unsigned s = streamCount(count);
  std::array<uint64_t, kHuffmanStreams> sizes{};
  for (unsigned j = 0; j + 1 < s; ++j) {
    DNNC_ASSIGN(sizes[j], readVarint(bytes, pos));
  }
  uint64_t left = bytes.size() - pos;
  for (unsigned j = 0; j + 1 < s; ++j) {
    if (sizes[j] > left) return Error(Exit::Input, "corrupt Huffman stream: stream ", j, " of ", sizes[j], " bytes");
    left -= sizes[j];
  }
  sizes[s - 1] = left;
  // Every symbol costs at least one bit, so each stream's count is bounded by its size.
  for (unsigned j = 0; j < s; ++j) {
    if (symbolsInStream(count, j, s) > 8 * sizes[j]) {
      return Error(Exit::Input, "corrupt Huffman stream: ", count, " symbols in ", bytes.size(), " bytes");
    }
  }
  std::vector<T> out(count);
  HuffmanDecoder decoder(code);
  if (s == 1) {
    BitReader r(bytes.subspan(pos));
    DNNC_TRY(decoder.decode(r, std::span<T>(out)));
    DNNC_TRY(r.expectEnd());
    return out;
  }
  std::array<std::span<const uint8_t>, kHuffmanStreams> streams;
  for (unsigned j = 0; j < s; ++j) {
    streams[j] = bytes.subspan(pos, sizes[j]);
    pos += sizes[j];
  }
  DNNC_TRY(decoder.decodeFour(streams, std::span<T>(out)));
  return out;
}

#define DNNC_HUFFMAN_STREAM_INSTANTIATE(T)                                                 \
  template std::vector<uint64_t> symbolCounts<T>(std::span<const T>);                      \
  template std::vector<uint8_t> huffmanEncode<T>(std::span<const T>, unsigned);            \
  template void huffmanEncodeAppend<T>(std::span<const T>, std::vector<uint8_t>&, unsigned); \
  template uint64_t huffmanEncodedBytes<T>(std::span<const T>, unsigned);                  \
  template Expected<std::vector<T>> huffmanDecode<T>(std::span<const uint8_t>);
DNNC_HUFFMAN_STREAM_INSTANTIATE(uint8_t)
DNNC_HUFFMAN_STREAM_INSTANTIATE(uint16_t)
DNNC_HUFFMAN_STREAM_INSTANTIATE(uint32_t)
#undef DNNC_HUFFMAN_STREAM_INSTANTIATE

}  // namespace dnnc::formats
