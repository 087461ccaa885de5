// csr-huffman: relative-index sparse coding without filler zeros. Gaps are Huffman-coded over
// 0..K-1 plus an escape symbol K followed by an exp-Golomb code of gap - K; the encoder tries each K
// (0 = no Huffman code, every gap exp-Golomb coded; powers of two; max gap + 1 = never escape) and
// each escape order and keeps the smallest exact size. A long gap thus costs one escape code plus
// about 2 log2(gap) bits instead of gap / 2^B whole filler entries. Values are fixed-width,
// Huffman-coded, or a single constant (zero bits each), whichever is smallest.
// See csr.h and docs/formats/csr.md.
#include <algorithm>

#include "formats/bitstream.h"
#include "formats/csr.h"
#include "formats/huffman.h"
#include "formats/varint.h"
#include "lib/support/check.h"

namespace dnnc::formats {
namespace {

constexpr unsigned kMaxEscapeOrder = 24;
constexpr unsigned kEscapeOrderBits = 5;
constexpr unsigned kValueWidthBits = 5;  // value width - 1
constexpr unsigned kValueModeBits = 2;
enum ValueMode : uint32_t { kFixedValues = 0, kHuffmanValues = 1, kConstantValues = 2 };
constexpr uint32_t kMaxThreshold = uint32_t(kMaxHuffmanAlphabet - 1);
constexpr unsigned kGapCodeLimit = kDefaultHuffmanCodeLength;

// Total exp-Golomb bits of the escaped gaps (sorted ascending) for threshold K and order k: values
// v = gap - K in [2^t - 2^k, 2^(t+1) - 2^k) all cost 2t - k + 1 bits, so binary searches suffice.
uint64_t escapeBits(const std::vector<uint64_t>& sorted_gaps, uint64_t K, unsigned k) {
  auto first = std::lower_bound(sorted_gaps.begin(), sorted_gaps.end(), K);
  uint64_t bits = 0;
  for (unsigned t = k; t < 63 && first != sorted_gaps.end(); ++t) {
    uint64_t hi_v = (uint64_t(1) << (t + 1)) - (uint64_t(1) << k);  // exclusive upper bound of v
    auto last = hi_v > UINT64_MAX - K ? sorted_gaps.end()
                                      : std::lower_bound(first, sorted_gaps.end(), K + hi_v);
    bits += uint64_t(last - first) * (2 * t - k + 1);
    first = last;
  }
  return bits;
}

struct GapChoice {
  uint32_t threshold;
  unsigned order;
  HuffmanCode code;
  std::vector<uint64_t> counts;
  uint64_t bits;
};

// The gaps in ascending order: short ones (nearly all) by counting, the rest by sorting.
std::vector<uint64_t> sortedGaps(const std::vector<uint64_t>& gaps) {
  constexpr uint64_t kDirect = 4096;
  std::vector<uint64_t> counts(kDirect, 0), sorted, long_gaps;
  for (uint64_t g : gaps) {
    if (g < kDirect) ++counts[g];
    else long_gaps.push_back(g);
  }
  sorted.reserve(gaps.size());
  for (uint64_t g = 0; g < kDirect; ++g) sorted.insert(sorted.end(), counts[g], g);
  std::sort(long_gaps.begin(), long_gaps.end());
  sorted.insert(sorted.end(), long_gaps.begin(), long_gaps.end());
  return sorted;
}

GapChoice chooseGapCoding(const SparseEntries& e) {
  const std::vector<uint64_t> sorted = sortedGaps(e.gaps);
  const uint64_t max_gap = sorted.back();
  std::vector<uint64_t> candidates{0};
  for (uint64_t K = 1; K <= kMaxThreshold && K <= max_gap; K *= 2) candidates.push_back(K);
  if (max_gap + 1 <= kMaxThreshold) candidates.push_back(max_gap + 1);
  // Histogram of the small gaps once; each candidate folds the rest into its escape symbol.
  const uint64_t top = std::min<uint64_t>(max_gap + 1, kMaxThreshold);
  std::vector<uint64_t> histogram(top + 1, 0);
  for (uint64_t g : e.gaps) ++histogram[std::min(g, top)];

  GapChoice best{0, 0, {}, {}, UINT64_MAX};
  for (uint64_t K : candidates) {
    std::vector<uint64_t> counts(histogram.begin(), histogram.begin() + ptrdiff_t(K));
    uint64_t escapes = uint64_t(sorted.end() - std::lower_bound(sorted.begin(), sorted.end(), K));
    counts.push_back(escapes);
    while (!counts.empty() && counts.back() == 0) counts.pop_back();
    HuffmanCode code;  // K = 0: no code, every gap is an escape with no escape symbol
    uint64_t code_bits = 0;
    if (K != 0) {
      code = HuffmanCode::fromCounts(counts, kGapCodeLimit);
      code_bits = code.tableBits() + code.payloadBits(counts);
    }
    unsigned order = 0;
    uint64_t esc_bits = 0;
    if (escapes != 0) {
      esc_bits = UINT64_MAX;
      for (unsigned k = 0; k <= kMaxEscapeOrder; ++k) {
        uint64_t b = escapeBits(sorted, K, k);
        if (b < esc_bits) {
          esc_bits = b;
          order = k;
        }
      }
    }
    uint64_t bits = expGolombBits(K, 0) + kEscapeOrderBits + code_bits + esc_bits;
    if (bits < best.bits) best = GapChoice{uint32_t(K), order, std::move(code), std::move(counts), bits};
  }
  return best;
}

struct ValueChoice {
  ValueMode mode;
  unsigned width;
  HuffmanCode code;
  uint64_t bits;  // including the mode field
};

ValueChoice chooseValueCoding(const SparseEntries& e) {
  const uint32_t first = e.values.front();
  if (std::all_of(e.values.begin(), e.values.end(), [&](uint32_t v) { return v == first; })) {
    return ValueChoice{kConstantValues, 0, {}, kValueModeBits + expGolombBits(first, 0)};
  }
  const unsigned width = valueBitsFor(e.values);
  ValueChoice fixed{kFixedValues, width, {}, kValueModeBits + kValueWidthBits + uint64_t(e.values.size()) * width};
  if (width > 16) return fixed;  // beyond the Huffman alphabet
  std::vector<uint64_t> counts(size_t(1) << width, 0);
  for (uint32_t v : e.values) ++counts[v];
  while (counts.back() == 0) counts.pop_back();
  HuffmanCode code = HuffmanCode::fromCounts(counts);
  uint64_t bits = kValueModeBits + code.tableBits() + code.payloadBits(counts);
  if (bits < fixed.bits) return ValueChoice{kHuffmanValues, width, std::move(code), bits};
  return fixed;
}

uint64_t headerBytes(const SparseEntries& e) { return varintSize(e.count) + varintSize(e.gaps.size()); }

// The plan of choices g and v for e.
CsrHuffmanPlan planOf(const SparseEntries& e, const GapChoice& g, const ValueChoice& v) {
  CsrHuffmanPlan plan;
  plan.escape_threshold = g.threshold;
  plan.escape_order = g.order;
  plan.value_mode = v.mode == kFixedValues ? CsrHuffmanPlan::ValueMode::Fixed
                   : v.mode == kHuffmanValues ? CsrHuffmanPlan::ValueMode::Huffman
                                              : CsrHuffmanPlan::ValueMode::Constant;
  plan.value_bits = v.width;
  plan.gap_bits = g.bits;
  plan.value_bits_total = v.bits;
  plan.total_bytes = headerBytes(e) + (g.bits + v.bits + 7) / 8;
  return plan;
}

}  // namespace

CsrHuffmanPlan planCsrHuffman(const SparseEntries& e) {
  if (e.gaps.empty()) return CsrHuffmanPlan{.total_bytes = headerBytes(e)};
  return planOf(e, chooseGapCoding(e), chooseValueCoding(e));
}

std::vector<uint8_t> csrHuffmanEncode(std::span<const uint32_t> values) { return csrHuffmanEncode(sparseEntries(values)); }

std::vector<uint8_t> csrHuffmanEncode(const SparseEntries& e, CsrHuffmanPlan* plan) {
  std::vector<uint8_t> out;
  appendVarint(out, e.count);
  appendVarint(out, e.gaps.size());
  if (e.gaps.empty()) {
    if (plan) *plan = CsrHuffmanPlan{.total_bytes = out.size()};
    return out;
  }
  GapChoice g = chooseGapCoding(e);
  ValueChoice v = chooseValueCoding(e);
  if (plan) *plan = planOf(e, g, v);
  BitWriter w;
  w.writeExpGolomb(g.threshold, 0);
  w.write(g.order, kEscapeOrderBits);
  if (g.threshold != 0) g.code.write(w);
  w.write(v.mode, kValueModeBits);
  if (v.mode == kHuffmanValues) v.code.write(w);
  if (v.mode == kFixedValues) w.write(v.width - 1, kValueWidthBits);
  if (v.mode == kConstantValues) w.writeExpGolomb(e.values.front(), 0);
  for (size_t i = 0; i < e.gaps.size(); ++i) {
    uint64_t gap = e.gaps[i];
    if (gap >= g.threshold) {
      if (g.threshold != 0) g.code.encode(w, g.threshold);
      w.writeExpGolomb(gap - g.threshold, g.order);
    } else {
      g.code.encode(w, uint32_t(gap));
    }
    if (v.mode == kHuffmanValues) v.code.encode(w, e.values[i]);
    if (v.mode == kFixedValues) w.writeWide(e.values[i], v.width);
  }
  DNNC_CHECK(w.bitSize() == g.bits + v.bits, "csr-huffman size plan disagrees with the encoder");
  w.finishInto(out);
  return out;
}

Expected<std::vector<uint32_t>> csrHuffmanDecode(std::span<const uint8_t> bytes, uint64_t max_count) {
  size_t pos = 0;
  DNNC_ASSIGN(uint64_t count, readVarint(bytes, pos));
  DNNC_ASSIGN(uint64_t nnz, readVarint(bytes, pos));
  if (count > max_count) {
    return Error(Exit::Input, "corrupt csr-huffman header: ", count, " elements, more than the expected ", max_count);
  }
  if (nnz > count) return Error(Exit::Input, "corrupt csr-huffman header: ", nnz, " nonzeros in ", count, " elements");
  BitReader r(bytes.subspan(pos));
  // Every entry costs at least one bit (its gap), which bounds nnz by the input size.
  if (nnz > r.bitsLeft()) {
    return Error(Exit::Input, "corrupt csr-huffman header: ", nnz, " nonzeros in ", r.bitsLeft(), " bits");
  }
  std::vector<uint32_t> out(count, 0);
  if (nnz == 0) {
    if (pos != bytes.size()) return Error(Exit::Input, "corrupt csr-huffman stream: trailing bytes");
    return out;
  }
  DNNC_ASSIGN(uint64_t threshold, r.readExpGolomb(0));
  if (threshold > kMaxThreshold) {
    return Error(Exit::Input, "corrupt csr-huffman stream: escape threshold ", threshold);
  }
  DNNC_ASSIGN(uint64_t order, r.read(kEscapeOrderBits));
  if (order > kMaxEscapeOrder) return Error(Exit::Input, "corrupt csr-huffman stream: escape order ", order);
  HuffmanCode gap_code;
  if (threshold != 0) {
    DNNC_ASSIGN(gap_code, HuffmanCode::read(r));
    if (gap_code.alphabetSize() > threshold + 1) {
      return Error(Exit::Input, "corrupt csr-huffman stream: gap alphabet of ", gap_code.alphabetSize(),
                   " symbols exceeds threshold ", threshold, " + 1");
    }
  }
  DNNC_ASSIGN(uint64_t mode, r.read(kValueModeBits));
  HuffmanCode value_code;
  unsigned width = 0;
  uint64_t constant = 0;
  if (mode == kHuffmanValues) {
    DNNC_ASSIGN(value_code, HuffmanCode::read(r));
  } else if (mode == kFixedValues) {
    DNNC_ASSIGN(uint64_t w, r.read(kValueWidthBits));
    width = unsigned(w) + 1;
  } else if (mode == kConstantValues) {
    DNNC_ASSIGN(constant, r.readExpGolomb(0));
    if (constant == 0 || constant > UINT32_MAX) {
      return Error(Exit::Input, "corrupt csr-huffman stream: constant value ", constant);
    }
  } else {
    return Error(Exit::Input, "corrupt csr-huffman stream: value mode ", mode);
  }
  HuffmanDecoder gaps(gap_code);
  HuffmanDecoder values(value_code);
  uint64_t next = 0;
  for (uint64_t i = 0; i < nnz; ++i) {
    uint64_t gap = threshold;
    if (threshold != 0) {
      DNNC_ASSIGN(gap, gaps.decodeOne(r));
    }
    if (gap == threshold) {
      DNNC_ASSIGN(uint64_t extra, r.readExpGolomb(unsigned(order)));
      gap = threshold + extra;  // extra < 2^62: no overflow
    }
    uint64_t value = constant;
    if (mode == kHuffmanValues) {
      DNNC_ASSIGN(value, values.decodeOne(r));
    } else if (mode == kFixedValues) {
      DNNC_ASSIGN(value, r.readWide(width));
    }
    if (gap >= count - next) {
      return Error(Exit::Input, "corrupt csr-huffman stream: entry ", i, " past the end of ", count, " elements");
    }
    if (value == 0) return Error(Exit::Input, "corrupt csr-huffman stream: zero value in entry ", i);
    out[next + gap] = uint32_t(value);
    next += gap + 1;
  }
  DNNC_TRY(r.expectEnd());
  return out;
}

}  // namespace dnnc::formats
