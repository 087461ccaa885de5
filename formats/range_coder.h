// Adaptive binary range coder (the LZMA design: 32-bit range, carry propagation through a cached byte)
// with count-based adaptive bit models, for codecs that want to get below Huffman's whole-bit codes
// and pay for no code tables: each binary decision costs -log2 p(bit) bits plus a few bytes per stream.
//
// A bit model starts at p = 1/2 and updates with rate 1/(n+2) after its n-th bit, which is exactly the
// Krichevsky-Trofimov estimate (count + 1/2) / (total + 1) for the first kAdaptLimit bits, then
// becomes an exponential average with that rate so it can follow slow drifts.
// The stream layout (docs/formats/csr-ac.md): the encoder's bytes, first byte always 0, and the
// decoder consumes exactly all of them.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

namespace dnnc::formats {

inline constexpr unsigned kProbBits = 16;
inline constexpr uint32_t kProbOne = 1u << kProbBits;
inline constexpr uint16_t kAdaptLimit = 1022;

// rate(n) = 1/(n+2) in units of 2^-16, tabulated: the update is on every coded bit's path and a
// division there costs more than the rest of the bit.
inline constexpr std::array<uint32_t, kAdaptLimit + 1> kAdaptRates = [] {
  std::array<uint32_t, kAdaptLimit + 1> r{};
  for (uint32_t n = 0; n <= kAdaptLimit; ++n) r[n] = kProbOne / (n + 2);
  return r;
}();

struct BitModel {
  uint16_t p0 = kProbOne / 2;  // probability of a 0 bit, in units of 2^-16
  uint16_t n = 0;              // bits seen, saturating at kAdaptLimit

  void update(unsigned bit) {
    // p moves toward 0 or 1 by rate 1/(n+2) (clamped so both bits stay codable). Both moves are
    // computed and one selected, so a hard-to-predict bit costs no branch misprediction.
    const uint32_t rate = kAdaptRates[n];
    const uint32_t p = p0;
    const uint32_t down = p - ((p * rate) >> kProbBits);
    const uint32_t up = p + (((kProbOne - p) * rate) >> kProbBits);
    uint32_t q = up + ((down - up) & (0u - bit));  // masks, not ?: (which compilers turn into a branch)
    q = q < 32 ? 32 : q;
    q = q > kProbOne - 32 ? kProbOne - 32 : q;
    p0 = uint16_t(q);
    n = uint16_t(n + (n < kAdaptLimit));
  }
};

class RangeEncoder {
 public:
  void encode(BitModel& m, unsigned bit) {
    const uint32_t bound = (range_ >> kProbBits) * m.p0;
    const uint32_t mask = 0u - bit;
    low_ += bound & mask;
    range_ = bound + ((range_ - 2 * bound) & mask);  // range - bound for a 1 (mod 2^32)
    m.update(bit);
    while (range_ < (1u << 24)) {
      range_ <<= 8;
      shiftLow();
    }
  }
  // Ideal cost in bits of coding `bit` with model m in its current state.
  static double cost(const BitModel& m, unsigned bit);
  // Encodes the low `nbits` bits of v, most significant first, through a binary tree of models
  // (tree has 2^nbits entries; entry 0 unused).
  void encodeTree(BitModel* tree, unsigned nbits, uint32_t v) { encodeTreeCost<false>(tree, nbits, v); }
  // The same, returning the bits' ideal cost (each before its model learns) when kCost. A returned
  // value, not an accumulator in memory: the output bytes may alias any memory, which would put
  // every addition through a store and a reload.
  template <bool kCost>
  double encodeTreeCost(BitModel* tree, unsigned nbits, uint32_t v) {
    double bits = 0;
    uint32_t node = 1;
    for (unsigned i = nbits; i-- > 0;) {
      unsigned bit = (v >> i) & 1;
      if constexpr (kCost) bits += cost(tree[node], bit);
      encode(tree[node], bit);
      node = (node << 1) | bit;
    }
    return bits;
  }
  // Flushes and appends the stream to out.
  void finishInto(std::vector<uint8_t>& out) {
    for (int i = 0; i < 5; ++i) shiftLow();
    out.insert(out.end(), bytes_.begin(), bytes_.end());
    bytes_.clear();
  }

 private:
  void shiftLow() {
    if (uint32_t(low_) < 0xFF000000u || (low_ >> 32) != 0) {
      uint8_t carry = uint8_t(low_ >> 32);
      uint8_t temp = cache_;
      do {
        bytes_.push_back(uint8_t(temp + carry));
        temp = 0xFF;
      } while (--cache_size_ != 0);
      cache_ = uint8_t(uint32_t(low_) >> 24);
    }
    ++cache_size_;
    low_ = (low_ & 0x00FFFFFFu) << 8;
  }
  uint64_t low_ = 0;
  uint32_t range_ = 0xFFFFFFFFu;
  uint8_t cache_ = 0;
  uint64_t cache_size_ = 1;
  std::vector<uint8_t> bytes_;
};

// -log2 p from a 1024-entry table over the top 10 bits of p (ample for a size report); built once
// at start-up, not behind a guard on every call.
inline const std::array<float, 1024> kCostTable = [] {
  std::array<float, 1024> t{};
  for (size_t i = 0; i < t.size(); ++i) t[i] = -std::log2((double(i) + 0.5) / double(t.size()));
  return t;
}();

inline double RangeEncoder::cost(const BitModel& m, unsigned bit) {
  uint32_t p = bit ? kProbOne - m.p0 : m.p0;
  return kCostTable[p >> (kProbBits - 10)];
}

// Reads past the end as zero bytes and counts them; a valid stream is consumed exactly
// (overrun() == 0 and atEnd() at the end), which the codec checks.
class RangeDecoder {
 public:
  explicit RangeDecoder(std::span<const uint8_t> in) : in_(in) {
    first_ = next();
    for (int i = 0; i < 4; ++i) code_ = (code_ << 8) | next();
  }
  // The encoder's first byte is always 0.
  bool validStart() const { return first_ == 0; }
  unsigned decode(BitModel& m) {
    // Branch-free, with masks: the bit is as unpredictable as the model is good, and a
    // misprediction costs more than the whole decision.
    const uint32_t bound = (range_ >> kProbBits) * m.p0;
    const unsigned bit = code_ >= bound;
    const uint32_t mask = 0u - bit;
    code_ -= bound & mask;
    range_ = bound + ((range_ - 2 * bound) & mask);  // range - bound for a 1 (mod 2^32)
    m.update(bit);
    while (range_ < (1u << 24)) {
      range_ <<= 8;
      code_ = (code_ << 8) | next();
    }
    return bit;
  }
  uint32_t decodeTree(BitModel* tree, unsigned nbits) {
    uint32_t node = 1;
    for (unsigned i = 0; i < nbits; ++i) node = (node << 1) | decode(tree[node]);
    return node - (1u << nbits);
  }
  uint64_t overrun() const { return overrun_; }
  bool atEnd() const { return pos_ == in_.size(); }

 private:
  uint8_t next() {
    if (pos_ < in_.size()) return in_[pos_++];
    ++overrun_;
    return 0;
  }
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  uint64_t overrun_ = 0;
  uint32_t code_ = 0;
  uint32_t range_ = 0xFFFFFFFFu;
  uint8_t first_ = 0;
};

}  // namespace dnnc::formats
