// MaxPool: max over each window (kernel_shape, strides, pads, auto_pad, dilations, ceil_mode); the optional
// Indices output holds flat positions in the input tensor (storage_order 0: row-major, 1: column-major).
#include "lib/exec/ops/pool_common.h"

namespace dnnc {
Expected<std::unique_ptr<Kernel>> makeMaxPool(const NodeInfo& info) {
  ops::PoolKernel k;
  DNNC_ASSIGN(k.attrs, ops::parseWindow(info, true));
  k.is_max = true;
  k.storage_order = info.attrInt("storage_order", 0);
  return makeKernel(std::move(k));
}
}  // namespace dnnc
