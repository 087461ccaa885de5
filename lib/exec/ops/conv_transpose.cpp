// ConvTranspose: the gradient of Conv, 1 to 3 spatial dims, with group, strides, dilations, pads,
// output_padding, output_shape and auto_pad. Per image and group: col = W_g^T * X_g (one Eigen GEMM), then
// col2im scatters the columns into the output, which starts from the bias.
#include <Eigen/Core>

#include "lib/exec/ops/window.h"

namespace dnnc {
namespace {

using ConstRowMap = Eigen::Map<const RowMatrixF>;
using RowMap = Eigen::Map<RowMatrixF>;

struct ConvTransposeKernel {
  ops::WindowAttrs attrs;
  int64_t group = 1;
  std::vector<int64_t> output_padding, output_shape;

  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    const Value& wt = ctx.input(1);
    if (x.dtype != DType::Float || wt.dtype != DType::Float) return ctx.error("expects float32 X and W");
    if (x.rank() < 3 || x.rank() > 5 || wt.rank() != x.rank())
      return ctx.error("X ", dimsToString(x.dims), " and W ", dimsToString(wt.dims), " must have the same rank, 3 to 5");
    const int64_t N = x.dims[0], C = x.dims[1];
    if (group <= 0 || wt.dims[0] != C || C % group != 0)
      return ctx.error("X has ", C, " channels, W ", dimsToString(wt.dims), ", group ", group, ": inconsistent");
    const int64_t Mg = wt.dims[1], M = Mg * group, Cg = C / group;
    const size_t n = x.dims.size() - 2, off = 3 - n;
    ops::Window3 w;
    for (size_t i = 0; i < n; ++i) {
      int64_t in = x.dims[2 + i], k = wt.dims[2 + i];
      if (!attrs.kernel.empty() && (attrs.kernel.size() != n || attrs.kernel[i] != k))
        return ctx.error("kernel_shape ", dimsToString(attrs.kernel), " differs from W ", dimsToString(wt.dims));
      int64_t s = attrs.strides.empty() ? 1 : attrs.strides.at(i);
      int64_t d = attrs.dilations.empty() ? 1 : attrs.dilations.at(i);
      int64_t op = output_padding.empty() ? 0 : output_padding.at(i);
      int64_t ek = (k - 1) * d + 1;
      int64_t pb = attrs.pads.empty() ? 0 : attrs.pads.at(i), pe = attrs.pads.empty() ? 0 : attrs.pads.at(i + n);
      int64_t full = s * (in - 1) + op + ek, out;
      if (!output_shape.empty()) {
        out = output_shape[output_shape.size() - n + i];
        int64_t total = full - out;  // negative: the output grows at the end (floor division, as the reference)
        int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
        pb = attrs.auto_pad == ops::AutoPad::SameUpper ? half : total - half;
        pe = total - pb;
      } else if (attrs.auto_pad == ops::AutoPad::SameUpper || attrs.auto_pad == ops::AutoPad::SameLower) {
        out = in * s;
        int64_t total = std::max<int64_t>(0, full - out);
        pb = attrs.auto_pad == ops::AutoPad::SameUpper ? total / 2 : total - total / 2;
        pe = total - pb;
      } else {
        if (attrs.auto_pad == ops::AutoPad::Valid) pb = pe = 0;
        out = full - pb - pe;
      }
      if (out <= 0) return ctx.error("output dim ", i, " would be ", out);
      w.in[off + i] = in;
      w.out[off + i] = out;
      w.k[off + i] = k;
      w.s[off + i] = s;
      w.dil[off + i] = d;
      w.pad_begin[off + i] = pb;
      w.pad_end[off + i] = pe;
    }
    const float* bias = nullptr;
    if (ctx.hasInput(2)) {
      const Value& b = ctx.input(2);
      if (b.dtype != DType::Float || b.numel() != M) return ctx.error("B must be float32 [", M, "]");
      bias = b.as<float>();
    }
    std::vector<int64_t> dims = {N, M};
    for (size_t i = 0; i < n; ++i) dims.push_back(w.out[off + i]);
    Value& y = ctx.output(0, DType::Float, dims);
    const int64_t HWin = w.inSize(), P = w.outSize(), KK = w.kSize();
    const int64_t rows = Mg * KK;
    float* col = ctx.scratch(static_cast<size_t>(rows * HWin));
    const float* xd = x.as<float>();
    const float* wd = wt.as<float>();
    float* yd = y.as<float>();
    for (int64_t img = 0; img < N; ++img) {
      for (int64_t g = 0; g < group; ++g) {
        float* yg = yd + (img * M + g * Mg) * P;
        for (int64_t m = 0; m < Mg; ++m) std::fill(yg + m * P, yg + (m + 1) * P, bias ? bias[g * Mg + m] : 0.0f);
        // W_g is [Cg, Mg*KK]; col[Mg*KK, HWin] = W_g^T * X_g[Cg, HWin].
        ConstRowMap W(wd + g * Cg * rows, Cg, rows);
        ConstRowMap X(xd + (img * C + g * Cg) * HWin, Cg, HWin);
        RowMap(col, rows, HWin).noalias() = W.transpose() * X;
        for (int64_t m = 0; m < Mg; ++m)
          for (int64_t a = 0; a < w.k[0]; ++a)
            for (int64_t b = 0; b < w.k[1]; ++b)
              for (int64_t e = 0; e < w.k[2]; ++e) {
                const float* src = col + (((m * w.k[0] + a) * w.k[1] + b) * w.k[2] + e) * HWin;
                float* dst = yg + m * P;
                for (int64_t id = 0; id < w.in[0]; ++id) {
                  int64_t od = id * w.s[0] - w.pad_begin[0] + a * w.dil[0];
                  if (od < 0 || od >= w.out[0]) continue;
                  for (int64_t ih = 0; ih < w.in[1]; ++ih) {
                    int64_t oh = ih * w.s[1] - w.pad_begin[1] + b * w.dil[1];
                    if (oh < 0 || oh >= w.out[1]) continue;
                    const float* s = src + (id * w.in[1] + ih) * w.in[2];
                    float* d = dst + (od * w.out[1] + oh) * w.out[2];
                    for (int64_t iw = 0; iw < w.in[2]; ++iw) {
                      int64_t ow = iw * w.s[2] - w.pad_begin[2] + e * w.dil[2];
                      if (ow >= 0 && ow < w.out[2]) d[ow] += s[iw];
                    }
                  }
                }
              }
      }
    }
    return {};
  }
};

}  // namespace

Expected<std::unique_ptr<Kernel>> makeConvTranspose(const NodeInfo& info) {
  ConvTransposeKernel k;
  DNNC_ASSIGN(k.attrs, ops::parseWindow(info, false));
  k.group = info.attrInt("group", 1);
  k.output_padding = info.attrInts("output_padding");
  k.output_shape = info.attrInts("output_shape");
  if (k.group < 1) return info.error("group must be positive");
  return makeKernel(std::move(k));
}

}  // namespace dnnc
