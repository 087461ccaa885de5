// csr-ans encoder and decoder (see csr_ans.h and docs/formats/csr-ans.md).
#include "formats/csr_ans.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>

#include "formats/range_coder.h"
#include "formats/varint.h"
#include "lib/support/check.h"

namespace dnnc::formats {

namespace {

constexpr unsigned kDirectGaps = 24;  // gaps 0..23 are symbols of their own
constexpr unsigned kHeadBits = 2;     // longer gaps: class and the 2 bits below the leading one
constexpr unsigned kMaxGapClass = 40;  // gap + 1 < 2^41: far beyond any tensor (2^36 elements)
constexpr unsigned kMaxGapSymbols = kDirectGaps + (kMaxGapClass - kHeadBits + 1) * (1u << kHeadBits);
constexpr unsigned kGapContexts = 3, kValueContexts = 2;
constexpr unsigned kMinPrecision = 9, kMaxPrecision = 16;  // 2^16 slots hold any context (values < 2^16)
constexpr unsigned kLengthTreeBits = 5;                  // frequency bit lengths 0..17
constexpr uint32_t kStateLow = 1u << 16;  // the rANS state lives in [2^16, 2^32), renormalised by 16-bit words
constexpr unsigned kUniformChunk = 8;     // a gap's low bits go as uniform symbols of up to 8 bits

// A gap as a symbol and the low bits below it.
struct GapSymbol {
  uint32_t symbol;
  unsigned low_bits;
  uint64_t low;
};

GapSymbol gapSymbol(uint64_t gap) {
  if (gap < kDirectGaps) return {uint32_t(gap), 0, 0};
  const uint64_t u = gap - kDirectGaps + (1u << kHeadBits);
  const unsigned e = 63 - unsigned(std::countl_zero(u));  // >= kHeadBits
  const unsigned low_bits = e - kHeadBits;
  const uint32_t head = uint32_t(u >> low_bits) & ((1u << kHeadBits) - 1);
  return {kDirectGaps + low_bits * (1u << kHeadBits) + head, low_bits, u & ((uint64_t(1) << low_bits) - 1)};
}
unsigned lowBitsOf(uint32_t symbol) { return symbol < kDirectGaps ? 0 : (symbol - kDirectGaps) >> kHeadBits; }
uint64_t gapOf(uint32_t symbol, uint64_t low) {
  if (symbol < kDirectGaps) return symbol;
  const unsigned low_bits = lowBitsOf(symbol);
  const uint64_t top = (1u << kHeadBits) | ((symbol - kDirectGaps) & ((1u << kHeadBits) - 1));
  return ((top << low_bits) | low) - (1u << kHeadBits) + kDirectGaps;
}

// csr-ac's gap context: the previous gap's bit-length class, halved, at most 2.
unsigned gapContext(uint64_t previous_gap) {
  return std::min((63 - unsigned(std::countl_zero(previous_gap + 1))) / 2, kGapContexts - 1);
}

// Symbol counts per context.
struct Histograms {
  std::array<std::vector<uint64_t>, kGapContexts> gap;
  std::array<std::vector<uint64_t>, kValueContexts> value;
};

// Frequencies summing to 2^p with every counted symbol >= 1 (all zero for an unused context):
// rounded shares, the rounding error taken from or given to the most frequent symbol.
std::vector<uint32_t> quantize(const std::vector<uint64_t>& counts, unsigned p) {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  std::vector<uint32_t> f(counts.size(), 0);
  if (total == 0) return f;
  const uint64_t m = uint64_t(1) << p;
  int64_t sum = 0;
  size_t top = 0;
  for (size_t s = 0; s < counts.size(); ++s) {
    if (counts[s] == 0) continue;
    f[s] = uint32_t(std::max<uint64_t>(1, (counts[s] * m + total / 2) / total));
    sum += f[s];
    if (counts[s] > counts[top]) top = s;
  }
  int64_t excess = sum - int64_t(m);
  if (excess <= 0) {
    f[top] += uint32_t(-excess);
    return f;
  }
  // Too much: take it from the largest frequencies first, none below 1.
  std::vector<size_t> order;
  for (size_t s = 0; s < f.size(); ++s)
    if (f[s] > 1) order.push_back(s);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return f[a] > f[b] || (f[a] == f[b] && a < b); });
  for (size_t s : order) {
    const int64_t take = std::min<int64_t>(excess, int64_t(f[s]) - 1);
    f[s] -= uint32_t(take);
    excess -= take;
    if (excess == 0) break;
  }
  DNNC_CHECK(excess == 0, "csr-ans: more symbols than table slots");
  return f;
}

