// Raw DEFLATE (RFC 1951) decoding and CRC-32, for .npz members written by np.savez_compressed. Small and
// self-contained (after Mark Adler's puff), so dnnc needs no zlib.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "lib/support/error.h"

namespace dnnc {

// Decodes a raw deflate stream whose decoded size is known (a zip entry's uncompressed size).
Expected<std::vector<std::byte>> inflateRaw(std::span<const std::byte> in, size_t out_size);

uint32_t crc32(std::span<const std::byte> data, uint32_t crc = 0);

}  // namespace dnnc
