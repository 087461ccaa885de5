// Sliding-window geometry shared by Conv, ConvTranspose and the pools: kernel, strides, dilations, pads and
// auto_pad, with 1-D and 2-D cases lifted to 3-D (depth, height, width) so one loop nest serves all.
#pragma once
#include <string>
#include <vector>

#include "lib/exec/ops/common.h"

namespace dnnc::ops {

enum class AutoPad { NotSet, SameUpper, SameLower, Valid };

struct WindowAttrs {
  std::vector<int64_t> kernel;  // may be empty: taken from the weights (Conv)
  std::vector<int64_t> strides, dilations, pads;
  AutoPad auto_pad = AutoPad::NotSet;
  bool ceil_mode = false;
};

inline Expected<WindowAttrs> parseWindow(const NodeInfo& info, bool pool) {
  WindowAttrs w;
  w.kernel = info.attrInts("kernel_shape");
  w.strides = info.attrInts("strides");
  w.dilations = info.attrInts("dilations");
  w.pads = info.attrInts("pads");
  w.ceil_mode = info.attrInt("ceil_mode", 0) != 0;
  std::string ap = info.attrString("auto_pad", "NOTSET");
  if (ap == "NOTSET" || ap.empty()) w.auto_pad = AutoPad::NotSet;
  else if (ap == "SAME_UPPER") w.auto_pad = AutoPad::SameUpper;
  else if (ap == "SAME_LOWER") w.auto_pad = AutoPad::SameLower;
  else if (ap == "VALID") w.auto_pad = AutoPad::Valid;
  else return info.error("auto_pad '", ap, "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  if (pool && w.kernel.empty()) return info.error("missing kernel_shape");
  for (int64_t s : w.strides)
    if (s <= 0) return info.error("strides must be positive");
  for (int64_t d : w.dilations)
    if (d <= 0) return info.error("dilations must be positive");
  // ONNX pads are non-negative; the kernels index padded copies of the input by them.
  for (int64_t p : w.pads)
    if (p < 0) return info.error("pads must be non-negative, got ", p);
  return w;
}

// Resolved geometry in 3-D (d, h, w); unused leading dims have size 1 and no padding.
struct Window3 {
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, dil[3] = {1, 1, 1};
  int64_t pad_begin[3] = {0, 0, 0}, pad_end[3] = {0, 0, 0};
  int64_t inSize() const { return in[0] * in[1] * in[2]; }
  int64_t outSize() const { return out[0] * out[1] * out[2]; }
  int64_t kSize() const { return k[0] * k[1] * k[2]; }
};

// Output dims of a forward window (Conv, pools) over `spatial` input dims.
inline Expected<Window3> resolveWindow(const WindowAttrs& a, std::span<const int64_t> spatial,
                                       std::span<const int64_t> kernel, const KernelContext& ctx) {
  const size_t n = spatial.size();
  if (n < 1 || n > 3) return ctx.error("supports 1 to 3 spatial dims, got ", n);
  if (kernel.size() != n) return ctx.error("kernel has ", kernel.size(), " dims for ", n, " spatial dims");
  if ((!a.strides.empty() && a.strides.size() != n) || (!a.dilations.empty() && a.dilations.size() != n) ||
      (!a.pads.empty() && a.pads.size() != 2 * n))
    return ctx.error("strides, dilations or pads do not match ", n, " spatial dims");
  Window3 w;
  const size_t off = 3 - n;
  for (size_t i = 0; i < n; ++i) {
    int64_t in = spatial[i], k = kernel[i];
    int64_t s = a.strides.empty() ? 1 : a.strides[i];
    int64_t d = a.dilations.empty() ? 1 : a.dilations[i];
    int64_t ek = (k - 1) * d + 1;
    int64_t pb = a.pads.empty() ? 0 : a.pads[i], pe = a.pads.empty() ? 0 : a.pads[i + n];
    int64_t out;
    switch (a.auto_pad) {
      case AutoPad::NotSet:
        if (in + pb + pe < ek) return ctx.error("kernel ", ek, " is larger than the padded input ", in + pb + pe);
        if (a.ceil_mode) {
          out = (in + pb + pe - ek + s - 1) / s + 1;
          if ((out - 1) * s >= in + pb) --out;  // the last window must start inside the input or left pad
        } else {
          out = (in + pb + pe - ek) / s + 1;
        }
        break;
      case AutoPad::Valid:
        pb = pe = 0;
        if (in < ek) return ctx.error("kernel ", ek, " is larger than the input ", in);
        out = (in - ek) / s + 1;
        break;
      default: {
        out = (in + s - 1) / s;
        int64_t total = std::max<int64_t>(0, (out - 1) * s + ek - in);
        pb = a.auto_pad == AutoPad::SameUpper ? total / 2 : total - total / 2;
        pe = total - pb;
      }
    }
    w.in[off + i] = in;
    w.out[off + i] = out;
    w.k[off + i] = k;
    w.s[off + i] = s;
    w.dil[off + i] = d;
    w.pad_begin[off + i] = pb;
    w.pad_end[off + i] = pe;
  }
  return w;
}

}  // namespace dnnc::ops
