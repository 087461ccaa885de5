#include "formats/entropy.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace dnnc::formats {

double entropyBits(std::span<const uint64_t> counts) {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  if (total == 0) return 0.0;
  // sum c log2(n / c) = n log2 n - sum c log2 c, summed in long double to keep small terms exact.
  long double bits = 0;
  for (uint64_t c : counts) {
    if (c != 0) bits += (long double)c * std::log2((long double)total / (long double)c);
  }
  return double(bits);
}

template <class T>
double shannonEntropyBits(std::span<const T> symbols) {
  std::vector<uint64_t> counts;
  if constexpr (sizeof(T) <= 2) {
    counts.assign(size_t(1) << (8 * sizeof(T)), 0);
    for (T s : symbols) ++counts[size_t(s) & ((size_t(1) << (8 * sizeof(T))) - 1)];
  } else {
    std::vector<T> sorted(symbols.begin(), symbols.end());
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < sorted.size();) {
      size_t j = i;
      while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
      counts.push_back(j - i);
      i = j;
    }
  }
  return entropyBits(counts);
}

template double shannonEntropyBits<uint8_t>(std::span<const uint8_t>);
template double shannonEntropyBits<uint16_t>(std::span<const uint16_t>);
template double shannonEntropyBits<uint32_t>(std::span<const uint32_t>);
template double shannonEntropyBits<int8_t>(std::span<const int8_t>);
template double shannonEntropyBits<int16_t>(std::span<const int16_t>);
template double shannonEntropyBits<int32_t>(std::span<const int32_t>);

}  // namespace dnnc::formats
