// LEB128 unsigned varints: the byte-aligned headers of the dnnc codecs (element counts, entry counts).
// Seven bits per byte, least significant group first, high bit set on every byte but the last.
// The decoder accepts only the shortest encoding of a value, so every value has exactly one encoding
// and a header's size is an exact function of its values (varintSize), which the analytic size
// formulas of csr.h rely on.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "lib/support/error.h"

namespace dnnc::formats {

void appendVarint(std::vector<uint8_t>& out, uint64_t value);
// Bytes appendVarint writes for `value` (1..10).
size_t varintSize(uint64_t value);
// Reads a varint at `pos` and advances it; errors on truncation, overlong encodings and overflow.
Expected<uint64_t> readVarint(std::span<const uint8_t> in, size_t& pos);

}  // namespace dnnc::formats
