// csr-ac encoder and decoder (see csr_arith.h and docs/formats/csr-ac.md).
#include "formats/csr_arith.h"

#include <algorithm>
#include <bit>

#include "formats/csr.h"
#include "formats/range_coder.h"
#include "formats/varint.h"
#include "lib/support/check.h"

namespace dnnc::formats {

namespace {

constexpr unsigned kClassBits = 6;  // bit-length classes 0..63
constexpr unsigned kMaxClass = 40;  // u = gap + 1 <= 2^40: far beyond any tensor (2^36 elements)

// Every adaptive model of one stream.
// The previous gap's class, bucketed, selects the class tree: runs of long gaps (dead input pixels,
// pruned-away rows) make the next gap's length depend on the last one's.
constexpr unsigned kClassContexts = 3;
unsigned classContext(unsigned prev_class) { return std::min(prev_class / 2, kClassContexts - 1); }

// Two value trees: the previous value below the split or not. Neighbouring weights of a row are
// correlated (the same neuron, neighbouring pixels), so the last value says something of the next.
constexpr unsigned kValueContexts = 2;

struct Models {
  explicit Models(unsigned value_bits) : value_ctx{std::vector<BitModel>(size_t(1) << value_bits), std::vector<BitModel>(size_t(1) << value_bits)} {}
  BitModel cls_ctx[kClassContexts][size_t(1) << kClassBits];
  BitModel* cls = cls_ctx[0];
  unsigned prev_class = 0;
  void selectContext() { cls = cls_ctx[classContext(prev_class)]; }
  BitModel head[kMaxClass + 1][size_t(1) << kGapTreeBits];
  BitModel tail[kMaxClass + 1][kMaxClass];
  std::vector<BitModel> value_ctx[kValueContexts];
  uint32_t prev_value = 0;
  BitModel* valueTree(uint32_t split) { return value_ctx[prev_value >= split ? 1 : 0].data(); }
};

// Codes one gap; returns its ideal cost when kCost.
template <bool kCost>
double encodeGap(RangeEncoder& rc, Models& m, uint64_t gap) {
  uint64_t u = gap + 1;
  unsigned e = 63 - unsigned(std::countl_zero(u));
  m.selectContext();
  m.prev_class = e;
  double bits = rc.encodeTreeCost<kCost>(m.cls, kClassBits, e);
  unsigned head = std::min(e, kGapTreeBits);
  bits += rc.encodeTreeCost<kCost>(m.head[e], head, uint32_t((u >> (e - head)) & ((uint64_t(1) << head) - 1)));
  for (unsigned i = e - head; i-- > 0;) {
    unsigned bit = unsigned((u >> i) & 1);
    if constexpr (kCost) bits += RangeEncoder::cost(m.tail[e][i], bit);
    rc.encode(m.tail[e][i], bit);
  }
  return bits;
}

// The entries through the models; their ideal cost split into *cost when kCost.
template <bool kCost>
void encodeEntries(RangeEncoder& rc, Models& m, const SparseEntries& e, unsigned b, uint32_t split, CsrAcCost* cost) {
  double gap_bits = 0, value_bits = 0;
  for (size_t i = 0; i < e.values.size(); ++i) {
    gap_bits += encodeGap<kCost>(rc, m, e.gaps[i]);
    value_bits += rc.encodeTreeCost<kCost>(m.valueTree(split), b, e.values[i]);
    m.prev_value = e.values[i];
  }
  if constexpr (kCost) cost->gap_bits += gap_bits, cost->value_bits += value_bits;
}

// The gap of the next entry, or UINT64_MAX for a class beyond kMaxClass (a corrupt stream).
uint64_t decodeGap(RangeDecoder& rc, Models& m) {
  m.selectContext();
  unsigned e = rc.decodeTree(m.cls, kClassBits);
  if (e > kMaxClass) return UINT64_MAX;
  m.prev_class = e;
  unsigned head = std::min(e, kGapTreeBits);
  uint64_t u = (uint64_t(1) << head) | rc.decodeTree(m.head[e], head);
  for (unsigned i = e - head; i-- > 0;) u = (u << 1) | rc.decode(m.tail[e][i]);
  return u - 1;
}

}  // namespace

std::vector<uint8_t> csrAcEncode(std::span<const uint32_t> values, CsrAcCost* cost) {
  return csrAcEncode(sparseEntries(values), cost);
}

std::vector<uint8_t> csrAcEncode(const SparseEntries& e, CsrAcCost* cost) {
  std::vector<uint8_t> out;
  appendVarint(out, e.count);
  appendVarint(out, e.values.size());
  if (e.values.empty()) return out;
  unsigned b = valueBitsFor(e.values);
  DNNC_CHECK(b <= kMaxCsrAcValueBits, "csr-ac: values must be below 2^16");
  out.push_back(uint8_t(b));
  const uint32_t split = medianValue(e.values);
  appendVarint(out, split);
  Models m(b);
  RangeEncoder rc;
  if (cost) encodeEntries<true>(rc, m, e, b, split, cost);
  else encodeEntries<false>(rc, m, e, b, split, nullptr);
  rc.finishInto(out);
  return out;
}

Expected<std::vector<uint32_t>> csrAcDecode(std::span<const uint8_t> bytes, uint64_t max_count, uint32_t max_value) {
  DNNC_ASSIGN(SparseEntries e, csrAcDecodeEntries(bytes, max_count, max_value));
  return expandEntries(e);
}

Expected<SparseEntries> csrAcDecodeEntries(std::span<const uint8_t> bytes, uint64_t max_count, uint32_t max_value) {
  size_t pos = 0;
  SparseEntries out;
  DNNC_ASSIGN(uint64_t n, readVarint(bytes, pos));
  DNNC_ASSIGN(uint64_t nnz, readVarint(bytes, pos));
  if (n > max_count) return Error(Exit::Input, "csr-ac: array length ", n, " exceeds the expected ", max_count);
  if (nnz > n) return Error(Exit::Input, "csr-ac: ", nnz, " nonzeros in an array of ", n);
  out.count = n;
  if (nnz == 0) {
    if (pos != bytes.size()) return Error(Exit::Input, "csr-ac: ", bytes.size() - pos, " bytes after an empty array");
    return out;
  }
  if (pos >= bytes.size()) return Error(Exit::Input, "csr-ac: truncated before the value width");
  unsigned b = bytes[pos++];
  if (b < 1 || b > kMaxCsrAcValueBits) return Error(Exit::Input, "csr-ac: value width ", b, " is not in 1..16");
  DNNC_ASSIGN(uint64_t split, readVarint(bytes, pos));
  if (split < 1 || split >= (uint64_t(1) << b)) return Error(Exit::Input, "csr-ac: value split ", split, " is not in 1..", (1u << b) - 1);
  // Every entry costs at least 7 decisions of >= 0.0007 bits each, so nnz is bounded by the stream
  // too; reserve no more than the stream can hold before trusting it.
  const uint64_t room = (bytes.size() - pos) * 2048;
  out.gaps.reserve(size_t(std::min(nnz, room)));
  out.values.reserve(size_t(std::min(nnz, room)));
  Models m(b);
  RangeDecoder rc(bytes.subspan(pos));
  if (!rc.validStart()) return Error(Exit::Input, "csr-ac: corrupt range-coder stream (bad first byte)");
  uint64_t at = 0;  // next free position
  for (uint64_t i = 0; i < nnz; ++i) {
    uint64_t gap = decodeGap(rc, m);
    if (gap == UINT64_MAX) return Error(Exit::Input, "csr-ac: entry ", i, " has a gap class beyond ", kMaxClass);
    uint32_t v = rc.decodeTree(m.valueTree(uint32_t(split)), b);
    m.prev_value = v;
    if (gap >= n - at) return Error(Exit::Input, "csr-ac: entry ", i, " lies past the end of the array of ", n);
    at += gap + 1;
    if (v == 0 || v > max_value) return Error(Exit::Input, "csr-ac: entry ", i, " has value ", v, " (expected 1..", max_value, ")");
    out.gaps.push_back(gap);
    out.values.push_back(v);
    if (rc.overrun() > 4) return Error(Exit::Input, "csr-ac: truncated stream");
  }
  if (rc.overrun() != 0 || !rc.atEnd()) return Error(Exit::Input, "csr-ac: the stream does not end where its last entry does");
  return out;
}

}  // namespace dnnc::formats
