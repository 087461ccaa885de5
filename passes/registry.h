// The registry of every pass dnnc ships, filled from passes.def.
#pragma once
#include "lib/pass/registry.h"

namespace dnnc {
const PassRegistry& builtinPasses();
}
