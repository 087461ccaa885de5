// PassRegistry: the passes a pipeline may name. lib/ never includes passes/: the CLI asks passes/
// (passes/registry.cpp, filled from passes.def) for the registry and hands it here.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/pass/param_fields.h"
#include "lib/pass/pass.h"

namespace dnnc {

struct PassInfo {
  std::string name;
  std::string summary;
  std::vector<ParamSpec> params;
  std::function<Expected<std::unique_ptr<Pass>>(const PassParams&)> create;
};

// The registry entry of a pass whose parameters are the typed struct P (P::fields(), param_fields.h):
// its specs, and a create that binds parsed parameters to a P before calling `create`.
template <class P>
PassInfo typedPass(std::string name, std::string summary, Expected<std::unique_ptr<Pass>> (*create)(const P&)) {
  const ParamFields<P>& fields = P::fields();
  return {std::move(name), std::move(summary), fields.specs(),
          [&fields, create](const PassParams& params) { return create(fields.bind(params)); }};
}

class PassRegistry {
 public:
  void add(PassInfo info) { passes_.push_back(std::move(info)); }
  const PassInfo* find(const std::string& name) const {
    for (const auto& p : passes_)
      if (p.name == name) return &p;
    return nullptr;
  }
  const std::vector<PassInfo>& all() const { return passes_; }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& p : passes_) out.push_back(p.name);
    return out;
  }

 private:
  std::vector<PassInfo> passes_;
};

}  // namespace dnnc
