// AveragePool: mean over each window; padding counts toward the divisor only with count_include_pad.
#include "lib/exec/ops/pool_common.h"

namespace dnnc {
Expected<std::unique_ptr<Kernel>> makeAveragePool(const NodeInfo& info) {
  ops::PoolKernel k;
  DNNC_ASSIGN(k.attrs, ops::parseWindow(info, true));
  k.is_max = false;
  k.count_include_pad = info.attrInt("count_include_pad", 0) != 0;
  return makeKernel(std::move(k));
}
}  // namespace dnnc
