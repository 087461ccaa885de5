#include "lib/pass/layer_filter.h"

#include <fnmatch.h>

namespace dnnc {

Expected<LayerFilter> LayerFilter::parse(const std::string& text) {
  LayerFilter f;
  size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    size_t comma = text.find(',', start);
    std::string p = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    while (!p.empty() && p.front() == ' ') p.erase(p.begin());
    while (!p.empty() && p.back() == ' ') p.pop_back();
    if (p.empty()) return Error(Exit::Usage, "empty pattern in layers '", text, "'");
    f.patterns_.push_back(p);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  f.matched_.assign(f.patterns_.size(), false);
  return f;
}

bool LayerFilter::matches(const std::string& name) {
  if (patterns_.empty()) return true;
  bool any = false;
  for (size_t i = 0; i < patterns_.size(); ++i)
    if (fnmatch(patterns_[i].c_str(), name.c_str(), 0) == 0) any = matched_[i] = true;
  return any;
}

Status LayerFilter::checkAllMatched(const std::string& pass, const std::string& what) const {
  for (size_t i = 0; i < patterns_.size(); ++i)
    if (!matched_[i])
      return Error(Exit::Usage, pass, ": layers pattern '", patterns_[i], "' matches no ", what)
          .withHint("'dnnc info MODEL' lists the layer names");
  return {};
}

}  // namespace dnnc
