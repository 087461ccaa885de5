#include "lib/exec/inflate.h"

#include <array>
#include <cstring>

namespace dnnc {

namespace {

constexpr int kMaxBits = 15;

struct Huffman {
  std::array<uint16_t, kMaxBits + 1> count{};
  std::vector<uint16_t> symbol;
  // Fast path: the first 9 bits of a code -> (symbol << 4) | length, 0 when longer than 9 bits.
  static constexpr int kFast = 9;
  std::array<uint16_t, 1 << kFast> fast{};
};

class Inflater {
 public:
  Inflater(std::span<const std::byte> in, size_t out_size) : in_(in) { out_.reserve(out_size); }

  Status run(size_t out_size) {
    int last;
    do {
      DNNC_ASSIGN(last, bits(1));
      DNNC_ASSIGN(int type, bits(2));
      if (type == 0) DNNC_TRY(stored());
      else if (type == 1) DNNC_TRY(fixed());
      else if (type == 2) DNNC_TRY(dynamic());
      else return bad("invalid block type");
      if (out_.size() > out_size) return bad("more data than the entry declares");
    } while (!last);
    if (out_.size() != out_size) return bad("less data than the entry declares");
    return {};
  }
  std::vector<std::byte> take() { return std::move(out_); }

 private:
  std::span<const std::byte> in_;
  size_t pos_ = 0;
  uint64_t bitbuf_ = 0;
  int bitcnt_ = 0;
  std::vector<std::byte> out_;

  static Error bad(const char* why) { return Error(Exit::Input, "corrupt deflate data: ", why); }

  void refill() {
    while (bitcnt_ <= 56 && pos_ < in_.size()) {
      bitbuf_ |= static_cast<uint64_t>(std::to_integer<uint8_t>(in_[pos_++])) << bitcnt_;
      bitcnt_ += 8;
    }
  }
  Expected<int> bits(int need) {
    if (bitcnt_ < need) refill();
    if (bitcnt_ < need) return bad("unexpected end of data");
    int v = static_cast<int>(bitbuf_ & ((uint64_t{1} << need) - 1));
    bitbuf_ >>= need;
    bitcnt_ -= need;
    return v;
  }

  Status stored() {
    bitbuf_ >>= bitcnt_ % 8;  // to a byte boundary
    bitcnt_ -= bitcnt_ % 8;
    // Give back whole bytes still in the bit buffer.
    pos_ -= bitcnt_ / 8;
    bitbuf_ = 0;
    bitcnt_ = 0;
    if (pos_ + 4 > in_.size()) return bad("truncated stored block");
    auto b = [&](size_t i) { return std::to_integer<unsigned>(in_[pos_ + i]); };
    unsigned len = b(0) | (b(1) << 8), nlen = b(2) | (b(3) << 8);
    if (len != (~nlen & 0xffffu)) return bad("stored block length check failed");
    pos_ += 4;
    if (pos_ + len > in_.size()) return bad("truncated stored block");
    out_.insert(out_.end(), in_.begin() + pos_, in_.begin() + pos_ + len);
    pos_ += len;
    return {};
  }

  static Status build(Huffman& h, const uint16_t* lengths, int n) {
    h.count.fill(0);
    for (int s = 0; s < n; ++s) h.count[lengths[s]]++;
    if (h.count[0] == n) {  // no codes: a valid but empty table
      h.symbol.clear();
      h.fast.fill(0);
      return {};
    }
    int left = 1;
    for (int len = 1; len <= kMaxBits; ++len) {
      left <<= 1;
      left -= h.count[len];
      if (left < 0) return bad("over-subscribed code");
    }
    std::array<uint16_t, kMaxBits + 2> offs{};
    for (int len = 1; len < kMaxBits; ++len) offs[len + 1] = offs[len] + h.count[len];
    h.symbol.assign(n, 0);
    for (int s = 0; s < n; ++s)
      if (lengths[s]) h.symbol[offs[lengths[s]]++] = static_cast<uint16_t>(s);
    // Fast table: walk codes in canonical order.
    h.fast.fill(0);
    int code = 0, index = 0;
    for (int len = 1; len <= Huffman::kFast; ++len) {
      for (int k = 0; k < h.count[len]; ++k, ++code, ++index) {
        // Deflate sends codes MSB first; the bit buffer is LSB first: reverse.
        int rev = 0;
        for (int b = 0; b < len; ++b) rev |= ((code >> b) & 1) << (len - 1 - b);
        for (int fill = rev; fill < (1 << Huffman::kFast); fill += 1 << len)
          h.fast[fill] = static_cast<uint16_t>((h.symbol[index] << 4) | len);
      }
      code <<= 1;
    }
    return {};
  }

