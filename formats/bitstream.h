// Bit-level I/O shared by every dnnc codec (Huffman, CSR gaps, exp-Golomb escapes).
//
// Bit order is LSB-first, as in DEFLATE and zstd: stream bit i is bit (i % 8) of byte i / 8, and a
// multi-bit field is written least significant bit first. LSB-first lets the reader refill a 64-bit
// buffer with one little-endian load and peek the next bits with a mask, which is what makes the
// table-driven Huffman decoder fast. Huffman codes, whose first bit is their most significant, are
// therefore stored bit-reversed (see huffman.h). The layout is specified in docs/formats/bitstream.md.
#pragma once
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "lib/support/error.h"

namespace dnnc::formats {

// Largest field BitWriter::write and BitReader::peek/read take in one call; a refill guarantees at
// least this many buffered bits unless the input is exhausted.
inline constexpr unsigned kMaxBitsPerCall = 56;

class BitWriter {
 public:
  // Appends the low `nbits` bits of `value` (nbits <= 56; value must be < 2^nbits).
  void write(uint64_t value, unsigned nbits) {
    ensureRoom();
    acc_ |= value << nacc_;
    nacc_ += nbits;
    // Branch-free flush: store all 8 accumulator bytes, advance by the whole bytes written.
    uint64_t le = toLittleEndian(acc_);
    std::memcpy(buf_.data() + len_, &le, 8);
    unsigned whole = nacc_ & ~7u;
    len_ += whole >> 3;
    acc_ >>= whole;  // whole <= 56: nacc_ < 8 before the call and nbits <= 56
    nacc_ &= 7u;
  }
  // Any width up to 64 bits.
  void writeWide(uint64_t value, unsigned nbits);
  void writeBit(bool bit) { write(bit ? 1 : 0, 1); }
  // Exp-Golomb code of order k (see docs/formats/bitstream.md); value < 2^62, k <= 24.
  void writeExpGolomb(uint64_t value, unsigned k);
  // Pads with zero bits to the next byte boundary.
  void alignToByte() { if (nacc_ != 0) write(0, 8 - nacc_); }

  // Bulk writing for hot loops: produce(i) returns {value, nbits} of field i, each at most
  // max_bits_each (<= 56) bits. Room is reserved once and the bit accumulator lives in registers.
  template <class Produce>
  void writeMany(size_t count, unsigned max_bits_each, Produce&& produce);

  // Makes room for `bits` more bits (plus the slack writeMany's worst-case checks want), so a writer
  // whose output size is known up front grows its buffer once.
  void reserveBits(uint64_t bits) {
    size_t need = len_ + size_t(bits / 8) + kSlackBytes;
    if (buf_.size() < need) buf_.resize(need);
  }

  uint64_t bitSize() const { return uint64_t(len_) * 8 + nacc_; }
  // Pads to a byte and returns the bytes; the writer is empty afterwards.
  std::vector<uint8_t> finish();
  // Pads to a byte and appends the bytes to `out`; the writer is empty afterwards.
  void finishInto(std::vector<uint8_t>& out);

 private:
  static uint64_t toLittleEndian(uint64_t v) {
    if constexpr (std::endian::native == std::endian::little) return v;
    else return __builtin_bswap64(v);
  }
  void ensureRoom() {
    if (buf_.size() < len_ + 16) buf_.resize(std::max<size_t>(64, 2 * buf_.size() + 16));
  }

  static constexpr size_t kChunkFields = 256;  // writeMany checks room once per chunk of groups
  static constexpr size_t kSlackBytes = kChunkFields * 8 + 64;

