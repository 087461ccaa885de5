#include "formats/varint.h"

namespace dnnc::formats {

void appendVarint(std::vector<uint8_t>& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(uint8_t(value | 0x80));
    value >>= 7;
  }
  out.push_back(uint8_t(value));
}

size_t varintSize(uint64_t value) {
  size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

Expected<uint64_t> readVarint(std::span<const uint8_t> in, size_t& pos) {
  uint64_t value = 0;
  for (unsigned i = 0; i < 10; ++i) {
    if (pos >= in.size()) return Error(Exit::Input, "truncated varint at byte ", pos);
    uint8_t byte = in[pos++];
    uint64_t group = byte & 0x7f;
    if (i == 9 && group > 1) return Error(Exit::Input, "varint overflows 64 bits");
    value |= group << (7 * i);
    if ((byte & 0x80) == 0) {
      // A final zero group after the first byte means a shorter encoding existed.
      if (i > 0 && group == 0) return Error(Exit::Input, "overlong varint at byte ", pos - 1);
      return value;
    }
  }
  return Error(Exit::Input, "varint longer than 10 bytes");
}

}  // namespace dnnc::formats