// Whether every context's symbols fit a table of 2^p slots.
bool fits(const Histograms& h, unsigned p) {
  auto used = [](const std::vector<uint64_t>& c) { return size_t(std::count_if(c.begin(), c.end(), [](uint64_t x) { return x != 0; })); };
  for (const auto& c : h.gap)
    if (used(c) > (size_t(1) << p)) return false;
  for (const auto& c : h.value)
    if (used(c) > (size_t(1) << p)) return false;
  return true;
}

struct Tables {
  unsigned precision = 0;
  std::array<std::vector<uint32_t>, kGapContexts> gap;
  std::array<std::vector<uint32_t>, kValueContexts> value;  // entry 0 (zero) always 0, not stored
};

// Frequency tables through the adaptive binary range coder: each frequency's bit length (0..p+1)
// through a 5-level tree in the context of the previous frequency's, then the bits below its
// leading one. Gap and value tables have models of their own.
struct TableModels {
  BitModel length[size_t(1) << kLengthTreeBits][size_t(1) << kLengthTreeBits];
  BitModel low[kMaxPrecision + 2][kMaxPrecision + 1];
};

void encodeTable(RangeEncoder& rc, TableModels& m, std::span<const uint32_t> f) {
  unsigned previous = 0;
  for (uint32_t x : f) {
    const unsigned length = unsigned(std::bit_width(x));
    rc.encodeTree(m.length[previous], kLengthTreeBits, length);
    for (unsigned i = length > 1 ? length - 1 : 0; i-- > 0;) rc.encode(m.low[length][i], (x >> i) & 1);
    previous = length;
  }
}

// false when a length is beyond what a table of 2^p slots can hold.
bool decodeTable(RangeDecoder& rc, TableModels& m, std::span<uint32_t> f, unsigned p) {
  unsigned previous = 0;
  for (uint32_t& x : f) {
    const unsigned length = rc.decodeTree(m.length[previous], kLengthTreeBits);
    if (length > p + 1) return false;
    x = length ? 1 : 0;
    for (unsigned i = length > 1 ? length - 1 : 0; i-- > 0;) x = (x << 1) | rc.decode(m.low[length][i]);
    previous = length;
  }
  return true;
}

std::vector<uint8_t> tableBytes(const Tables& t) {
  RangeEncoder rc;
  TableModels gap_models, value_models;
  for (const auto& f : t.gap) encodeTable(rc, gap_models, f);
  for (const auto& f : t.value) encodeTable(rc, value_models, std::span<const uint32_t>(f).subspan(1));
  std::vector<uint8_t> out;
  rc.finishInto(out);
  return out;
}

// Ideal bits of the counted symbols under the tables (the rANS stream comes within a few bytes).
double symbolBits(const std::vector<uint64_t>& counts, const std::vector<uint32_t>& f, unsigned p) {
  double bits = 0;
  for (size_t s = 0; s < counts.size(); ++s)
    if (counts[s]) bits += double(counts[s]) * (double(p) - std::log2(double(f[s])));
  return bits;
}

Tables quantizeAll(const Histograms& h, unsigned p) {
  Tables t;
  t.precision = p;
  for (unsigned c = 0; c < kGapContexts; ++c) t.gap[c] = quantize(h.gap[c], p);
  for (unsigned c = 0; c < kValueContexts; ++c) t.value[c] = quantize(h.value[c], p);
  return t;
}

