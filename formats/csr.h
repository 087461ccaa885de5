// Relative-index sparse coding of a flat array (Han, Mao, Dally, "Deep Compression", ICLR 2016, Sec. 2
// and Fig. 2), in two gap codings:
//
//  * plain ("the Deep Compression count"): each stored entry is a B-bit gap and a b-bit value. The gap
//    is the number of zeros skipped since the previous entry (Han's index difference minus one). A run
//    of 2^B or more zeros cannot be expressed, so a filler entry (gap 2^B - 1, value 0) is inserted,
//    as in the paper. Size = (nnz + fillers) * (B + b) bits, plus a small header.
//  * csr-huffman (ours): gaps are Huffman-coded over 0..K-1 plus an escape symbol followed by an
//    exp-Golomb code of gap - K, so any gap is one entry and no filler is ever needed; values are
//    Huffman-coded, fixed-width or one constant, whichever is smallest. K (0 = exp-Golomb only) and
//    the escape order are chosen per array to minimise the exact size.
//
// Values are symbols (codebook indices or quantised values) with 0 meaning "zero / pruned". Trailing
// zeros after the last nonzero cost nothing: the header stores the array length. Decoders need the
// caller's bound on that length (max_count, e.g. the tensor's element count) because a tiny stream
// may legitimately describe a huge all-zero array. Layouts: docs/formats/csr.md.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "lib/support/error.h"

namespace dnnc::formats {

// The nonzeros of an array as (gap, value) pairs: gap = zeros since the previous nonzero.
struct SparseEntries {
  uint64_t count = 0;            // array length
  std::vector<uint64_t> gaps;
  std::vector<uint32_t> values;  // all nonzero
};
SparseEntries sparseEntries(std::span<const uint32_t> values);
SparseEntries sparseEntries(std::span<const uint16_t> values);
// The array back from its entries (entries that a decoder has checked to lie inside it).
std::vector<uint32_t> expandEntries(const SparseEntries& entries);

// Bits needed for the largest value (at least 1).
unsigned valueBitsFor(std::span<const uint32_t> values);
// The median of the (nonzero) values, at least 1: the split of csr-ac's and csr-ans's value
// contexts, so both see about half of the values.
uint32_t medianValue(std::span<const uint32_t> values);

// --- plain form: fixed B-bit gaps, b-bit values, filler zeros -------------------------------------
inline constexpr unsigned kMaxCsrGapBits = 16;

// Filler entries the plain form inserts for B-bit gaps: sum over nonzeros of floor(gap / 2^B).
uint64_t csrPlainFillers(const SparseEntries& e, unsigned gap_bits);
// The Deep Compression count: (nnz + fillers) * (gap_bits + value_bits), payload bits only.
uint64_t csrPlainPayloadBits(const SparseEntries& e, unsigned gap_bits, unsigned value_bits);
// Exact size of csrPlainEncode's output.
uint64_t csrPlainEncodedBytes(const SparseEntries& e, unsigned gap_bits, unsigned value_bits);
// The gap width in 1..16 with the smallest payload (ties: narrower).
unsigned bestCsrPlainGapBits(const SparseEntries& e, unsigned value_bits);

// gap_bits in 1..16; value_bits in 1..32 and wide enough for every value (0 = valueBitsFor(values)).
std::vector<uint8_t> csrPlainEncode(std::span<const uint32_t> values, unsigned gap_bits, unsigned value_bits = 0);
Expected<std::vector<uint32_t>> csrPlainDecode(std::span<const uint8_t> bytes, uint64_t max_count);

// --- csr-huffman: Huffman gaps with exp-Golomb escapes, no fillers ----------------------------------
struct CsrHuffmanPlan {
  uint32_t escape_threshold = 0;  // K: gaps >= K are coded as the escape symbol K + expGolomb(gap - K)
  unsigned escape_order = 0;      // exp-Golomb order of the escapes
  enum class ValueMode { Fixed, Huffman, Constant } value_mode = ValueMode::Fixed;
  unsigned value_bits = 0;        // width of the values (used as such when Fixed)
  uint64_t gap_bits = 0;          // gap table + gap codes + escapes
  uint64_t value_bits_total = 0;  // value table (or width field) + value codes
  uint64_t total_bytes = 0;       // exact size of csrHuffmanEncode's output
};
// The choices csrHuffmanEncode makes and the exact size they give, without encoding.
CsrHuffmanPlan planCsrHuffman(const SparseEntries& e);
std::vector<uint8_t> csrHuffmanEncode(std::span<const uint32_t> values);
// From sparseEntries(values); plan, when given, receives the choices made (planCsrHuffman's result).
std::vector<uint8_t> csrHuffmanEncode(const SparseEntries& entries, CsrHuffmanPlan* plan = nullptr);
Expected<std::vector<uint32_t>> csrHuffmanDecode(std::span<const uint8_t> bytes, uint64_t max_count);

}  // namespace dnnc::formats
