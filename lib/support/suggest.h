// "Did you mean" suggestions for misspelt names.
#pragma once
#include <string>
#include <vector>

namespace dnnc {

size_t editDistance(const std::string& a, const std::string& b);
// The candidate closest to name, if it is close enough to be a likely typo; "" otherwise.
std::string closestMatch(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace dnnc