// rANS encoder: symbols pushed in reverse decoding order; words come out in decoding order.
class RansEncoder {
 public:
  void put(uint32_t start, uint32_t freq, unsigned p) {
    const uint64_t limit = (uint64_t(kStateLow >> p) << 16) * freq;
    if (x_ >= limit) {
      words_.push_back(uint16_t(x_));
      x_ >>= 16;
    }
    // 32-bit division: the state stays below 2^32 (a 64-bit divide costs several times more).
    const uint32_t q = x_ / freq;
    x_ = (q << p) + (x_ - q * freq) + start;
  }
  void putUniform(uint32_t v, unsigned bits, unsigned p) { put(v << (p - bits), 1u << (p - bits), p); }
  void finishInto(std::vector<uint8_t>& out) {
    words_.push_back(uint16_t(x_));
    words_.push_back(uint16_t(x_ >> 16));
    for (size_t i = words_.size(); i-- > 0;) {
      out.push_back(uint8_t(words_[i]));
      out.push_back(uint8_t(words_[i] >> 8));
    }
  }

 private:
  uint32_t x_ = kStateLow;
  std::vector<uint16_t> words_;
};

// A gap's low bits, most significant chunk first (the decoding order).
template <class F>
void forEachChunk(unsigned low_bits, uint64_t low, F f) {
  for (unsigned left = low_bits; left > 0;) {
    const unsigned c = std::min(left, kUniformChunk);
    left -= c;
    f(uint32_t(low >> left) & ((1u << c) - 1), c);
  }
}

}  // namespace

std::vector<uint8_t> csrAnsEncode(std::span<const uint32_t> values, CsrAcCost* cost) {
  return csrAnsEncode(sparseEntries(values), cost);
}

