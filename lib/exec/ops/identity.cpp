// Identity: y = x, without copying.
#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct IdentityKernel {
  Status run(KernelContext& ctx) {
    ctx.outputAlias(0, 0, ctx.input(0).dims);
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeIdentity(const NodeInfo& info) { return makeKernel(IdentityKernel{}); }

}  // namespace dnnc
