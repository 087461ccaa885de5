#include "lib/pack/bounds.h"

#include <algorithm>
#include <vector>

#include "formats/entropy.h"
#include "formats/huffman.h"

namespace dnnc::pack {

namespace fm = dnnc::formats;

namespace {

// Payload bits of an optimal Huffman code for these counts (16-bit length limit).
uint64_t huffmanBits(const std::vector<uint64_t>& counts) {
  size_t used = 0;
  for (uint64_t c : counts) used += c != 0;
  if (used == 0) return 0;
  auto code = fm::HuffmanCode::fromCounts(counts, fm::kMaxHuffmanCodeLength);
  return code.payloadBits(counts);
}

}  // namespace

SparseBounds sparseBounds(std::span<const uint16_t> symbols, unsigned dc_gap_bits) {
  SparseBounds b;
  b.dc_gap_bits = dc_gap_bits;
  // Gap histogram as the gaps come: short gaps counted directly, the few long ones sorted after
  // (no list of every gap: a dense tensor has one per element).
  constexpr uint64_t kDirect = 4096;
  std::vector<uint64_t> gap_counts(kDirect, 0), long_gaps;
  std::vector<uint64_t> value_counts(1, 0), dc_value_counts(1, 0);
  std::vector<uint64_t> dc_gap_counts(size_t(1) << dc_gap_bits, 0);
  const uint64_t span = uint64_t(1) << dc_gap_bits;
  uint64_t run = 0;
  for (uint16_t s : symbols) {
    if (s == 0) { ++run; continue; }
    ++b.nonzeros;
    if (run < kDirect) ++gap_counts[run];
    else long_gaps.push_back(run);
    if (s >= value_counts.size()) value_counts.resize(size_t(s) + 1, 0);
    ++value_counts[s];
    // Deep Compression: a gap of 2^B or more zeros needs fillers (gap 2^B - 1, value 0).
    uint64_t fillers = run >> dc_gap_bits;  // shifts: a division here costs more than the rest
    dc_gap_counts[span - 1] += fillers;
    dc_value_counts[0] += fillers;
    ++dc_gap_counts[run & (span - 1)];
    run = 0;
  }
  // DC's values: the same as value_counts plus the fillers' zeros.
  dc_value_counts.resize(value_counts.size(), 0);
  for (size_t v = 1; v < value_counts.size(); ++v) dc_value_counts[v] = value_counts[v];
  std::sort(long_gaps.begin(), long_gaps.end());
  for (size_t i = 0; i < long_gaps.size();) {
    size_t j = i;
    while (j < long_gaps.size() && long_gaps[j] == long_gaps[i]) ++j;
    gap_counts.push_back(j - i);
    i = j;
  }
  // A dense tensor (no zero anywhere) has no positions to code.
  const bool dense = b.nonzeros == symbols.size();
  b.entropy_gap_bits = dense ? 0.0 : fm::entropyBits(gap_counts);
  b.entropy_bits = b.entropy_gap_bits + fm::entropyBits(value_counts);
  b.dc_bits = huffmanBits(dc_gap_counts) + huffmanBits(dc_value_counts);
  return b;
}

}  // namespace dnnc::pack