std::vector<uint8_t> csrAnsEncode(const SparseEntries& e, CsrAcCost* cost) {
  std::vector<uint8_t> out;
  appendVarint(out, e.count);
  appendVarint(out, e.values.size());
  if (e.values.empty()) return out;
  const size_t nnz = e.values.size();
  const uint32_t max_value = *std::max_element(e.values.begin(), e.values.end());
  DNNC_CHECK(max_value <= 0xFFFF, "csr-ans: values must be below 2^16");
  const uint32_t split = medianValue(e.values);
  // Symbols and their counts per context.
  std::vector<GapSymbol> gaps(nnz);
  uint32_t gap_symbols = 1;
  uint64_t low_bits_total = 0;
  for (size_t i = 0; i < nnz; ++i) {
    gaps[i] = gapSymbol(e.gaps[i]);
    gap_symbols = std::max(gap_symbols, gaps[i].symbol + 1);
    low_bits_total += gaps[i].low_bits;
  }
  Histograms h;
  for (auto& c : h.gap) c.assign(gap_symbols, 0);
  for (auto& c : h.value) c.assign(size_t(max_value) + 1, 0);
  for (size_t i = 0; i < nnz; ++i) {
    ++h.gap[gapContext(i ? e.gaps[i - 1] : 0)][gaps[i].symbol];
    ++h.value[(i ? e.values[i - 1] : 0) >= split ? 1 : 0][e.values[i]];
  }
  // The precision that makes tables plus symbols smallest (small tensors cannot afford fine tables):
  // from the smallest whose tables hold every context's symbols, up while the size falls.
  Tables best;
  std::vector<uint8_t> best_tables;
  double best_bits = INFINITY, gap_bits = 0, value_bits = 0;
  for (unsigned p = kMinPrecision; p <= kMaxPrecision; ++p) {
    if (!fits(h, p)) continue;
    if (best.precision != 0 && p > best.precision + 1) break;
    Tables t = quantizeAll(h, p);
    std::vector<uint8_t> tb = tableBytes(t);
    double g = double(low_bits_total), v = 0;
    for (unsigned c = 0; c < kGapContexts; ++c) g += symbolBits(h.gap[c], t.gap[c], p);
    for (unsigned c = 0; c < kValueContexts; ++c) v += symbolBits(h.value[c], t.value[c], p);
    const double bits = double(tb.size()) * 8 + g + v;
    if (bits < best_bits) best_bits = bits, best = std::move(t), best_tables = std::move(tb), gap_bits = g, value_bits = v;
  }
  DNNC_CHECK(best.precision != 0, "csr-ans: no table precision holds the symbols");
  if (cost) cost->gap_bits += gap_bits, cost->value_bits += value_bits;
  appendVarint(out, max_value);
  appendVarint(out, split);
  out.push_back(uint8_t(best.precision));
  appendVarint(out, gap_symbols);
  appendVarint(out, best_tables.size());
  out.insert(out.end(), best_tables.begin(), best_tables.end());
  // Cumulative starts per table.
  auto startsOf = [](const std::vector<uint32_t>& f) {
    std::vector<uint32_t> s(f.size(), 0);
    for (size_t k = 1; k < f.size(); ++k) s[k] = s[k - 1] + f[k - 1];
    return s;
  };
  std::array<std::vector<uint32_t>, kGapContexts> gap_starts;
  std::array<std::vector<uint32_t>, kValueContexts> value_starts;
  for (unsigned c = 0; c < kGapContexts; ++c) gap_starts[c] = startsOf(best.gap[c]);
  for (unsigned c = 0; c < kValueContexts; ++c) value_starts[c] = startsOf(best.value[c]);
  const unsigned p = best.precision;
  RansEncoder rans;
  for (size_t i = nnz; i-- > 0;) {
    // Reverse of the decoding order: gap symbol, its low bits (chunks in order), value.
    const unsigned vc = (i ? e.values[i - 1] : 0) >= split ? 1 : 0;
    rans.put(value_starts[vc][e.values[i]], best.value[vc][e.values[i]], p);
    if (gaps[i].low_bits != 0) {
      uint32_t chunk_values[(kMaxGapClass + kUniformChunk - 1) / kUniformChunk];
      unsigned chunk_bits[(kMaxGapClass + kUniformChunk - 1) / kUniformChunk];
      size_t k = 0;
      forEachChunk(gaps[i].low_bits, gaps[i].low, [&](uint32_t v, unsigned bits) { chunk_values[k] = v, chunk_bits[k++] = bits; });
      while (k-- > 0) rans.putUniform(chunk_values[k], chunk_bits[k], p);
    }
    const unsigned gc = gapContext(i ? e.gaps[i - 1] : 0);
    rans.put(gap_starts[gc][gaps[i].symbol], best.gap[gc][gaps[i].symbol], p);
  }
  rans.finishInto(out);
  return out;
}

namespace {

// One context's decoding table: per slot, its symbol and ((frequency - 1) << 16 | slot - start);
// no slots for a context the stream never uses.
struct SlotTable {
  std::vector<uint16_t> symbol;
  std::vector<uint32_t> step;
  bool used() const { return !symbol.empty(); }
  void build(const std::vector<uint32_t>& f, unsigned p) {
    if (std::all_of(f.begin(), f.end(), [](uint32_t x) { return x == 0; })) return;
    symbol.resize(size_t(1) << p);
    step.resize(size_t(1) << p);
    uint32_t at = 0;
    for (size_t s = 0; s < f.size(); ++s)
      for (uint32_t k = 0; k < f[s]; ++k, ++at) symbol[at] = uint16_t(s), step[at] = ((f[s] - 1) << 16) | k;
  }
};

// Reads 16-bit words; a read past the end is reported, not performed.
struct WordReader {
  const uint8_t* at;
  const uint8_t* end;
  bool take(uint32_t& x) {
    if (at == end) return false;
    x = (x << 16) | uint32_t(at[0]) | (uint32_t(at[1]) << 8);
    at += 2;
    return true;
  }
};

}  // namespace

