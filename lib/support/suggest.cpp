#include "lib/support/suggest.h"

#include <algorithm>

namespace dnnc {

size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closestMatch(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const auto& c : candidates) {
    size_t d = editDistance(name, c);
    if (d < best_d) best_d = d, best = c;
  }
  // Accept up to a third of the name's length in edits: catches typos, not unrelated words.
  return best_d <= std::max<size_t>(2, name.size() / 3) ? best : std::string();
}

}  // namespace dnnc
