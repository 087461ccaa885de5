// Pad: modes constant (value), reflect and edge; pads [x1_begin, x2_begin, ..., x1_end, ...], negative
// pads crop. Opset 11+: pads, constant_value (and opset 18's axes) as inputs; before 11, attributes.
#include <algorithm>

#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
enum class Mode { Constant, Reflect, Edge };

struct PadKernel {
  Mode mode = Mode::Constant;
  bool from_attrs = false;
  std::vector<int64_t> a_pads;
  float a_value = 0;

  // Source index along one dim for output index o, or -1 for the constant.
  static int64_t source(int64_t o, int64_t begin, int64_t d, Mode mode) {
    int64_t i = o - begin;
    if (i >= 0 && i < d) return i;
    if (mode == Mode::Constant || d == 0) return -1;
    if (mode == Mode::Edge) return i < 0 ? 0 : d - 1;
    if (d == 1) return 0;
    int64_t period = 2 * (d - 1);
    i = ((i % period) + period) % period;
    return i < d ? i : period - i;
  }

  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    const int r = x.rank();
    std::vector<int64_t> pads = a_pads;
    std::vector<std::byte> value(dtypeSize(x.dtype), std::byte{0});
    if (from_attrs) {
      if (x.dtype == DType::Float) std::memcpy(value.data(), &a_value, 4);
    } else {
      DNNC_ASSIGN(pads, ops::intValues(ctx.input(1), ctx, "pads"));
      if (ctx.hasInput(2)) {
        const Value& v = ctx.input(2);
        if (v.dtype != x.dtype || v.numel() != 1)
          return ctx.error("constant_value must be a ", dtypeName(x.dtype), " scalar, got ", describe(v.dtype, v.dims));
        std::memcpy(value.data(), v.data, value.size());
      }
      if (ctx.hasInput(3)) {  // opset 18: pads for the listed axes only
        DNNC_ASSIGN(auto axes, ops::intValues(ctx.input(3), ctx, "axes"));
        if (pads.size() != 2 * axes.size()) return ctx.error("pads has ", pads.size(), " entries for ", axes.size(), " axes");
        std::vector<int64_t> full(2 * r, 0);
        for (size_t k = 0; k < axes.size(); ++k) {
          DNNC_ASSIGN(int ax, ops::normalizeAxis(axes[k], r, ctx));
          full[ax] = pads[k];
          full[ax + r] = pads[k + axes.size()];
        }
        pads = full;
      }
    }
    if (static_cast<int>(pads.size()) != 2 * r) return ctx.error("pads has ", pads.size(), " entries for rank ", r);
    std::vector<int64_t> dims(r);
    for (int i = 0; i < r; ++i) {
      dims[i] = x.dims[i] + pads[i] + pads[i + r];
      if (dims[i] < 0) return ctx.error("pads ", dimsToString(pads), " crop ", dimsToString(x.dims), " below zero");
      if (mode != Mode::Constant && x.dims[i] == 0 && dims[i] > 0) return ctx.error("cannot ", mode == Mode::Edge ? "edge" : "reflect", "-pad an empty dim");
    }
    if (std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p == 0; })) {
      ctx.outputAlias(0, 0, dims);  // nothing to pad (DenseNet's exported AveragePools carry such a Pad)
      return {};
    }
    Value& y = ctx.output(0, x.dtype, dims);
    const int64_t total = y.numel();
    if (total == 0) return {};
    const size_t es = dtypeSize(x.dtype);
    const auto* src = static_cast<const std::byte*>(x.data);
    auto* dst = static_cast<std::byte*>(y.data);
    if (r == 0) {
      std::memcpy(dst, src, es);
      return {};
    }
    auto in_strides = ops::contiguousStrides(x.dims);
    const int64_t inner = dims[r - 1];
    const int64_t rows = total / inner;
    std::vector<int64_t> lastmap(inner);
    for (int64_t o = 0; o < inner; ++o) lastmap[o] = source(o, pads[r - 1], x.dims[r - 1], mode);
    // Output columns [lo, hi) of a row copy one contiguous run of the input row; only the borders map
    // column by column.
    const int64_t lo = std::clamp<int64_t>(pads[r - 1], 0, inner);
    const int64_t hi = std::clamp<int64_t>(pads[r - 1] + x.dims[r - 1], lo, inner);
    const auto put = [&](std::byte* out, int64_t o, int64_t off) {
      const int64_t s = lastmap[o];
      std::memcpy(out + o * es, s < 0 ? value.data() : src + (off + s) * static_cast<int64_t>(es), es);
    };
    // n elements of the constant from out on: a memset when it is all zero bytes (the usual zero pad).
    const bool zero_value = std::all_of(value.begin(), value.end(), [](std::byte b) { return b == std::byte{0}; });
    const auto fill = [&](std::byte* out, int64_t n) {
      if (zero_value) std::memset(out, 0, n * es);
      else
        for (int64_t o = 0; o < n; ++o) std::memcpy(out + o * es, value.data(), es);
    };
    // Output columns [o0, o1) of a row outside the input's run: the constant, or the mapped samples.
    const auto border = [&](std::byte* out, int64_t o0, int64_t o1, int64_t off) {
      if (mode == Mode::Constant) return fill(out + o0 * es, o1 - o0);
      for (int64_t o = o0; o < o1; ++o) put(out, o, off);
    };
    std::vector<int64_t> idx(r, 0);
    for (int64_t row = 0; row < rows; ++row) {
      int64_t off = 0;
      bool constant = false;
      for (int d = 0; d < r - 1; ++d) {
        int64_t s = source(idx[d], pads[d], x.dims[d], mode);
        if (s < 0) constant = true;
        else off += s * in_strides[d];
      }
      std::byte* out = dst + row * inner * static_cast<int64_t>(es);
      if (constant) {
        fill(out, inner);
      } else {
        border(out, 0, lo, off);
        if (hi > lo) std::memcpy(out + lo * es, src + (off + lastmap[lo]) * static_cast<int64_t>(es), (hi - lo) * es);
        border(out, hi, inner, off);
      }
      for (int d = r - 2; d >= 0; --d) {
        if (++idx[d] < dims[d]) break;
        idx[d] = 0;
      }
    }
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makePad(const NodeInfo& info) {
  PadKernel k;
  std::string mode = info.attrString("mode", "constant");
  if (mode == "constant") k.mode = Mode::Constant;
  else if (mode == "reflect") k.mode = Mode::Reflect;
  else if (mode == "edge") k.mode = Mode::Edge;
  else return info.error("mode '", mode, "' is not supported (constant, reflect, edge)");
  if (info.opset() < 11) {
    k.from_attrs = true;
    k.a_pads = info.attrInts(info.opset() < 2 ? "paddings" : "pads");
    k.a_value = info.attrFloat("value", 0.0f);
  }
  return makeKernel(k);
}

}  // namespace dnnc
