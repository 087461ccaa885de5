// The registry of every pass dnnc ships, filled from passes.def.
#pragma once
#include "lib/pass/registry.h"

namespace dnnc {
const PassRegistry& builtinPasses();
}  // namespace dnnc

// Defines the registry entry passes.def names for pass IDENT: the parameters of IDENT##Params::fields()
// and createIDENT(const IDENT##Params&). One line at the end of each passes/<pass>.cpp, in namespace dnnc.
#define DNNC_PASS_ENTRY(IDENT)                                                \
  PassInfo IDENT##Entry(std::string name, std::string summary) {              \
    return typedPass<IDENT##Params>(std::move(name), std::move(summary), create##IDENT); \
  }
