// Transpose: permutes dims (`perm`, default reversed).
#include "lib/exec/ops/strided_copy.h"

namespace dnnc {
namespace {
struct TransposeKernel {
  std::vector<int64_t> perm;
  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    std::vector<int64_t> p = perm;
    if (p.empty())
      for (int i = x.rank() - 1; i >= 0; --i) p.push_back(i);
    if (static_cast<int>(p.size()) != x.rank()) return ctx.error("perm has ", p.size(), " entries for a rank-", x.rank(), " input");
    std::vector<char> seen(p.size(), 0);
    for (int64_t a : p)
      if (a < 0 || a >= x.rank() || seen[a]++) return ctx.error("perm ", dimsToString(p), " is not a permutation");
    auto in_strides = ops::contiguousStrides(x.dims);
    std::vector<int64_t> dims(p.size()), strides(p.size());
    for (size_t i = 0; i < p.size(); ++i) {
      dims[i] = x.dims[p[i]];
      strides[i] = in_strides[p[i]];
    }
    Value& y = ctx.output(0, x.dtype, dims);
    ops::stridedCopy(static_cast<const std::byte*>(x.data), dims, strides, dtypeSize(x.dtype),
                     static_cast<std::byte*>(y.data), ctx.threads());
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeTranspose(const NodeInfo& info) {
  return makeKernel(TransposeKernel{info.attrInts("perm")});
}

}  // namespace dnnc
