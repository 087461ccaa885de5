// Where: y = cond ? x : z elementwise, the three broadcast numpy-style; x and z of one type (any).
#include "lib/exec/ops/nary_broadcast.h"

namespace dnnc {
namespace {
struct WhereKernel {
  Status run(KernelContext& ctx) {
    const Value& c = ctx.input(0);
    const Value& x = ctx.input(1);
    const Value& z = ctx.input(2);
    if (c.dtype != DType::Bool) return ctx.error("condition must be bool, got ", dtypeName(c.dtype));
    if (x.dtype != z.dtype)
      return ctx.error("X and Y differ in type: ", dtypeName(x.dtype), " and ", dtypeName(z.dtype));
    const std::vector<int64_t> shapes[] = {c.dims, x.dims, z.dims};
    std::vector<int64_t> dims;
    if (!ops::broadcastAll(shapes, dims))
      return ctx.error("shapes ", dimsToString(c.dims), ", ", dimsToString(x.dims), " and ", dimsToString(z.dims),
                       " do not broadcast");
    Value& y = ctx.output(0, x.dtype, dims);
    const std::array<std::vector<int64_t>, 3> strides{ops::broadcastStrides(c.dims, dims),
                                                      ops::broadcastStrides(x.dims, dims),
                                                      ops::broadcastStrides(z.dims, dims)};
    const auto* cond = static_cast<const uint8_t*>(c.data);
    auto select = [&]<class T>() {
      const T* a = static_cast<const T*>(x.data);
      const T* b = static_cast<const T*>(z.data);
      T* out = static_cast<T*>(y.data);
      ops::forEachBroadcast<3>(dims, strides, [&](int64_t i, const std::array<int64_t, 3>& off) {
        out[i] = cond[off[0]] ? a[off[1]] : b[off[2]];
      });
    };
    switch (dtypeSize(x.dtype)) {
      case 1: select.template operator()<uint8_t>(); break;
      case 2: select.template operator()<uint16_t>(); break;
      case 4: select.template operator()<uint32_t>(); break;
      case 8: select.template operator()<uint64_t>(); break;
      default: return ctx.error("unsupported type ", dtypeName(x.dtype));
    }
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeWhere(const NodeInfo& info) { return makeKernel(WhereKernel{}); }

}  // namespace dnnc
