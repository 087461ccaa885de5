#include "formats/code_lengths.h"

#include <algorithm>
#include <numeric>

#include "lib/support/check.h"

namespace dnnc::formats {

std::vector<uint8_t> limitedCodeLengths(std::span<const uint64_t> counts, unsigned max_length) {
  DNNC_CHECK(max_length >= 1 && max_length <= 32);
  std::vector<uint8_t> lengths(counts.size(), 0);
  std::vector<uint32_t> leaves;  // used symbols, lightest first (ties by symbol: deterministic)
  for (size_t s = 0; s < counts.size(); ++s) {
    if (counts[s] != 0) leaves.push_back(uint32_t(s));
  }
  const size_t n = leaves.size();
  if (n == 0) return lengths;
  if (n == 1) {
    lengths[leaves[0]] = 1;
    return lengths;
  }
  DNNC_CHECK(n <= (size_t(1) << 16), "too many symbols for a prefix code: ", n);
  std::stable_sort(leaves.begin(), leaves.end(),
                   [&](uint32_t a, uint32_t b) { return counts[a] < counts[b]; });

  unsigned min_length = 0;
  while ((size_t(1) << min_length) < n) ++min_length;
  // No optimal code is longer than n - 1, so deeper levels would only cost time.
  const unsigned levels = unsigned(std::min<size_t>(std::max(max_length, min_length), n - 1));

  // Package-merge, deepest level first. Level j's list merges the leaves with the packages (adjacent
  // pairs) of level j+1's list; we keep only which entries are leaves, because the leaves inside any
  // prefix of a list are always the lightest ones, so a prefix is summarised by its leaf count.
  std::vector<uint64_t> leaf_weight(n);
  for (size_t i = 0; i < n; ++i) leaf_weight[i] = counts[leaves[i]];
  std::vector<std::vector<uint8_t>> is_leaf(levels);  // is_leaf[j]: level j+1's merged list
  std::vector<uint64_t> current = leaf_weight;        // level `levels`: just the leaves
  is_leaf[levels - 1].assign(n, 1);
  std::vector<uint64_t> merged;
  for (unsigned j = levels - 1; j >= 1; --j) {
    const size_t packages = current.size() / 2;
    merged.clear();
    merged.reserve(n + packages);
    auto& flags = is_leaf[j - 1];
    flags.clear();
    flags.reserve(n + packages);
    size_t li = 0, pi = 0;
    while (li < n || pi < packages) {
      uint64_t pw = pi < packages ? current[2 * pi] + current[2 * pi + 1] : 0;
      if (pi >= packages || (li < n && leaf_weight[li] <= pw)) {
        merged.push_back(leaf_weight[li++]);
        flags.push_back(1);
      } else {
        merged.push_back(pw);
        flags.push_back(0);
        ++pi;
      }
    }
    current.swap(merged);
  }

  // The 2n-2 lightest entries of the top list form the optimal solution; walk down the levels,
  // each package in a chosen prefix choosing two entries of the level below.
  size_t prefix = 2 * n - 2;
  for (unsigned j = 0; j < levels && prefix > 0; ++j) {
    const auto& flags = is_leaf[j];
    DNNC_CHECK(prefix <= flags.size());
    size_t leaves_in_prefix = size_t(std::count(flags.begin(), flags.begin() + ptrdiff_t(prefix), uint8_t(1)));
    for (size_t i = 0; i < leaves_in_prefix; ++i) ++lengths[leaves[i]];
    prefix = 2 * (prefix - leaves_in_prefix);
  }
  DNNC_CHECK(prefix == 0, "package-merge did not terminate at the deepest level");
  return lengths;
}

}  // namespace dnnc::formats
