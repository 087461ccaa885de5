#include "formats/huffman.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>

#include "formats/code_lengths.h"
#include "formats/varint.h"
#include "lib/support/check.h"

namespace dnnc::formats {
namespace {

constexpr unsigned kPrimaryBits = 11;  // 2^11 entries * 4 bytes: the primary table stays in L1

uint32_t reverseBits(uint32_t v, unsigned n) {
  uint32_t r = 0;
  for (unsigned i = 0; i < n; ++i) {
    r = (r << 1) | (v & 1);
    v >>= 1;
  }
  return r;
}

// Canonical codes (RFC 1951 3.2.2): shorter codes first, ties by symbol; MSB-first numeric value.
std::vector<uint32_t> canonicalCodes(const std::vector<uint8_t>& lengths) {
  uint32_t count[kMaxHuffmanCodeLength + 2] = {};
  for (uint8_t l : lengths) ++count[l];
  count[0] = 0;
  uint32_t next[kMaxHuffmanCodeLength + 2] = {};
  uint32_t code = 0;
  for (unsigned len = 1; len <= kMaxHuffmanCodeLength; ++len) {
    code = (code + count[len - 1]) << 1;
    next[len] = code;
  }
  std::vector<uint32_t> codes(lengths.size(), 0);
  for (size_t s = 0; s < lengths.size(); ++s) {
    if (lengths[s] != 0) codes[s] = next[lengths[s]]++;
  }
  return codes;
}

}  // namespace

HuffmanCode::HuffmanCode(std::vector<uint8_t> lengths) : lengths_(std::move(lengths)) {
  std::vector<uint32_t> codes = canonicalCodes(lengths_);
  reversed_codes_.resize(lengths_.size());
  for (size_t s = 0; s < lengths_.size(); ++s) {
    reversed_codes_[s] = uint16_t(reverseBits(codes[s], lengths_[s]));
    max_length_ = std::max<unsigned>(max_length_, lengths_[s]);
    used_ += lengths_[s] != 0;
  }
}

HuffmanCode HuffmanCode::fromCounts(std::span<const uint64_t> counts, unsigned max_length) {
  DNNC_CHECK(counts.size() <= kMaxHuffmanAlphabet, "alphabet of ", counts.size(), " symbols");
  DNNC_CHECK(max_length >= 1 && max_length <= kMaxHuffmanCodeLength);
  return HuffmanCode(limitedCodeLengths(counts, max_length));
}

Expected<HuffmanCode> HuffmanCode::fromLengths(std::vector<uint8_t> lengths) {
  if (lengths.size() > kMaxHuffmanAlphabet) {
    return Error(Exit::Input, "corrupt Huffman table: alphabet of ", lengths.size(), " symbols (max ",
                 kMaxHuffmanAlphabet, ")");
  }
  // Kraft sum in units of 2^-16; exact because every length is <= 16.
  uint64_t kraft = 0;
  size_t used = 0;
  for (uint8_t l : lengths) {
    if (l > kMaxHuffmanCodeLength) return Error(Exit::Input, "corrupt Huffman table: code length ", int(l));
    if (l != 0) {
      kraft += uint64_t(1) << (kMaxHuffmanCodeLength - l);
      ++used;
    }
  }
  const uint64_t one = uint64_t(1) << kMaxHuffmanCodeLength;
  bool single = used == 1 && kraft == one / 2;  // one symbol, length 1
  if (used != 0 && !single && kraft != one) {
    return Error(Exit::Input, "corrupt Huffman table: code lengths are ",
                 kraft > one ? "over-subscribed" : "incomplete");
  }
  return HuffmanCode(std::move(lengths));
}

uint64_t HuffmanCode::payloadBits(std::span<const uint64_t> counts) const {
  DNNC_CHECK(counts.size() <= lengths_.size());
  uint64_t bits = 0;
  for (size_t s = 0; s < counts.size(); ++s) {
    DNNC_CHECK(counts[s] == 0 || lengths_[s] != 0, "symbol ", s, " has no code");
    bits += counts[s] * lengths_[s];
  }
  return bits;
}

HuffmanDecoder::HuffmanDecoder(const HuffmanCode& code) {
  const auto& lengths = code.lengths();
  empty_ = code.usedSymbols() == 0;
  complete_ = code.usedSymbols() >= 2;  // valid codes of two or more symbols satisfy Kraft with equality
  if (empty_) return;
  for (size_t s = 0; s < lengths.size(); ++s) {
    if (lengths[s] != 0) max_symbol_ = uint32_t(s);  // the largest symbol the stream can produce
  }
  const unsigned max_len = code.maxLength();
  primary_bits_ = std::min(max_len, kPrimaryBits);
  const unsigned pb = primary_bits_;
  table_.assign(size_t(1) << pb, 0);
  std::vector<uint32_t> codes = canonicalCodes(lengths);

  // Longer codes sharing their first pb bits share one subtable sized by the longest of them.
  std::vector<uint8_t> sub_bits(size_t(1) << pb, 0);
  for (size_t s = 0; s < lengths.size(); ++s) {
    unsigned len = lengths[s];
    if (len > pb) {
      uint32_t prefix = codes[s] >> (len - pb);
      sub_bits[prefix] = uint8_t(std::max<unsigned>(sub_bits[prefix], len - pb));
    }
  }
  for (uint32_t prefix = 0; prefix < sub_bits.size(); ++prefix) {
    if (sub_bits[prefix] == 0) continue;
    uint32_t offset = uint32_t(table_.size());
    table_[reverseBits(prefix, pb)] = offset << 8 | 0x80 | sub_bits[prefix];
    table_.resize(table_.size() + (size_t(1) << sub_bits[prefix]), 0);
  }
  for (size_t s = 0; s < lengths.size(); ++s) {
    unsigned len = lengths[s];
    if (len == 0) continue;
    if (len <= pb) {
      uint32_t rev = reverseBits(codes[s], len);
      for (uint32_t hi = 0; hi < (uint32_t(1) << (pb - len)); ++hi) {
        table_[rev | hi << len] = uint32_t(s) << 8 | len;
      }
    } else {
      uint32_t prefix = codes[s] >> (len - pb);
      uint32_t link = table_[reverseBits(prefix, pb)];
      uint32_t offset = link >> 8, sb = link & 0x1f;
      unsigned rest = len - pb;
      uint32_t rev = reverseBits(codes[s] & ((uint32_t(1) << rest) - 1), rest);
      for (uint32_t hi = 0; hi < (uint32_t(1) << (sb - rest)); ++hi) {
        table_[offset + (rev | hi << rest)] = uint32_t(s) << 8 | rest;
      }
    }
  }
}

template <class T>
void HuffmanCode::encodeAll(BitWriter& out, std::span<const T> symbols) const {
  // Code and length in one word: one load per symbol.
  std::vector<uint32_t> packed(lengths_.size());
  for (size_t s = 0; s < lengths_.size(); ++s) packed[s] = uint32_t(reversed_codes_[s]) | uint32_t(lengths_[s]) << 16;
  const uint32_t* table = packed.data();
  const T* sym = symbols.data();
  out.writeMany(symbols.size(), max_length_, [&](size_t i) {
    uint32_t e = table[sym[i]];
    return std::pair<uint32_t, unsigned>(e & 0xffff, e >> 16);
  });
}

namespace {

// One table-driven step: at most 16 bits consumed. With kCheck, `bad` records an invalid code
// word (entry 0); a complete code has none, so its loops skip the test.
template <bool kCheck>
inline uint32_t decodeStep(const uint32_t* table, unsigned pb, BitReader& in, bool& bad) {
  uint32_t e = table[in.peek(pb)];
  if (e & 0x80) [[unlikely]] {
    in.skip(pb);
    e = table[(e >> 8) + in.peek(e & 0x1f)];
  }
  if constexpr (kCheck) bad |= (e & 0x1f) == 0;
  in.skip(e & 0x1f);
  return e >> 8;
}

template <bool kCheck, class T>
void decodeOneStream(const uint32_t* table, unsigned pb, BitReader& in, T* o, size_t n, bool& bad) {
  size_t i = 0;
  // A refill buffers >= 56 bits and a code word is <= 16 bits: three symbols per refill.
  for (; i + 3 <= n; i += 3) {
    in.refill();
    o[i] = T(decodeStep<kCheck>(table, pb, in, bad));
    o[i + 1] = T(decodeStep<kCheck>(table, pb, in, bad));
    o[i + 2] = T(decodeStep<kCheck>(table, pb, in, bad));
  }
  for (; i < n; ++i) {
    in.refill();
    o[i] = T(decodeStep<kCheck>(table, pb, in, bad));
  }
}

// Stream j holds out[j * q, min((j + 1) * q, n)). The fast loop keeps each stream as (64-bit window
// loaded at p, bits of it consumed) in registers and reloads the window without branches, as zstd's
// BIT_reloadDStream does; it runs while every stream has 8 readable bytes at p, so it never reads
// outside the input. The rest goes through checked BitReaders positioned where the fast loop stopped.
template <bool kCheck, class T>
void decodeFourStreams(const uint32_t* table, unsigned pb, const std::array<std::span<const uint8_t>, 4>& in,
                       T* out, size_t n, bool& bad, std::array<BitReader, 4>& tails) {
  const size_t q = huffmanQuarter(n);
  T* o[4];
  size_t len[4];
  for (size_t j = 0; j < 4; ++j) {
    size_t begin = std::min(n, j * q);
    o[j] = out + begin;
    len[j] = std::min(n, begin + q) - begin;
  }
  const uint8_t* p[4];
  const uint8_t* limit[4];  // last position a window may be loaded from
  unsigned used[4] = {0, 0, 0, 0};
  bool fast = true;
  for (int j = 0; j < 4; ++j) {
    p[j] = in[j].data();
    fast &= in[j].size() >= 8;
    limit[j] = fast ? in[j].data() + in[j].size() - 8 : nullptr;
  }
  auto load = [](const uint8_t* ptr) {
    uint64_t w;
    std::memcpy(&w, ptr, 8);
    if constexpr (std::endian::native != std::endian::little) w = __builtin_bswap64(w);
    return w;
  };
  const uint64_t mask = (uint64_t(1) << pb) - 1;
  auto step = [&](uint64_t window, unsigned& u) -> uint32_t {
    uint32_t e = table[(window >> u) & mask];
    if (e & 0x80) [[unlikely]] {
      u += pb;
      e = table[(e >> 8) + ((window >> u) & ((uint32_t(1) << (e & 0x1f)) - 1))];
    }
    if constexpr (kCheck) bad |= (e & 0x1f) == 0;
    u += e & 0x1f;
    return e >> 8;
  };
  size_t k = 0;  // symbols done in each of the first three streams (the fourth may be shorter)
  if (fast) {
    const uint8_t *p0 = p[0], *p1 = p[1], *p2 = p[2], *p3 = p[3];
    T *o0 = o[0], *o1 = o[1], *o2 = o[2], *o3 = o[3];
    unsigned u0 = 0, u1 = 0, u2 = 0, u3 = 0;
    // Each round: reload the windows (>= 57 fresh bits), decode 3 symbols per stream (<= 48 bits).
    for (; k + 3 <= len[3]; k += 3) {
      p0 += u0 >> 3, u0 &= 7;
      p1 += u1 >> 3, u1 &= 7;
      p2 += u2 >> 3, u2 &= 7;
      p3 += u3 >> 3, u3 &= 7;
      if (p0 > limit[0] || p1 > limit[1] || p2 > limit[2] || p3 > limit[3]) break;
      const uint64_t w0 = load(p0), w1 = load(p1), w2 = load(p2), w3 = load(p3);
      for (size_t r = k; r < k + 3; ++r) {
        o0[r] = T(step(w0, u0));
        o1[r] = T(step(w1, u1));
        o2[r] = T(step(w2, u2));
        o3[r] = T(step(w3, u3));
      }
    }
    p[0] = p0, p[1] = p1, p[2] = p2, p[3] = p3;
    used[0] = u0, used[1] = u1, used[2] = u2, used[3] = u3;
  }
  for (int j = 0; j < 4; ++j) {
    size_t offset = size_t(p[j] - in[j].data());
    tails[j] = BitReader(in[j].subspan(offset));
    tails[j].refill();
    tails[j].skip(used[j]);  // <= 55 bits, within the >= 56 a refill at p buffers (8 bytes remain there)
    decodeOneStream<kCheck>(table, pb, tails[j], o[j] + k, len[j] - std::min(k, len[j]), bad);
  }
}

}  // namespace

Status HuffmanDecoder::checkOutput(size_t n, unsigned bits) const {
  if (n == 0) return {};
  if (empty_) return Error(Exit::Input, "corrupt Huffman stream: symbols coded with an empty code");
  if (bits < 32 && max_symbol_ >> bits != 0) {
    return Error(Exit::Input, "corrupt Huffman stream: alphabet of ", uint64_t(max_symbol_) + 1,
                 " symbols does not fit ", bits, "-bit output");
  }
  return {};
}

template <class T>
Status HuffmanDecoder::decode(BitReader& reader, std::span<T> out) const {
  DNNC_TRY(checkOutput(out.size(), 8 * sizeof(T)));
  if (out.empty()) return {};
  // Work on a local copy: stores through T* (possibly uint8_t, which aliases anything) would
  // otherwise force the reader's state out of registers after every symbol.
  BitReader in = reader;
  bool bad = false;
  if (complete_) decodeOneStream<false>(table_.data(), primary_bits_, in, out.data(), out.size(), bad);
  else decodeOneStream<true>(table_.data(), primary_bits_, in, out.data(), out.size(), bad);
  reader = in;
  if (bad) return Error(Exit::Input, "corrupt Huffman stream: invalid code word");
  if (in.overrun()) return Error(Exit::Input, "truncated Huffman stream: ", out.size(), " symbols need more bits");
  return {};
}

template <class T>
Status HuffmanDecoder::decodeFour(const std::array<std::span<const uint8_t>, 4>& streams, std::span<T> out) const {
  DNNC_TRY(checkOutput(out.size(), 8 * sizeof(T)));
  bool bad = false;
  std::array<BitReader, 4> tails{BitReader({}), BitReader({}), BitReader({}), BitReader({})};
  if (complete_) decodeFourStreams<false>(table_.data(), primary_bits_, streams, out.data(), out.size(), bad, tails);
  else decodeFourStreams<true>(table_.data(), primary_bits_, streams, out.data(), out.size(), bad, tails);
  if (bad) return Error(Exit::Input, "corrupt Huffman stream: invalid code word");
  for (BitReader& r : tails) {
    if (r.overrun()) return Error(Exit::Input, "truncated Huffman stream: ", out.size(), " symbols need more bits");
    DNNC_TRY(r.expectEnd());
  }
  return {};
}

Expected<uint32_t> HuffmanDecoder::decodeOne(BitReader& in) const {
  uint32_t sym = 0;
  DNNC_TRY(decode(in, std::span<uint32_t>(&sym, 1)));
  return sym;
}

#define DNNC_HUFFMAN_INSTANTIATE(T)                                                        \
  template Status HuffmanDecoder::decode<T>(BitReader&, std::span<T>) const;               \
  template void HuffmanCode::encodeAll<T>(BitWriter&, std::span<const T>) const;           \
  template Status HuffmanDecoder::decodeFour<T>(const std::array<std::span<const uint8_t>, 4>&, std::span<T>) const;
DNNC_HUFFMAN_INSTANTIATE(uint8_t)
DNNC_HUFFMAN_INSTANTIATE(uint16_t)
DNNC_HUFFMAN_INSTANTIATE(uint32_t)
#undef DNNC_HUFFMAN_INSTANTIATE

}  // namespace dnnc::formats
