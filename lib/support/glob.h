// Shell-style name patterns for choosing layers: '*' (any run, '/' included), '?' (one character) and
// '[...]' classes, as fnmatch(3) without FNM_PATHNAME. Names without those characters match only
// themselves, so `--skip conv1` and `--skip '/layer*/Conv'` read the same way.
#pragma once
#include <string>
#include <vector>

namespace dnnc {

// Whether `pattern` uses any glob character.
bool isGlob(const std::string& pattern);
bool globMatch(const std::string& pattern, const std::string& text);

// Splits "a,b, c" into trimmed non-empty items.
std::vector<std::string> splitList(const std::string& text, char sep = ',');

}  // namespace dnnc
