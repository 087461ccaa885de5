// GlobalMaxPool: the max over all spatial dims, keeping them as size 1.
#include "lib/exec/ops/global_pool.h"

namespace dnnc {
Expected<std::unique_ptr<Kernel>> makeGlobalMaxPool(const NodeInfo& info) {
  return makeKernel(ops::GlobalPoolKernel{true});
}
}  // namespace dnnc
