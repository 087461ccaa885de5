// GlobalAveragePool: the mean over all spatial dims, keeping them as size 1.
#include "lib/exec/ops/global_pool.h"

namespace dnnc {
Expected<std::unique_ptr<Kernel>> makeGlobalAveragePool(const NodeInfo& info) {
  return makeKernel(ops::GlobalPoolKernel{false});
}
}  // namespace dnnc
