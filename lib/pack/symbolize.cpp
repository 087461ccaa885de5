#include "lib/pack/symbolize.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "lib/support/check.h"

namespace dnnc::pack {

namespace {

uint64_t load(const uint8_t* p, unsigned width) {
  uint64_t v = 0;
  std::memcpy(&v, p, width);  // little-endian host (tensor_data.cpp asserts it)
  return v;
}

// Open addressing from element value to a dense id, sized for kMaxSymbols at load <= 1/4.
class ValueIds {
 public:
  // Room for min(n, kMaxSymbols + 1) distinct values at load <= 1/2.
  explicit ValueIds(size_t n) {
    size_t slots = 16;
    while (slots < 2 * std::min(n, kMaxSymbols + 1)) slots *= 2;
    mask_ = slots - 1;
    shift_ = unsigned(64 - std::countr_zero(slots));
    keys_.resize(slots);
    ids_.assign(slots, -1);
  }
  // The id of v, adding it when new.
  int32_t insert(uint64_t v, std::vector<uint64_t>& values) {
    for (size_t h = hash(v);; h = (h + 1) & mask_) {
      if (ids_[h] < 0) {
        keys_[h] = v;
        ids_[h] = int32_t(values.size());
        values.push_back(v);
        return ids_[h];
      }
      if (keys_[h] == v) return ids_[h];
    }
  }

 private:
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

uint64_t Symbolized::nonzeros() const {
  uint64_t n = 0;
  for (uint16_t s : symbols) n += s != 0;
  return n;
}

std::optional<Symbolized> symbolize(std::span<const uint8_t> data, unsigned width, size_t max_table) {
  DNNC_CHECK(width >= 1 && width <= 8 && data.size() % width == 0 && max_table <= kMaxSymbols);
  const size_t n = data.size() / width;
  std::vector<uint64_t> values;
  std::vector<uint32_t> ids(n);
  if (width <= 2) {
    // Direct tables: every 8- or 16-bit pattern has its slot.
    std::vector<int32_t> slot(size_t(1) << (8 * width), -1);
    for (size_t i = 0; i < n; ++i) {
      uint64_t v = load(data.data() + i * width, width);
      if (slot[v] < 0) {
        slot[v] = int32_t(values.size());
        values.push_back(v);
      }
      ids[i] = uint32_t(slot[v]);
    }
    if (values.size() > max_table) return std::nullopt;
  } else {
    ValueIds map(n);
    for (size_t i = 0; i < n; ++i) {
      uint64_t v = load(data.data() + i * width, width);
      ids[i] = uint32_t(map.insert(v, values));
      if (values.size() > max_table) return std::nullopt;
    }
  }
  // Order: zero (or the most frequent value) first, then ascending bit patterns.
  std::vector<uint64_t> counts(values.size(), 0);
  for (uint32_t id : ids) ++counts[id];
  size_t first = 0;
  bool zero = false;
  for (size_t k = 0; k < values.size(); ++k) {
    if (values[k] == 0) { first = k; zero = true; break; }
    if (counts[k] > counts[first] || (counts[k] == counts[first] && values[k] < values[first])) first = k;
  }
  std::vector<uint32_t> order(values.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = uint32_t(k);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if ((a == first) != (b == first)) return a == first;
    return values[a] < values[b];
  });
  std::vector<uint16_t> rank(values.size());
  Symbolized s;
  s.width = width;
  s.zero_present = zero;
  s.table.resize(values.size());
  for (size_t r = 0; r < order.size(); ++r) {
    rank[order[r]] = uint16_t(r);
    s.table[r] = values[order[r]];
  }
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

}  // namespace dnnc::pack
