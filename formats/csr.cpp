// Relative-index sparse coding, plain form (the Deep Compression count). See csr.h.
#include "formats/csr.h"

#include <algorithm>
#include <bit>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "formats/bitstream.h"
#include "formats/varint.h"
#include "lib/support/check.h"

namespace dnnc::formats {

namespace {

// Bit j of the result: values[j] != 0, for 64 values.
template <class T>
uint64_t nonzeroMask64(const T* values) {
#if defined(__AVX2__)
  if constexpr (sizeof(T) == 2) {
    uint64_t mask = 0;
    const __m256i zero = _mm256_setzero_si256();
    for (int k = 0; k < 4; ++k) {
      // 16 uint16 -> 16 bytes of compare results -> 16 mask bits (packs keeps the lanes' order per
      // 128-bit half, the permute restores it).
      __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(values + 16 * k));
      __m256i eq = _mm256_cmpeq_epi16(v, zero);
      __m256i packed = _mm256_permute4x64_epi64(_mm256_packs_epi16(eq, eq), 0xD8);
      const uint32_t zeros = uint32_t(_mm256_movemask_epi8(packed)) & 0xFFFFu;
      mask |= uint64_t(~zeros & 0xFFFFu) << (16 * k);
    }
    return mask;
  }
#endif
  uint64_t mask = 0;
  for (unsigned j = 0; j < 64; ++j) mask |= uint64_t(values[j] != 0) << j;
  return mask;
}

template <class T>
SparseEntries entriesOf(std::span<const T> values) {
  SparseEntries e;
  e.count = values.size();
  // A branch per element on v == 0 is mispredicted at every nonzero of a pruned tensor, which cost
  // more than the whole scan (LeNet-300-100's first layer, 8 % nonzero: 0.55 ms). Instead, 64
  // elements at a time become a bit mask of their nonzeros; the masks give the entry count, and
  // only their set bits are visited.
  const size_t n = values.size();
  std::vector<uint64_t> masks((n + 63) / 64, 0);
  size_t nnz = 0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) nnz += size_t(std::popcount(masks[i / 64] = nonzeroMask64(values.data() + i)));
  for (size_t j = i; j < n; ++j) masks[i / 64] |= uint64_t(values[j] != 0) << (j - i);
  if (i < n) nnz += size_t(std::popcount(masks[i / 64]));
  e.gaps.resize(nnz);
  e.values.resize(nnz);
  uint64_t last = 0;  // the position after the previous nonzero
  size_t k = 0;
  for (size_t b = 0; b < masks.size(); ++b) {
    for (uint64_t mask = masks[b]; mask != 0; mask &= mask - 1) {
      const size_t at = b * 64 + size_t(std::countr_zero(mask));
      e.gaps[k] = at - last;
      e.values[k] = uint32_t(values[at]);
      ++k;
      last = at + 1;
    }
  }
  return e;
}

}  // namespace

SparseEntries sparseEntries(std::span<const uint32_t> values) { return entriesOf(values); }
SparseEntries sparseEntries(std::span<const uint16_t> values) { return entriesOf(values); }

std::vector<uint32_t> expandEntries(const SparseEntries& e) {
  std::vector<uint32_t> out(e.count, 0);
  uint64_t at = 0;
  for (size_t i = 0; i < e.values.size(); ++i) {
    at += e.gaps[i];
    DNNC_CHECK(at < e.count, "sparse entries past the end of their array");
    out[at++] = e.values[i];
  }
  return out;
}

unsigned valueBitsFor(std::span<const uint32_t> values) {
  uint32_t max = 0;
  for (uint32_t v : values) max = std::max(max, v);
  return std::max(1u, unsigned(std::bit_width(max)));
}

uint32_t medianValue(std::span<const uint32_t> values) {
  if (values.empty()) return 1;
  std::vector<uint64_t> counts(size_t(*std::max_element(values.begin(), values.end())) + 1, 0);
  for (uint32_t v : values) ++counts[v];
  const uint64_t half = (values.size() + 1) / 2;
  uint64_t seen = 0;
  for (uint32_t v = 0; v < counts.size(); ++v) {
    seen += counts[v];
    if (seen >= half) return std::max<uint32_t>(v, 1);
  }
  return 1;
}

uint64_t csrPlainFillers(const SparseEntries& e, unsigned gap_bits) {
  DNNC_CHECK(gap_bits >= 1 && gap_bits <= kMaxCsrGapBits);
  uint64_t fillers = 0;
  for (uint64_t g : e.gaps) fillers += g >> gap_bits;
  return fillers;
}

uint64_t csrPlainPayloadBits(const SparseEntries& e, unsigned gap_bits, unsigned value_bits) {
  return (e.gaps.size() + csrPlainFillers(e, gap_bits)) * (gap_bits + value_bits);
}

