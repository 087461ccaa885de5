// CRC-32 (IEEE 802.3 / zlib / PNG: reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF),
// which the container header uses to detect corrupt sections. Slicing-by-8, about 1-2 GB/s.
#pragma once
#include <cstdint>
#include <span>

namespace dnnc::formats {

// CRC of `data`; pass a previous result as `crc` to continue a running checksum over several pieces:
// crc32(b, crc32(a)) == crc32(a + b).
uint32_t crc32(std::span<const uint8_t> data, uint32_t crc = 0);

}  // namespace dnnc::formats