  std::vector<uint8_t> buf_;
  size_t len_ = 0;     // whole bytes committed to buf_
  uint64_t acc_ = 0;   // pending bits, fewer than 8 between calls
  unsigned nacc_ = 0;
};

template <class Produce>
void BitWriter::writeMany(size_t count, unsigned max_bits_each, Produce&& produce) {
  if (max_bits_each == 0) max_bits_each = 1;
  // Add as many fields as surely fit beside < 8 pending bits, then flush whole bytes without a
  // branch: one 8-byte store per group instead of a data-dependent test per field.
  const size_t group = std::max(1u, kMaxBitsPerCall / max_bits_each);
  const size_t chunk = group * kChunkFields;  // room is checked once per chunk, for its worst case
  uint64_t acc = acc_;
  unsigned nacc = nacc_;
  for (size_t i = 0; i < count;) {
    const size_t chunk_end = std::min(count, i + chunk);
    const size_t need = len_ + ((chunk_end - i) * max_bits_each + 7) / 8 + 16;
    if (buf_.size() < need) buf_.resize(std::max(need, buf_.size() + buf_.size() / 2));
    uint8_t* out = buf_.data() + len_;
    while (i < chunk_end) {
      const size_t end = std::min(chunk_end, i + group);
      for (; i < end; ++i) {
        auto [value, nbits] = produce(i);
        acc |= uint64_t(value) << nacc;
        nacc += nbits;
      }
      uint64_t le = toLittleEndian(acc);
      std::memcpy(out, &le, 8);
      out += nacc >> 3;
      acc >>= nacc & ~7u;  // <= 56
      nacc &= 7u;
    }
    len_ = size_t(out - buf_.data());
  }
  acc_ = acc;
  nacc_ = nacc;
}

// Reads a bit stream without ever touching memory outside `data`. Past the end the stream reads as
// zero bits and `overrun()` becomes true, so hot loops (the Huffman decoder) need not check every
// symbol: they check overrun() once at the end. The checked read*() calls return errors instead.
class BitReader {
 public:
  explicit BitReader(std::span<const uint8_t> data) : data_(data.data()), size_(data.size()) {}

  // Buffers at least 56 bits, or every remaining bit when fewer remain.
  void refill() {
    if (avail_ < 0) return;  // overrun: only zeros from here on
    if (size_ - pos_ >= 8) {
      uint64_t w;
      std::memcpy(&w, data_ + pos_, 8);
      if constexpr (std::endian::native != std::endian::little) w = __builtin_bswap64(w);
      // Bits of a partly loaded byte above avail_ are the true next bits and are OR-ed again,
      // identically, by the next refill.
      buf_ |= w << avail_;
      pos_ += (63 - unsigned(avail_)) >> 3;
      avail_ |= 56;
    } else {
      refillSlow();
    }
  }
  // The next n bits (n <= 56) without consuming them; bits past the end read as zero.
  // Call refill() first: only buffered bits are visible.
  uint64_t peek(unsigned n) const { return buf_ & ((uint64_t(1) << n) - 1); }
  // Consumes n bits (n <= 56, at most the bits buffered since the last refill, plus zeros past the end).
  void skip(unsigned n) {
    buf_ >>= n;
    avail_ -= int64_t(n);
  }
  // True once more bits were consumed than the input holds.
  bool overrun() const { return avail_ < 0; }
  // Bits consumed so far (larger than sizeBits() after an overrun).
  uint64_t bitPosition() const { return uint64_t(pos_) * 8 - uint64_t(avail_); }
  uint64_t sizeBits() const { return uint64_t(size_) * 8; }
  // Bits not yet consumed (0 after an overrun).
  uint64_t bitsLeft() const { return overrun() ? 0 : sizeBits() - bitPosition(); }

  // Checked reads: an error (Exit::Input) when the field extends past the end of the input.
  Expected<uint64_t> read(unsigned nbits);  // nbits <= 56
  Expected<uint64_t> readWide(unsigned nbits);  // nbits <= 64
  Expected<uint64_t> readExpGolomb(unsigned k);
  // Skips to the next byte boundary; the skipped bits must be zero (canonical padding).
  Status alignToByteZero();
  // For decoders that end a stream: padding to the byte boundary must be zero and nothing may follow.
  Status expectEnd();

 private:
  void refillSlow();

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;      // next byte to load into buf_
  uint64_t buf_ = 0;    // buffered bits, next bit at bit 0
  int64_t avail_ = 0;   // buffered bits; negative after an overrun
};

// Length in bits of writeExpGolomb(value, k).
inline unsigned expGolombBits(uint64_t value, unsigned k) {
  uint64_t w = value + (uint64_t(1) << k);
  unsigned top = 63 - unsigned(__builtin_clzll(w));  // floor(log2 w)
  return 2 * top - k + 1;
}

}  // namespace dnnc::formats