uint64_t csrPlainEncodedBytes(const SparseEntries& e, unsigned gap_bits, unsigned value_bits) {
  uint64_t entries = e.gaps.size() + csrPlainFillers(e, gap_bits);
  return varintSize(e.count) + varintSize(entries) + 2 + (entries * (gap_bits + value_bits) + 7) / 8;
}

unsigned bestCsrPlainGapBits(const SparseEntries& e, unsigned value_bits) {
  unsigned best = 1;
  uint64_t best_bits = UINT64_MAX;
  for (unsigned b = 1; b <= kMaxCsrGapBits; ++b) {
    uint64_t bits = csrPlainPayloadBits(e, b, value_bits);
    if (bits < best_bits) {
      best_bits = bits;
      best = b;
    }
  }
  return best;
}

std::vector<uint8_t> csrPlainEncode(std::span<const uint32_t> values, unsigned gap_bits, unsigned value_bits) {
  DNNC_CHECK(gap_bits >= 1 && gap_bits <= kMaxCsrGapBits, "gap bits ", gap_bits);
  const unsigned needed = valueBitsFor(values);
  if (value_bits == 0) value_bits = needed;
  DNNC_CHECK(value_bits <= 32 && value_bits >= needed, "value bits ", value_bits, " but values need ", needed);
  SparseEntries e = sparseEntries(values);
  const uint64_t span = uint64_t(1) << gap_bits;  // a filler stands for `span` positions
  std::vector<uint8_t> out;
  appendVarint(out, e.count);
  appendVarint(out, e.gaps.size() + csrPlainFillers(e, gap_bits));
  out.push_back(uint8_t(gap_bits));
  out.push_back(uint8_t(value_bits));
  BitWriter w;
  for (size_t i = 0; i < e.gaps.size(); ++i) {
    uint64_t gap = e.gaps[i];
    for (; gap >= span; gap -= span) {
      w.write(span - 1, gap_bits);
      w.write(0, value_bits);
    }
    w.write(gap, gap_bits);
    w.writeWide(e.values[i], value_bits);
  }
  w.finishInto(out);
  return out;
}

Expected<std::vector<uint32_t>> csrPlainDecode(std::span<const uint8_t> bytes, uint64_t max_count) {
  size_t pos = 0;
  DNNC_ASSIGN(uint64_t count, readVarint(bytes, pos));
  DNNC_ASSIGN(uint64_t entries, readVarint(bytes, pos));
  if (bytes.size() - pos < 2) return Error(Exit::Input, "truncated CSR header");
  const unsigned gap_bits = bytes[pos], value_bits = bytes[pos + 1];
  pos += 2;
  if (gap_bits < 1 || gap_bits > kMaxCsrGapBits) return Error(Exit::Input, "corrupt CSR header: gap width ", gap_bits);
  if (value_bits < 1 || value_bits > 32) return Error(Exit::Input, "corrupt CSR header: value width ", value_bits);
  if (count > max_count) {
    return Error(Exit::Input, "corrupt CSR header: ", count, " elements, more than the expected ", max_count);
  }
  const uint64_t payload_bytes = bytes.size() - pos;
  const unsigned entry_bits = gap_bits + value_bits;
  if (entries > payload_bytes * 8 / entry_bits || (entries * entry_bits + 7) / 8 != payload_bytes) {
    return Error(Exit::Input, "corrupt CSR stream: ", entries, " entries of ", entry_bits, " bits in ",
                 payload_bytes, " bytes");
  }
  if (entries > count) return Error(Exit::Input, "corrupt CSR header: ", entries, " entries for ", count, " elements");
  std::vector<uint32_t> out(count, 0);
  BitReader r(bytes.subspan(pos));
  const uint64_t filler_gap = (uint64_t(1) << gap_bits) - 1;
  uint64_t next = 0;  // first position the next entry may occupy
  for (uint64_t i = 0; i < entries; ++i) {
    DNNC_ASSIGN(uint64_t gap, r.read(gap_bits));
    DNNC_ASSIGN(uint64_t value, r.readWide(value_bits));
    uint64_t p = next + gap;
    if (p >= count) return Error(Exit::Input, "corrupt CSR stream: entry ", i, " at position ", p, " of ", count);
    if (value == 0 && (gap != filler_gap || i + 1 == entries)) {
      return Error(Exit::Input, "corrupt CSR stream: zero entry ", i, " is not a filler");
    }
    out[p] = uint32_t(value);
    next = p + 1;
  }
  DNNC_TRY(r.expectEnd());
  return out;
}

}  // namespace dnnc::formats
