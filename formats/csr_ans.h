// csr-ans: relative-index sparse coding with static rANS tables per context, for decoding speed.
// The same (gap, value) entries as csr.h and the same two small contexts as csr-ac (the previous
// gap's length class for a gap, whether the previous value is below the median for a value), but
// each entry is two table-driven symbols instead of about 14 adaptive binary decisions:
//   gap:   0..23 as themselves; longer gaps as a bucket symbol (bit-length class and the 2 bits
//          below the leading one) plus the remaining low bits as uniform symbols;
//   value: the codebook index itself.
// Per context a frequency table quantised to 2^p (p = 9..16, whichever makes the body smallest) is
// stored range-coded in the body; the symbols go through one rANS state (32 bits, 16-bit words).
// On LeNet-300-100's first layer it is as small as csr-ac (within 0.1 %: the tables cost about what
// csr-ac's models spend learning) and encodes and decodes about 4x faster. Layout and checks: docs/formats/csr-ans.md.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "formats/csr.h"
#include "formats/csr_arith.h"
#include "lib/support/error.h"

namespace dnnc::formats {

// values: symbols with 0 = zero, every value < 2^16. cost, when given, receives the ideal code
// length of the symbols split into gaps and values (csr-ac's report type).
std::vector<uint8_t> csrAnsEncode(const SparseEntries& entries, CsrAcCost* cost = nullptr);
std::vector<uint8_t> csrAnsEncode(std::span<const uint32_t> values, CsrAcCost* cost = nullptr);
// max_count bounds the array length (the caller's element count); max_value bounds every value.
Expected<SparseEntries> csrAnsDecodeEntries(std::span<const uint8_t> bytes, uint64_t max_count,
                                            uint32_t max_value = 0xFFFF);
Expected<std::vector<uint32_t>> csrAnsDecode(std::span<const uint8_t> bytes, uint64_t max_count,
                                             uint32_t max_value = 0xFFFF);

}  // namespace dnnc::formats
