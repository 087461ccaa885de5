// LogSoftmax: y = x - max - log(sum(exp(x - max))) along `axis`.
#include "lib/exec/ops/softmax_common.h"

namespace dnnc {
Expected<std::unique_ptr<Kernel>> makeLogSoftmax(const NodeInfo& info) {
  return makeKernel(ops::softmaxFromNode(info, true));
}
}  // namespace dnnc
