#include "lib/support/glob.h"

#include <fnmatch.h>

#include <cctype>

namespace dnnc {

bool isGlob(const std::string& pattern) { return pattern.find_first_of("*?[") != std::string::npos; }

bool globMatch(const std::string& pattern, const std::string& text) {
  if (!isGlob(pattern)) return pattern == text;
  return fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

std::vector<std::string> splitList(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.erase(item.begin());
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.pop_back();
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

}  // namespace dnnc
