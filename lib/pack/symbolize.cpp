#include "lib/pack/symbolize.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>

#include "lib/support/check.h"

namespace dnnc::pack {

namespace {

uint64_t load(const uint8_t* p, unsigned width) {
  uint64_t v = 0;
  std::memcpy(&v, p, width);  // little-endian host (tensor_data.cpp asserts it)
  return v;
}

// Open addressing from element value to a dense id, load <= 1/2, growing as values arrive: a
// shared tensor has tens of values, and a table sized for the worst case (2^17 slots) costs more to
// clear and fault in than the whole scan.
class ValueIds {
 public:
  ValueIds() { resize(64); }
  // The id of v, adding it when new.
  int32_t insert(uint64_t v, std::vector<uint64_t>& values) {
    for (size_t h = hash(v);; h = (h + 1) & mask_) {
      if (ids_[h] < 0) {
        keys_[h] = v;
        ids_[h] = int32_t(values.size());
        values.push_back(v);
        if (2 * values.size() > mask_ + 1) grow(values);
        return int32_t(values.size() - 1);
      }
      if (keys_[h] == v) return ids_[h];
    }
  }

 private:
  void resize(size_t slots) {
    mask_ = slots - 1;
    shift_ = unsigned(64 - std::countr_zero(slots));
    keys_.assign(slots, 0);
    ids_.assign(slots, -1);
  }
  // Twice the slots; ids are the values' indices, so the values rebuild the table.
  void grow(const std::vector<uint64_t>& values) {
    resize(2 * (mask_ + 1));
    for (size_t k = 0; k < values.size(); ++k) {
      size_t h = hash(values[k]);
      while (ids_[h] >= 0) h = (h + 1) & mask_;
      keys_[h] = values[k];
      ids_[h] = int32_t(k);
    }
  }
  size_t hash(uint64_t v) const { return size_t((v * 0x9E3779B97F4A7C15ull) >> shift_) & mask_; }
  size_t mask_ = 0;
  unsigned shift_ = 0;
  std::vector<uint64_t> keys_;
  std::vector<int32_t> ids_;
};

// Table lookup per element, typed by width so the loop is a plain gather (symbols already checked
// against the table by the caller; checked again here as an invariant).
template <class E, class S>
void expandAs(std::span<const uint64_t> table, std::span<const S> symbols, uint8_t* out) {
  std::vector<E> typed(table.size());
  for (size_t k = 0; k < table.size(); ++k) typed[k] = E(table[k]);
  E* o = reinterpret_cast<E*>(out);
  const size_t t = typed.size();
  for (size_t i = 0; i < symbols.size(); ++i) {
    S s = symbols[i];
    DNNC_CHECK(size_t(s) < t);
    std::memcpy(o + i, &typed[s], sizeof(E));
  }
}

// table[0] everywhere, then the entries' values at their positions (checked by the decoder already;
// checked again here as invariants).
template <class E>
void expandSparseAs(std::span<const uint64_t> table, const formats::SparseEntries& e, uint8_t* out) {
  E* o = reinterpret_cast<E*>(out);
  std::fill(o, o + e.count, E(table[0]));
  uint64_t at = 0;
  for (size_t i = 0; i < e.values.size(); ++i) {
    at += e.gaps[i];
    DNNC_CHECK(at < e.count && e.values[i] < table.size());
    o[at++] = E(table[e.values[i]]);
  }
}

template <class S>
std::vector<uint8_t> expand(std::span<const uint64_t> table, unsigned width, std::span<const S> symbols) {
  std::vector<uint8_t> out(symbols.size() * width);
  switch (width) {
    case 1: expandAs<uint8_t>(table, symbols, out.data()); break;
    case 2: expandAs<uint16_t>(table, symbols, out.data()); break;
    case 4: expandAs<uint32_t>(table, symbols, out.data()); break;
    case 8: expandAs<uint64_t>(table, symbols, out.data()); break;
    default: DNNC_CHECK(false, "element width ", width);
  }
  return out;
}

}  // namespace

uint64_t Symbolized::nonzeros() const { return counts.empty() ? 0 : symbols.size() - counts[0]; }

namespace {

// Distinct values (in first-seen order) with their counts, and each element's id among them.
struct Distinct {
  std::vector<uint64_t> values;
  std::vector<uint64_t> counts;
};

// 1- and 2-byte elements: a direct histogram over every bit pattern, no per-element ids (the
// symbols are a second lookup by pattern). nullopt above max_table distinct values.
template <class E>
std::optional<Distinct> distinctDirect(std::span<const uint8_t> data, size_t max_table) {
  const size_t n = data.size() / sizeof(E);
  // Four interleaved histograms: a pruned tensor is mostly one value, and incrementing a single
  // counter serialises every element on a store-to-load round trip.
  constexpr size_t kPatterns = size_t(1) << (8 * sizeof(E));
  std::vector<uint64_t> hist(4 * kPatterns, 0);
  const E* e = reinterpret_cast<const E*>(data.data());
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    ++hist[e[i]];
    ++hist[kPatterns + e[i + 1]];
    ++hist[2 * kPatterns + e[i + 2]];
    ++hist[3 * kPatterns + e[i + 3]];
  }
  for (; i < n; ++i) ++hist[e[i]];
  for (size_t v = 0; v < kPatterns; ++v) hist[v] += hist[kPatterns + v] + hist[2 * kPatterns + v] + hist[3 * kPatterns + v];
  hist.resize(kPatterns);
  Distinct d;
  for (size_t v = 0; v < hist.size(); ++v) {
    if (hist[v] == 0) continue;
    if (d.values.size() == max_table) return std::nullopt;
    d.values.push_back(v);
    d.counts.push_back(hist[v]);
  }
  return d;
}

// The order of the table: zero (or the most frequent value) first, then ascending bit patterns;
// rank[k] is distinct value k's symbol.
std::vector<uint16_t> symbolRanks(const Distinct& d, Symbolized& s) {
  const auto& values = d.values;
  size_t first = 0;
  bool zero = false;
  for (size_t k = 0; k < values.size(); ++k) {
    if (values[k] == 0) { first = k; zero = true; break; }
    if (d.counts[k] > d.counts[first] || (d.counts[k] == d.counts[first] && values[k] < values[first])) first = k;
  }
  std::vector<uint32_t> order(values.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = uint32_t(k);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if ((a == first) != (b == first)) return a == first;
    return values[a] < values[b];
  });
  std::vector<uint16_t> rank(values.size());
  s.zero_present = zero;
  s.table.resize(values.size());
  s.counts.resize(values.size());
  for (size_t r = 0; r < order.size(); ++r) {
    rank[order[r]] = uint16_t(r);
    s.table[r] = values[order[r]];
    s.counts[r] = d.counts[order[r]];
  }
  return rank;
}

