// Lossless codebook view of a tensor that holds few distinct values (weights shared by `share
// materialize=true` or by another tool, Gather indices, masks): a table of the distinct element
// bit patterns and one symbol per element. Symbol 0 is the all-zero pattern when present (pruned
// weights), else the most frequent value, so sparse codecs skip it; the rest follow in ascending
// order of their bit patterns.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "formats/csr.h"

namespace dnnc::pack {

inline constexpr size_t kMaxSymbols = size_t(1) << 16;

struct Symbolized {
  unsigned width = 0;                // bytes per table entry (= element width)
  std::vector<uint64_t> table;       // distinct element bit patterns
  std::vector<uint16_t> symbols;     // per element
  std::vector<uint64_t> counts;      // per table entry: elements with that symbol
  bool zero_present = false;         // table[0] is the all-zero pattern
  uint64_t nonzeros() const;         // elements whose symbol is not 0
};

// Elements are `count` little-endian values of `width` bytes. nullopt when more than max_table
// distinct values occur (the scan stops as soon as that is known).
std::optional<Symbolized> symbolize(std::span<const uint8_t> data, unsigned width, size_t max_table = kMaxSymbols);
// The element bytes again.
std::vector<uint8_t> desymbolize(std::span<const uint64_t> table, unsigned width, std::span<const uint16_t> symbols);
std::vector<uint8_t> desymbolize(std::span<const uint64_t> table, unsigned width, std::span<const uint32_t> symbols);
// The element bytes of symbols given as sparse (gap, value) entries (symbol 0 elsewhere), without
// the expanded symbol array in between.
std::vector<uint8_t> desymbolizeSparse(std::span<const uint64_t> table, unsigned width, const formats::SparseEntries& e);

}  // namespace dnnc::pack
