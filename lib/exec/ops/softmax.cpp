// Softmax: y = exp(x - max) / sum(exp(x - max)) along `axis`.
#include "lib/exec/ops/softmax_common.h"

namespace dnnc {
Expected<std::unique_ptr<Kernel>> makeSoftmax(const NodeInfo& info) {
  return makeKernel(ops::softmaxFromNode(info, false));
}
}  // namespace dnnc