template <class E>
std::optional<Symbolized> symbolizeDirect(std::span<const uint8_t> data, size_t max_table) {
  auto d = distinctDirect<E>(data, max_table);
  if (!d) return std::nullopt;
  Symbolized s;
  s.width = sizeof(E);
  std::vector<uint16_t> rank = symbolRanks(*d, s);
  std::vector<uint16_t> by_pattern(size_t(1) << (8 * sizeof(E)), 0);
  bool identity = true;
  for (size_t k = 0; k < d->values.size(); ++k) {
    by_pattern[d->values[k]] = rank[k];
    identity = identity && rank[k] == d->values[k];
  }
  const size_t n = data.size() / sizeof(E);
  const E* e = reinterpret_cast<const E*>(data.data());
  s.symbols.resize(n);
  // Codebook indices (share's Gather form: 0 the pruned zero, every index used) are their own
  // symbols: a widening copy, which vectorises, instead of a lookup per element.
  if (identity) std::copy(e, e + n, s.symbols.begin());
  else
    for (size_t i = 0; i < n; ++i) s.symbols[i] = by_pattern[e[i]];
  return s;
}

}  // namespace

std::optional<Symbolized> symbolize(std::span<const uint8_t> data, unsigned width, size_t max_table) {
  DNNC_CHECK(width >= 1 && width <= 8 && data.size() % width == 0 && max_table <= kMaxSymbols);
  if (width == 1) return symbolizeDirect<uint8_t>(data, max_table);
  // 4 x 2^16 counters pay off only over enough elements; small tensors take the hash.
  if (width == 2 && data.size() / 2 >= (size_t(1) << 16)) return symbolizeDirect<uint16_t>(data, max_table);
  const size_t n = data.size() / width;
  Distinct d;
  // Not zero-filled: a dense float layer gives up after a few thousand elements, and zeroing ids first
  // touched 4 bytes per element anyway (VGG-16's fc6: 411 MB for nothing).
  std::unique_ptr<uint32_t[]> ids = std::make_unique_for_overwrite<uint32_t[]>(n);
  ValueIds map;
  // The previous element's value and id: pruned tensors are runs of zeros, so most elements skip
  // the hash.
  uint64_t last = 0;
  uint32_t last_id = UINT32_MAX;
  for (size_t i = 0; i < n; ++i) {
    uint64_t v = load(data.data() + i * width, width);
    if (v != last || last_id == UINT32_MAX) {
      last = v;
      last_id = uint32_t(map.insert(v, d.values));
      if (d.values.size() > max_table) return std::nullopt;
    }
    ids[i] = last_id;
  }
  d.counts.assign(d.values.size(), 0);
  for (size_t i = 0; i < n; ++i) ++d.counts[ids[i]];
  Symbolized s;
  s.width = width;
  std::vector<uint16_t> rank = symbolRanks(d, s);
  s.symbols.resize(n);
  for (size_t i = 0; i < n; ++i) s.symbols[i] = rank[ids[i]];
  return s;
}

std::vector<uint8_t> desymbolize(std::span<const uint64_t> table, unsigned width, std::span<const uint16_t> symbols) {
  return expand(table, width, symbols);
}
std::vector<uint8_t> desymbolize(std::span<const uint64_t> table, unsigned width, std::span<const uint32_t> symbols) {
  return expand(table, width, symbols);
}

std::vector<uint8_t> desymbolizeSparse(std::span<const uint64_t> table, unsigned width, const formats::SparseEntries& e) {
  DNNC_CHECK(!table.empty());
  std::vector<uint8_t> out(e.count * width);
  switch (width) {
    case 1: expandSparseAs<uint8_t>(table, e, out.data()); break;
    case 2: expandSparseAs<uint16_t>(table, e, out.data()); break;
    case 4: expandSparseAs<uint32_t>(table, e, out.data()); break;
    case 8: expandSparseAs<uint64_t>(table, e, out.data()); break;
    default: DNNC_CHECK(false, "element width ", width);
  }
  return out;
}

}  // namespace dnnc::pack
