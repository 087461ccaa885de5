// csr-ac: relative-index sparse coding with an adaptive binary range coder instead of Huffman tables.
// The same (gap, value) entries as csr.h (gap = zeros since the previous nonzero, no fillers), each
// coded with context-adaptive bit models:
//   gap:   u = gap + 1; its bit length class e = floor(log2 u) through a 6-level binary tree, then
//          the bits of u below its leading one, the first kGapTreeBits of them through a binary tree
//          owned by class e and the rest with one model per (e, bit position);
//   value: its b bits, most significant first, through a binary tree of 2^b models.
// No code table is stored: the models start at 1/2 and learn as they go (Krichevsky-Trofimov), so
// small tensors pay no table overhead and large ones approach the empirical entropy of their gaps
// and values, including the part Huffman loses to whole-bit code lengths.
// Layout and decoder checks: docs/formats/csr-ac.md.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "formats/csr.h"
#include "lib/support/error.h"

namespace dnnc::formats {

inline constexpr unsigned kGapTreeBits = 4;
inline constexpr unsigned kMaxCsrAcValueBits = 16;

// Ideal code length of an encoded stream, split into its parts (for the pack report's index share).
struct CsrAcCost {
  double gap_bits = 0;    // sum of -log2 p over the gaps' binary decisions
  double value_bits = 0;  // the same over the values'
};

// values: symbols with 0 = zero; every value < 2^16. cost, when given, receives the split.
std::vector<uint8_t> csrAcEncode(std::span<const uint32_t> values, CsrAcCost* cost = nullptr);
// The same from the array's (gap, value) entries (sparseEntries(values)), for callers that have them.
std::vector<uint8_t> csrAcEncode(const SparseEntries& entries, CsrAcCost* cost = nullptr);
// max_count bounds the array length (the caller's element count); max_value bounds every value.
Expected<std::vector<uint32_t>> csrAcDecode(std::span<const uint8_t> bytes, uint64_t max_count,
                                            uint32_t max_value = 0xFFFF);
// The same checks, returning the (gap, value) entries instead of the expanded array (callers that
// write the array themselves skip a pass over it).
Expected<SparseEntries> csrAcDecodeEntries(std::span<const uint8_t> bytes, uint64_t max_count,
                                           uint32_t max_value = 0xFFFF);

}  // namespace dnnc::formats
