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

namespace {

// Histograms of the gaps and values of a sequence of (gap, value) entries: short gaps counted
// directly, the few long ones sorted after (no table sized by the longest gap); and, when
// dc_gap_bits is not 0, those of Deep Compression's fillers-and-entries stream.
struct Histograms {
  static constexpr uint64_t kDirect = 4096;
  explicit Histograms(unsigned dc_bits) : dc_gap_bits(dc_bits), dc_gap_counts(dc_bits ? size_t(1) << dc_bits : 0, 0) {}
  void add(uint64_t gap, uint16_t value) {
    ++nonzeros;
    if (gap < kDirect) ++gap_counts[gap];
    else long_gaps.push_back(gap);
    if (value >= value_counts.size()) value_counts.resize(size_t(value) + 1, 0);
    ++value_counts[value];
    if (dc_gap_bits == 0) return;
    // Deep Compression: a gap of 2^B or more zeros needs fillers (gap 2^B - 1, value 0).
    const uint64_t span = uint64_t(1) << dc_gap_bits;
    const uint64_t fillers = gap >> dc_gap_bits;  // shifts: a division here costs more than the rest
    dc_gap_counts[span - 1] += fillers;
    dc_fillers += fillers;
    ++dc_gap_counts[gap & (span - 1)];
  }
  // Appends the long gaps' counts to gap_counts (their order does not matter to the entropy).
  void foldLongGaps() {
    std::sort(long_gaps.begin(), long_gaps.end());
    for (size_t i = 0; i < long_gaps.size();) {
      size_t j = i;
      while (j < long_gaps.size() && long_gaps[j] == long_gaps[i]) ++j;
      gap_counts.push_back(j - i);
      i = j;
    }
    long_gaps.clear();
  }
  unsigned dc_gap_bits;
  uint64_t nonzeros = 0, dc_fillers = 0;
  std::vector<uint64_t> gap_counts = std::vector<uint64_t>(kDirect, 0), long_gaps;
  std::vector<uint64_t> value_counts = std::vector<uint64_t>(1, 0);
  std::vector<uint64_t> dc_gap_counts;
};

// The entropy bound's gap part: a dense array (no zero anywhere) has no positions to code.
double gapEntropyBits(Histograms& h, uint64_t count) {
  h.foldLongGaps();
  return h.nonzeros == count ? 0.0 : fm::entropyBits(h.gap_counts);
}

SparseBounds boundsOf(Histograms& h, uint64_t count) {
  SparseBounds b;
  b.dc_gap_bits = h.dc_gap_bits;
  b.nonzeros = h.nonzeros;
  b.entropy_gap_bits = gapEntropyBits(h, count);
  b.entropy_bits = b.entropy_gap_bits + fm::entropyBits(h.value_counts);
  // DC's values: the nonzeros' plus the fillers' zeros.
  std::vector<uint64_t> dc_value_counts = h.value_counts;
  dc_value_counts[0] = h.dc_fillers;
  b.dc_bits = huffmanBits(h.dc_gap_counts) + huffmanBits(dc_value_counts);
  return b;
}

}  // namespace

SparseBounds sparseBounds(std::span<const uint16_t> symbols, unsigned dc_gap_bits) {
  Histograms h(dc_gap_bits);
  uint64_t run = 0;
  for (uint16_t s : symbols) {
    if (s == 0) {
      ++run;
      continue;
    }
    h.add(run, s);
    run = 0;
  }
  return boundsOf(h, symbols.size());
}

SparseBounds sparseBounds(const fm::SparseEntries& e, unsigned dc_gap_bits) {
  Histograms h(dc_gap_bits);
  for (size_t i = 0; i < e.values.size(); ++i) h.add(e.gaps[i], uint16_t(e.values[i]));
  return boundsOf(h, e.count);
}

double sparseEntropyBits(const fm::SparseEntries& e) {
  Histograms h(0);
  for (size_t i = 0; i < e.values.size(); ++i) h.add(e.gaps[i], uint16_t(e.values[i]));
  return gapEntropyBits(h, e.count) + fm::entropyBits(h.value_counts);
}

}  // namespace dnnc::pack