Expected<std::vector<uint32_t>> csrAnsDecode(std::span<const uint8_t> bytes, uint64_t max_count, uint32_t max_value) {
  DNNC_ASSIGN(SparseEntries e, csrAnsDecodeEntries(bytes, max_count, max_value));
  return expandEntries(e);
}

Expected<SparseEntries> csrAnsDecodeEntries(std::span<const uint8_t> bytes, uint64_t max_count, uint32_t max_value) {
  size_t pos = 0;
  SparseEntries out;
  DNNC_ASSIGN(const uint64_t n, readVarint(bytes, pos));
  DNNC_ASSIGN(const uint64_t nnz, readVarint(bytes, pos));
  if (n > max_count) return Error(Exit::Input, "csr-ans: array length ", n, " exceeds the expected ", max_count);
  if (nnz > n) return Error(Exit::Input, "csr-ans: ", nnz, " nonzeros in an array of ", n);
  out.count = n;
  if (nnz == 0) {
    if (pos != bytes.size()) return Error(Exit::Input, "csr-ans: ", bytes.size() - pos, " bytes after an empty array");
    return out;
  }
  DNNC_ASSIGN(const uint64_t top, readVarint(bytes, pos));
  if (top < 1 || top > std::min<uint64_t>(max_value, 0xFFFF)) return Error(Exit::Input, "csr-ans: largest value ", top, " is not in 1..", std::min<uint32_t>(max_value, 0xFFFF));
  DNNC_ASSIGN(const uint64_t split, readVarint(bytes, pos));
  if (split < 1 || split > top) return Error(Exit::Input, "csr-ans: value split ", split, " is not in 1..", top);
  if (pos >= bytes.size()) return Error(Exit::Input, "csr-ans: truncated before the table precision");
  const unsigned p = bytes[pos++];
  if (p < kMinPrecision || p > kMaxPrecision) return Error(Exit::Input, "csr-ans: table precision ", p, " is not in ", kMinPrecision, "..", kMaxPrecision);
  DNNC_ASSIGN(const uint64_t gap_symbols, readVarint(bytes, pos));
  if (gap_symbols < 1 || gap_symbols > kMaxGapSymbols) return Error(Exit::Input, "csr-ans: ", gap_symbols, " gap symbols (expected 1..", kMaxGapSymbols, ")");
  DNNC_ASSIGN(const uint64_t table_bytes, readVarint(bytes, pos));
  if (table_bytes > bytes.size() - pos) return Error(Exit::Input, "csr-ans: table section of ", table_bytes, " bytes exceeds the ", bytes.size() - pos, " left");
  // The tables: every used one sums to 2^p exactly.
  Tables t;
  t.precision = p;
  {
    RangeDecoder rc(bytes.subspan(pos, size_t(table_bytes)));
    if (!rc.validStart()) return Error(Exit::Input, "csr-ans: corrupt table stream (bad first byte)");
    TableModels gap_models, value_models;
    bool ok = true;
    for (auto& f : t.gap) {
      f.assign(size_t(gap_symbols), 0);
      ok = ok && decodeTable(rc, gap_models, f, p);
    }
    for (auto& f : t.value) {
      f.assign(size_t(top) + 1, 0);
      ok = ok && decodeTable(rc, value_models, std::span<uint32_t>(f).subspan(1), p);
    }
    if (!ok) return Error(Exit::Input, "csr-ans: a frequency exceeds the table size 2^", p);
    if (rc.overrun() != 0 || !rc.atEnd()) return Error(Exit::Input, "csr-ans: the table stream does not end where its last table does");
    auto sumOk = [&](const std::vector<uint32_t>& f) {
      uint64_t s = 0;
      for (uint32_t x : f) s += x;
      return s == 0 || s == (uint64_t(1) << p);
    };
    for (const auto& f : t.gap)
      if (!sumOk(f)) return Error(Exit::Input, "csr-ans: a gap table does not sum to 2^", p);
    for (const auto& f : t.value)
      if (!sumOk(f)) return Error(Exit::Input, "csr-ans: a value table does not sum to 2^", p);
  }
  pos += size_t(table_bytes);
  const size_t words = bytes.size() - pos;
  if (words % 2 != 0 || words < 4) return Error(Exit::Input, "csr-ans: the symbol stream is ", words, " bytes (an even number >= 4 expected)");
  // A symbol that fills its whole table costs no bits, so nnz is not bounded by the stream (only by
  // n, the caller's element count): reserve what a stream of this size plausibly holds and grow.
  const uint64_t room = uint64_t(words) * 8;
  out.gaps.reserve(size_t(std::min(nnz, room)));
  out.values.reserve(size_t(std::min(nnz, room)));
  std::array<SlotTable, kGapContexts> gap_tables;
  std::array<SlotTable, kValueContexts> value_tables;
  for (unsigned c = 0; c < kGapContexts; ++c) gap_tables[c].build(t.gap[c], p);
  for (unsigned c = 0; c < kValueContexts; ++c) value_tables[c].build(t.value[c], p);
  WordReader in{bytes.data() + pos, bytes.data() + bytes.size()};
  uint32_t x = 0;
  in.take(x);
  in.take(x);
  if (x < kStateLow) return Error(Exit::Input, "csr-ans: initial state below 2^16");
  const uint32_t mask = (1u << p) - 1;
  auto symbolFrom = [&](const SlotTable& table) -> int64_t {
    const uint32_t slot = x & mask;
    const uint32_t step = table.step[slot];
    x = ((step >> 16) + 1) * (x >> p) + (step & 0xFFFF);
    if (x < kStateLow && !in.take(x)) return -1;
    return table.symbol[slot];
  };
  uint64_t at = 0, previous_gap = 0;
  uint32_t previous_value = 0;
  for (uint64_t i = 0; i < nnz; ++i) {
    const SlotTable& gt = gap_tables[gapContext(previous_gap)];
    if (!gt.used()) return Error(Exit::Input, "csr-ans: entry ", i, " needs a gap table the stream left empty");
    const int64_t symbol = symbolFrom(gt);
    if (symbol < 0) return Error(Exit::Input, "csr-ans: truncated symbol stream at entry ", i);
    uint64_t low = 0;
    const unsigned low_bits = lowBitsOf(uint32_t(symbol));
    if (low_bits != 0) [[unlikely]] {
      if (low_bits > kMaxGapClass - kHeadBits) return Error(Exit::Input, "csr-ans: entry ", i, " has a gap class beyond ", kMaxGapClass);
      for (unsigned left = low_bits; left > 0;) {
        const unsigned c = std::min(left, kUniformChunk);
        left -= c;
        const uint32_t slot = x & mask, v = slot >> (p - c);
        x = (1u << (p - c)) * (x >> p) + (slot - (v << (p - c)));
        if (x < kStateLow && !in.take(x)) return Error(Exit::Input, "csr-ans: truncated symbol stream at entry ", i);
        low = (low << c) | v;
      }
    }
    const uint64_t gap = gapOf(uint32_t(symbol), low);
    const SlotTable& vt = value_tables[previous_value >= split ? 1 : 0];
    if (!vt.used()) return Error(Exit::Input, "csr-ans: entry ", i, " needs a value table the stream left empty");
    const int64_t v = symbolFrom(vt);
    if (v < 0) return Error(Exit::Input, "csr-ans: truncated symbol stream at entry ", i);
    if (gap >= n - at) return Error(Exit::Input, "csr-ans: entry ", i, " lies past the end of the array of ", n);
    at += gap + 1;
    out.gaps.push_back(gap);
    out.values.push_back(uint32_t(v));
    previous_gap = gap;
    previous_value = uint32_t(v);
  }
  if (x != kStateLow || in.at != in.end) return Error(Exit::Input, "csr-ans: the symbol stream does not end where its last entry does");
  return out;
}

}  // namespace dnnc::formats
