// zstd compression of a byte buffer: the general-purpose fallback codec of the container, for tensors
// no structured codec suits (dense float weights, metadata).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "lib/support/error.h"

namespace dnnc::formats {

// One zstd frame with its content size recorded. `level` must lie in zstdLevelRange() (negative
// levels are zstd's fast modes); Exit::Usage otherwise.
// `prefix`, when given, is a raw-content dictionary (zstd's referenced prefix): text the data is
// likely to repeat, which the decoder must be given too.
Expected<std::vector<uint8_t>> zstdCompress(std::span<const uint8_t> data, int level, std::span<const uint8_t> prefix = {});
// Decompresses exactly one frame that records its content size, at most max_size bytes. Memory grows
// with the output actually produced, so a forged size cannot cause a huge allocation; trailing bytes,
// a missing size, a size mismatch or a bad checksum are errors (Exit::Input).
Expected<std::vector<uint8_t>> zstdDecompress(std::span<const uint8_t> frame, uint64_t max_size,
                                              std::span<const uint8_t> prefix = {});

struct ZstdLevelRange {
  int min;
  int max;
};
ZstdLevelRange zstdLevelRange();

}  // namespace dnnc::formats
