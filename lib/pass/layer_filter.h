// LayerFilter: which layers a pass touches, from a `layers` parameter of comma-separated shell globs
// ("conv*,fc1") matched against node names (fnmatch). Empty text selects every layer. A pattern that
// selects nothing is most likely a typo, so the pass reports it as a usage error instead of silently
// doing nothing.
#pragma once
#include <string>
#include <vector>

#include "lib/support/error.h"

namespace dnnc {

class LayerFilter {
 public:
  static Expected<LayerFilter> parse(const std::string& text);
  bool selectsAll() const { return patterns_.empty(); }
  // Whether name matches some pattern; records which patterns matched.
  bool matches(const std::string& name);
  // A usage error naming the first pattern that matched no layer (what: "Conv node").
  Status checkAllMatched(const std::string& pass, const std::string& what) const;

 private:
  std::vector<std::string> patterns_;
  std::vector<bool> matched_;
};

}  // namespace dnnc
