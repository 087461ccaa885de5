#include "formats/bitstream.h"

#include "lib/support/check.h"

namespace dnnc::formats {

void BitWriter::writeWide(uint64_t value, unsigned nbits) {
  DNNC_CHECK(nbits <= 64);
  if (nbits > 32) {
    write(value & 0xffffffffu, 32);
    write(value >> 32, nbits - 32);
  } else {
    write(value, nbits);
  }
}

void BitWriter::writeExpGolomb(uint64_t value, unsigned k) {
  DNNC_CHECK(k <= 24 && value < (uint64_t(1) << 62), "exp-Golomb value ", value, " order ", k);
  uint64_t w = value + (uint64_t(1) << k);
  unsigned top = 63 - unsigned(__builtin_clzll(w));  // w has top+1 bits
  // Prefix: (top - k) zeros then a one; LSB-first, so the one is the highest bit of this field.
  writeWide(uint64_t(1) << (top - k), top - k + 1);
  // Suffix: the top bits of w below its leading one.
  writeWide(w & ((uint64_t(1) << top) - 1), top);
}

std::vector<uint8_t> BitWriter::finish() {
  if (nacc_ != 0) buf_[len_++] = uint8_t(acc_);
  buf_.resize(len_);  // hand over the buffer itself: no copy
  std::vector<uint8_t> out = std::move(buf_);
  buf_.clear();
  len_ = 0;
  acc_ = 0;
  nacc_ = 0;
  return out;
}

void BitWriter::finishInto(std::vector<uint8_t>& out) {
  if (nacc_ != 0) {
    buf_[len_++] = uint8_t(acc_);  // write() already stored this byte; keep it explicit
  }
  out.insert(out.end(), buf_.begin(), buf_.begin() + ptrdiff_t(len_));
  buf_.clear();
  len_ = 0;
  acc_ = 0;
  nacc_ = 0;
}

void BitReader::refillSlow() {
  while (avail_ <= 56 && pos_ < size_) {
    buf_ |= uint64_t(data_[pos_++]) << avail_;
    avail_ += 8;
  }
}

Expected<uint64_t> BitReader::read(unsigned nbits) {
  DNNC_CHECK(nbits <= kMaxBitsPerCall);
  refill();
  if (avail_ < int64_t(nbits)) {
    return Error(Exit::Input, "truncated bit stream: need ", nbits, " bits at bit ", bitPosition(), " of ",
                 sizeBits());
  }
  uint64_t v = peek(nbits);
  skip(nbits);
  return v;
}

Expected<uint64_t> BitReader::readWide(unsigned nbits) {
  DNNC_CHECK(nbits <= 64);
  if (nbits <= 32) return read(nbits);
  DNNC_ASSIGN(uint64_t lo, read(32));
  DNNC_ASSIGN(uint64_t hi, read(nbits - 32));
  return lo | (hi << 32);
}

Expected<uint64_t> BitReader::readExpGolomb(unsigned k) {
  DNNC_CHECK(k <= 24);
  const unsigned max_zeros = 62 - k;  // the writer's values are below 2^62
  unsigned zeros = 0;
  for (;;) {
    refill();
    if (avail_ <= 0) return Error(Exit::Input, "truncated bit stream: unterminated exp-Golomb prefix");
    unsigned window = unsigned(std::min<int64_t>(avail_, 32));
    uint64_t bits = peek(window);
    if (bits == 0) {
      zeros += window;
      skip(window);
    } else {
      unsigned z = unsigned(__builtin_ctzll(bits));
      zeros += z;
      skip(z + 1);  // the zeros and the terminating one
      break;
    }
    if (zeros > max_zeros) break;
  }
  if (zeros > max_zeros) return Error(Exit::Input, "corrupt exp-Golomb code: prefix of ", zeros, " zeros");
  DNNC_ASSIGN(uint64_t low, readWide(zeros + k));
  uint64_t w = (uint64_t(1) << (zeros + k)) | low;
  return w - (uint64_t(1) << k);
}

Status BitReader::alignToByteZero() {
  unsigned partial = unsigned(bitPosition() % 8);
  if (partial == 0) return {};
  DNNC_ASSIGN(uint64_t pad, read(8 - partial));
  if (pad != 0) return Error(Exit::Input, "corrupt bit stream: nonzero padding bits");
  return {};
}

Status BitReader::expectEnd() {
  if (overrun()) return Error(Exit::Input, "truncated bit stream: read past the end");
  DNNC_TRY(alignToByteZero());
  if (bitsLeft() != 0) return Error(Exit::Input, "corrupt bit stream: ", bitsLeft() / 8, " trailing bytes");
  return {};
}

}  // namespace dnnc::formats
