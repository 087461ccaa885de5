#include "passes/registry.h"

namespace dnnc {

#define DNNC_PASS(NAME, IDENT, SUMMARY) PassInfo IDENT##Entry(std::string name, std::string summary);
#include "passes/passes.def"
#undef DNNC_PASS

const PassRegistry& builtinPasses() {
  static const PassRegistry registry = [] {
    PassRegistry r;
#define DNNC_PASS(NAME, IDENT, SUMMARY) r.add(IDENT##Entry(NAME, SUMMARY));
#include "passes/passes.def"
#undef DNNC_PASS
    return r;
  }();
  return registry;
}

}  // namespace dnnc
