// Min: the elementwise minimum of one or more inputs with numpy broadcasting (variadic_extremum.h).
#include "lib/exec/ops/variadic_extremum.h"

namespace dnnc {
namespace {
struct MinKernel {
  Status run(KernelContext& ctx) { return ops::variadicExtremum<false>(ctx); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeMin(const NodeInfo& info) { return makeKernel(MinKernel{}); }

}  // namespace dnnc
