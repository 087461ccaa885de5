// ScatterND: a copy of data with the slices addressed by `indices` (int64, last axis k <= rank: a k-tuple
// per slice; negative values count from the end) replaced by `updates`, or combined with them by
// `reduction` (opset 16: add, mul; 18: max, min). Duplicate indices apply in order, as the ONNX reference
// does. Any numeric type (float16 through float32).
#include <cmath>
#include <cstring>

#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {

enum class Reduction { None, Add, Mul, Max, Min };

template <class T>
void combine(T* dst, const T* src, int64_t n, Reduction r) {
  switch (r) {
    case Reduction::None: std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(T)); break;
    case Reduction::Add: for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<T>(dst[i] + src[i]); break;
    case Reduction::Mul: for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<T>(dst[i] * src[i]); break;
    case Reduction::Max: for (int64_t i = 0; i < n; ++i) dst[i] = dst[i] < src[i] ? src[i] : dst[i]; break;
    case Reduction::Min: for (int64_t i = 0; i < n; ++i) dst[i] = src[i] < dst[i] ? src[i] : dst[i]; break;
  }
}

struct ScatterNDKernel {
  Reduction reduction = Reduction::None;
  Status run(KernelContext& ctx) {
    const Value& data = ctx.input(0);
    const Value& ind = ctx.input(1);
    const Value& upd = ctx.input(2);
    if (upd.dtype != data.dtype)
      return ctx.error("updates are ", dtypeName(upd.dtype), ", data is ", dtypeName(data.dtype));
    if (ind.rank() < 1) return ctx.error("indices must have rank >= 1");
    DNNC_ASSIGN(auto idx, ops::intValues(ind, ctx, "indices"));
    const int r = data.rank(), q = ind.rank();
    const int64_t k = ind.dims[q - 1];
    if (k > r) return ctx.error("indices address ", k, " axes of a rank-", r, " tensor");
    // updates must have shape indices.dims[:-1] + data.dims[k:]
    std::vector<int64_t> want(ind.dims.begin(), ind.dims.end() - 1);
    want.insert(want.end(), data.dims.begin() + k, data.dims.end());
    if (upd.dims != want)
      return ctx.error("updates have shape ", dimsToString(upd.dims), ", expected ", dimsToString(want));
    int64_t slice = 1;
    for (int i = static_cast<int>(k); i < r; ++i) slice *= data.dims[i];
    const auto strides = ops::contiguousStrides(data.dims);
    Value& y = ctx.outputInPlace(0, 0, data.dtype, data.dims);
    if (y.data != data.data && data.sizeBytes()) std::memcpy(y.data, data.data, data.sizeBytes());
    int64_t slices = 1;
    for (int i = 0; i < q - 1; ++i) slices *= ind.dims[i];
    std::vector<int64_t> offsets(slices, 0);
    for (int64_t s = 0; s < slices; ++s)
      for (int64_t j = 0; j < k; ++j) {
        int64_t v = idx[s * k + j];
        const int64_t dim = data.dims[j];
        if (v < -dim || v >= dim) return ctx.error("index ", v, " is out of range for axis ", j, " of size ", dim);
        offsets[s] += (v < 0 ? v + dim : v) * strides[j];
      }
    auto scatter = [&]<class T>() {
      T* out = static_cast<T*>(y.data);
      const T* src = static_cast<const T*>(upd.data);
      for (int64_t s = 0; s < slices; ++s) combine<T>(out + offsets[s], src + s * slice, slice, reduction);
    };
    if (reduction == Reduction::None) {  // any type: a byte copy
      const size_t es = dtypeSize(data.dtype);
      auto* out = static_cast<std::byte*>(y.data);
      const auto* src = static_cast<const std::byte*>(upd.data);
      for (int64_t s = 0; s < slices; ++s) std::memcpy(out + offsets[s] * es, src + s * slice * es, slice * es);
      return {};
    }
#define DNNC_SCATTER(T) scatter.template operator()<T>()
    DNNC_DISPATCH_NUMERIC(data.dtype, DNNC_SCATTER, return ctx.error("reduction on ", dtypeName(data.dtype), " is not supported"))
#undef DNNC_SCATTER
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeScatterND(const NodeInfo& info) {
  const std::string r = info.attrString("reduction", "none");
  ScatterNDKernel k;
  if (r == "none") k.reduction = Reduction::None;
  else if (r == "add") k.reduction = Reduction::Add;
  else if (r == "mul") k.reduction = Reduction::Mul;
  else if (r == "max") k.reduction = Reduction::Max;
  else if (r == "min") k.reduction = Reduction::Min;
  else return info.error("reduction '", r, "' is not supported (none, add, mul, max, min)");
  return makeKernel(k);
}

}  // namespace dnnc
