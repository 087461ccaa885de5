// RNN: the simple recurrent layer H = f(X W^T + H R^T + b); outputs Y, Y_h.
// Shared with the other recurrent ops in rnn_common.cpp.
#include "lib/exec/ops/rnn_common.h"

namespace dnnc {
namespace {
struct RNNKernel {
  ops::RnnSpec spec;
  Status run(KernelContext& ctx) { return ops::runRnn(ctx, spec); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeRNN(const NodeInfo& info) {
  DNNC_ASSIGN(ops::RnnSpec spec, ops::parseRnnSpec(info, ops::RnnCell::Simple));
  return makeKernel(RNNKernel{std::move(spec)});
}

}  // namespace dnnc
