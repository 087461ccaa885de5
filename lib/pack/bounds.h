// The two yardsticks the pack report puts beside each codebook-coded tensor:
//  * the entropy bound: the empirical zero-order Shannon entropy of the nonzero symbols plus that of
//    the gaps (zeros before each nonzero, unbounded), the least any coder of (gap, value) pairs that
//    treats them as independent draws can spend; for a dense tensor just the symbols' entropy;
//  * the Deep Compression count (Han et al. 2016, Sec. 2-4): relative-index CSR with B-bit gaps and
//    filler zeros (B = 8 for conv kernels, 5 otherwise, as in the paper), with the gap and value
//    (codebook index) streams each Huffman-coded (payload bits of optimal codes, tables not counted).
// Both exclude the codebook table itself, which the caller adds at its stored width.
#pragma once
#include <cstdint>
#include <span>

#include "formats/csr.h"

namespace dnnc::pack {

struct SparseBounds {
  uint64_t nonzeros = 0;
  double entropy_bits = 0;
  double entropy_gap_bits = 0;
  uint64_t dc_bits = 0;
  unsigned dc_gap_bits = 0;
};

// symbols: 0 = zero. dc_gap_bits in 1..16.
SparseBounds sparseBounds(std::span<const uint16_t> symbols, unsigned dc_gap_bits);
// The same from the symbols' (gap, value) entries (formats::sparseEntries), for callers that have
// them: one step per nonzero instead of per element.
SparseBounds sparseBounds(const formats::SparseEntries& entries, unsigned dc_gap_bits);
// Just the entropy bound of the entries (no Huffman codes built): also a lower bound on any body
// that codes each gap and each value with a prefix code, as csr-huffman does.
double sparseEntropyBits(const formats::SparseEntries& entries);

}  // namespace dnnc::pack
