// Max: the elementwise maximum of one or more inputs with numpy broadcasting (variadic_extremum.h).
#include "lib/exec/ops/variadic_extremum.h"

namespace dnnc {
namespace {
struct MaxKernel {
  Status run(KernelContext& ctx) { return ops::variadicExtremum<true>(ctx); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeMax(const NodeInfo& info) { return makeKernel(MaxKernel{}); }

}  // namespace dnnc
