// LSTM: the long short-term memory layer (gates i, o, f, c; optional peepholes P, initial_c, input_forget); outputs Y, Y_h, Y_c.
// Shared with the other recurrent ops in rnn_common.cpp.
#include "lib/exec/ops/rnn_common.h"

namespace dnnc {
namespace {
struct LSTMKernel {
  ops::RnnSpec spec;
  Status run(KernelContext& ctx) { return ops::runRnn(ctx, spec); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeLSTM(const NodeInfo& info) {
  DNNC_ASSIGN(ops::RnnSpec spec, ops::parseRnnSpec(info, ops::RnnCell::Lstm));
  return makeKernel(LSTMKernel{std::move(spec)});
}

}  // namespace dnnc