  Expected<int> decode(const Huffman& h) {
    if (bitcnt_ < Huffman::kFast) refill();
    if (bitcnt_ >= Huffman::kFast) {
      uint16_t e = h.fast[bitbuf_ & ((1u << Huffman::kFast) - 1)];
      if (e) {
        int len = e & 15;
        bitbuf_ >>= len;
        bitcnt_ -= len;
        return e >> 4;
      }
    }
    int code = 0, first = 0, index = 0;  // slow path: bit by bit (puff)
    for (int len = 1; len <= kMaxBits; ++len) {
      DNNC_ASSIGN(int b, bits(1));
      code |= b;
      int count = h.count[len];
      if (code - count < first) return h.symbol[index + (code - first)];
      index += count;
      first += count;
      first <<= 1;
      code <<= 1;
    }
    return bad("invalid code");
  }

  Status codes(const Huffman& lencode, const Huffman& distcode) {
    static constexpr uint16_t kLenBase[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
                                              35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static constexpr uint16_t kLenExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
                                               3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static constexpr uint16_t kDistBase[30] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129,
                                               193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
                                               6145, 8193, 12289, 16385, 24577};
    static constexpr uint16_t kDistExtra[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6,
                                                6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    for (;;) {
      DNNC_ASSIGN(int sym, decode(lencode));
      if (sym < 256) {
        out_.push_back(static_cast<std::byte>(sym));
      } else if (sym == 256) {
        return {};
      } else {
        sym -= 257;
        if (sym >= 29) return bad("invalid length symbol");
        DNNC_ASSIGN(int extra, bits(kLenExtra[sym]));
        size_t len = kLenBase[sym] + extra;
        DNNC_ASSIGN(int dsym, decode(distcode));
        if (dsym >= 30) return bad("invalid distance symbol");
        DNNC_ASSIGN(int dextra, bits(kDistExtra[dsym]));
        size_t dist = kDistBase[dsym] + dextra;
        if (dist > out_.size()) return bad("distance too far back");
        size_t from = out_.size() - dist;
        for (size_t i = 0; i < len; ++i) out_.push_back(out_[from + i]);
      }
    }
  }

  Status fixed() {
    static Huffman lencode, distcode;
    static bool ready = [] {
      uint16_t lengths[288];
      int s = 0;
      for (; s < 144; ++s) lengths[s] = 8;
      for (; s < 256; ++s) lengths[s] = 9;
      for (; s < 280; ++s) lengths[s] = 7;
      for (; s < 288; ++s) lengths[s] = 8;
      (void)build(lencode, lengths, 288);
      for (s = 0; s < 30; ++s) lengths[s] = 5;
      (void)build(distcode, lengths, 30);
      return true;
    }();
    (void)ready;
    return codes(lencode, distcode);
  }

  Status dynamic() {
    static constexpr uint8_t kOrder[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    DNNC_ASSIGN(int nlen, bits(5));
    DNNC_ASSIGN(int ndist, bits(5));
    DNNC_ASSIGN(int ncode, bits(4));
    nlen += 257;
    ndist += 1;
    ncode += 4;
    if (nlen > 286 || ndist > 30) return bad("bad counts");
    uint16_t lengths[320] = {};
    for (int i = 0; i < ncode; ++i) {
      DNNC_ASSIGN(int v, bits(3));
      lengths[kOrder[i]] = static_cast<uint16_t>(v);
    }
    Huffman lencode, distcode;
    DNNC_TRY(build(lencode, lengths, 19));
    int index = 0;
    while (index < nlen + ndist) {
      DNNC_ASSIGN(int sym, decode(lencode));
      if (sym < 16) {
        lengths[index++] = static_cast<uint16_t>(sym);
        continue;
      }
      uint16_t len = 0;
      int repeat;
      if (sym == 16) {
        if (index == 0) return bad("repeat with no first length");
        len = lengths[index - 1];
        DNNC_ASSIGN(int r, bits(2));
        repeat = 3 + r;
      } else if (sym == 17) {
        DNNC_ASSIGN(int r, bits(3));
        repeat = 3 + r;
      } else {
        DNNC_ASSIGN(int r, bits(7));
        repeat = 11 + r;
      }
      if (index + repeat > nlen + ndist) return bad("too many lengths");
      while (repeat--) lengths[index++] = len;
    }
    if (lengths[256] == 0) return bad("no end-of-block code");
    DNNC_TRY(build(lencode, lengths, nlen));
    DNNC_TRY(build(distcode, lengths + nlen, ndist));
    return codes(lencode, distcode);
  }
};

}  // namespace

Expected<std::vector<std::byte>> inflateRaw(std::span<const std::byte> in, size_t out_size) {
  Inflater inf(in, out_size);
  DNNC_TRY(inf.run(out_size));
  return inf.take();
}

uint32_t crc32(std::span<const std::byte> data, uint32_t crc) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (std::byte b : data) crc = table[(crc ^ std::to_integer<uint32_t>(b)) & 0xffu] ^ (crc >> 8);
  return ~crc;
}

}  // namespace dnnc
