// GRU: the gated recurrent unit (gates z, r, h; linear_before_reset); outputs Y, Y_h.
// Shared with the other recurrent ops in rnn_common.cpp.
#include "lib/exec/ops/rnn_common.h"

namespace dnnc {
namespace {
struct GRUKernel {
  ops::RnnSpec spec;
  Status run(KernelContext& ctx) { return ops::runRnn(ctx, spec); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeGRU(const NodeInfo& info) {
  DNNC_ASSIGN(ops::RnnSpec spec, ops::parseRnnSpec(info, ops::RnnCell::Gru));
  return makeKernel(GRUKernel{std::move(spec)});
}

}  // namespace dnnc
