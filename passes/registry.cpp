#include "passes/registry.h"

namespace dnnc {

#define DNNC_PASS(NAME, IDENT, SUMMARY)                 \
  std::vector<ParamSpec> IDENT##Params();              \
  Expected<std::unique_ptr<Pass>> create##IDENT(const PassParams& params);
#include "passes/passes.def"
#undef DNNC_PASS

const PassRegistry& builtinPasses() {
  static const PassRegistry registry = [] {
    PassRegistry r;
#define DNNC_PASS(NAME, IDENT, SUMMARY) r.add({NAME, SUMMARY, IDENT##Params(), create##IDENT});
#include "passes/passes.def"
#undef DNNC_PASS
    return r;
  }();
  return registry;
}

}  // namespace dnnc
