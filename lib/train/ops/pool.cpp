// MaxPool, AveragePool (2-D) and GlobalAveragePool on the tape. MaxPool routes each output's gradient
// to the input that won the window (argmax kept from the forward pass); averages spread it by 1/count
// (1/count^2 in curvature mode).
#include <algorithm>
#include <cmath>
#include <limits>

#include "lib/train/ops/registry.h"

namespace dnnc::train {
namespace {

enum class PoolKind { Max, Average, GlobalAverage };

class PoolOp : public Op {
 public:
  PoolOp(PoolKind kind, std::vector<int64_t> k, std::vector<int64_t> s, std::vector<int64_t> pads, bool ceil_mode,
         bool count_pad)
      : kind_(kind), k_(std::move(k)), s_(std::move(s)), pads_(std::move(pads)), ceil_(ceil_mode), count_pad_(count_pad) {}

  Status forward(Tape& t) override {
    const Buf& xb = x(t, 0);
    if (xb.rank() != 4) return error("input ", dimsText(xb.dims), ": only 2-D pooling is supported for training");
    N_ = xb.dims[0], C_ = xb.dims[1], H_ = xb.dims[2], W_ = xb.dims[3];
    if (kind_ == PoolKind::GlobalAverage) {
      k_ = {H_, W_}, s_ = {1, 1}, pads_ = {0, 0, 0, 0};
    }
    if (pads_.empty()) pads_ = {0, 0, 0, 0};
    OH_ = outSize(H_, k_[0], s_[0], pads_[0], pads_[2]);
    OW_ = outSize(W_, k_[1], s_[1], pads_[1], pads_[3]);
    if (OH_ <= 0 || OW_ <= 0) return error("input ", dimsText(xb.dims), " is smaller than the window");
    Buf& yb = y(t, 0);
    yb.reshape({N_, C_, OH_, OW_});
    if (kind_ == PoolKind::Max) argmax_.resize(static_cast<size_t>(yb.numel()));
    count_.resize(static_cast<size_t>(OH_ * OW_));
    const int64_t planes = N_ * C_;
    // Rows of outputs in the vector lanes (maxRow) for windows of more than 4: ResNet's 3x3 stride-2
    // pool took 2.4x less time than window by window, while a 2x2 pool (the residual CNN's) took 1.5x
    // more (its strided loads cost more than the short scalar chain).
    const bool rows = kind_ == PoolKind::Max && k_[0] * k_[1] > 4 && pads_[0] < k_[0] && pads_[1] < k_[1];
    const bool pairs = kind_ == PoolKind::Max && k_ == std::vector<int64_t>{2, 2} && s_ == k_ &&
                       pads_ == std::vector<int64_t>{0, 0, 0, 0} && 2 * OH_ <= H_ && 2 * OW_ <= W_;
    if (pairs) {  // one int per output position, shared by every plane: cheaper to remake than to key
      corner_.resize(static_cast<size_t>(OH_ * OW_));
      for (int64_t o = 0; o < OH_ * OW_; ++o) corner_[o] = static_cast<int32_t>(2 * (o / OW_) * W_ + 2 * (o % OW_));
    }
#pragma omp parallel for num_threads(t.threads()) schedule(static)
    for (int64_t pl = 0; pl < planes; ++pl) {
      const float* xp = xb.data() + pl * H_ * W_;
      float* yp = yb.data() + pl * OH_ * OW_;
      if (pairs) {
        max2x2Plane(xp, yp, argmax_.data() + pl * OH_ * OW_);
        continue;
      }
      if (rows) {
        for (int64_t oh = 0; oh < OH_; ++oh) maxRow(xp, oh, yp + oh * OW_, argmax_.data() + pl * OH_ * OW_ + oh * OW_);
        continue;
      }
      for (int64_t oh = 0; oh < OH_; ++oh)
        for (int64_t ow = 0; ow < OW_; ++ow) {
          const int64_t h0 = oh * s_[0] - pads_[0], w0 = ow * s_[1] - pads_[1];
          const int64_t h1 = std::min(h0 + k_[0], H_), w1 = std::min(w0 + k_[1], W_);
          const int64_t o = oh * OW_ + ow;
          if (kind_ == PoolKind::Max) {
            // The first element in the window starts the search; selects, not branches (the winner of
            // a window of activations is a coin toss the branch predictor loses half the time).
            const int64_t hs = std::max<int64_t>(h0, 0), ws = std::max<int64_t>(w0, 0);
            if (hs >= h1 || ws >= w1) {  // a window wholly in the padding
              yp[o] = -std::numeric_limits<float>::infinity();
              argmax_[pl * OH_ * OW_ + o] = -1;
              continue;
            }
            int32_t arg = static_cast<int32_t>(hs * W_ + ws);
            float best = xp[arg];
            for (int64_t h = hs; h < h1; ++h)
              for (int64_t w = ws; w < w1; ++w) {
                const float v = xp[h * W_ + w];
                const int32_t win = -static_cast<int32_t>(v > best);  // all ones when v wins (masks: GCC
                arg = (arg & ~win) | (static_cast<int32_t>(h * W_ + w) & win);  // turns ?: back into a branch)
                best = std::max(best, v);
              }
            yp[o] = best;
            argmax_[pl * OH_ * OW_ + o] = arg;
          } else {
            double sum = 0;
            for (int64_t h = std::max<int64_t>(h0, 0); h < h1; ++h)
              for (int64_t w = std::max<int64_t>(w0, 0); w < w1; ++w) sum += xp[h * W_ + w];
            float cnt = count_pad_ ? static_cast<float>(std::min(h0 + k_[0], H_ + pads_[2]) - h0) *
                                         static_cast<float>(std::min(w0 + k_[1], W_ + pads_[3]) - w0)
                                   : static_cast<float>((h1 - std::max<int64_t>(h0, 0)) * (w1 - std::max<int64_t>(w0, 0)));
            if (pl == 0) count_[o] = cnt;
            yp[o] = static_cast<float>(sum / cnt);
          }
        }
    }
    return {};
  }

  void backward(Tape& t, Mode mode) override {
    bool fresh = false;  // not yet written in this sweep: each plane is zeroed just before its scatter
    float* gx = gradInForWrite(t, 0, &fresh);
    if (!gx) return;
    const float* gy = gradOut(t, 0).data();
    const bool sq = mode == Mode::Curvature;
    const int64_t planes = N_ * C_;
#pragma omp parallel for num_threads(t.threads()) schedule(static)
    for (int64_t pl = 0; pl < planes; ++pl) {
      float* gp = gx + pl * H_ * W_;
      if (fresh) std::fill(gp, gp + H_ * W_, 0.0f);
      const float* g = gy + pl * OH_ * OW_;
      for (int64_t oh = 0; oh < OH_; ++oh)
        for (int64_t ow = 0; ow < OW_; ++ow) {
          const int64_t o = oh * OW_ + ow;
          if (kind_ == PoolKind::Max) {
            gp[argmax_[pl * OH_ * OW_ + o]] += g[o];
            continue;
          }
          const float f = sq ? 1.0f / (count_[o] * count_[o]) : 1.0f / count_[o];
          const int64_t h0 = oh * s_[0] - pads_[0], w0 = ow * s_[1] - pads_[1];
          const int64_t h1 = std::min(h0 + k_[0], H_), w1 = std::min(w0 + k_[1], W_);
          for (int64_t h = std::max<int64_t>(h0, 0); h < h1; ++h)
            for (int64_t w = std::max<int64_t>(w0, 0); w < w1; ++w) gp[h * W_ + w] += g[o] * f;
        }
    }
  }

 private:
  // A plane of a 2x2 stride-2 unpadded MaxPool (the residual CNN's and LeNet-5's), each window in one
  // vector lane, read at its top-left offset (from corner_, the same for every plane: rows of 14 or 7
  // windows left most of a vector to a scalar tail), taps in the scalar loop's order with the same
  // strict-greater rule. Window by window it was 5 % of the residual CNN's training step.
  void max2x2Plane(const float* __restrict xp, float* __restrict y, int32_t* __restrict arg) const {
    const int32_t* __restrict corner = corner_.data();
    const int64_t w = W_;
#pragma omp simd
    for (int64_t o = 0; o < OH_ * OW_; ++o) {
      const int32_t at = corner[o];
      float best = xp[at];
      int32_t win = at;
      const float b = xp[at + 1], c = xp[at + w], d = xp[at + w + 1];
      win = b > best ? at + 1 : win, best = b > best ? b : best;
      win = c > best ? at + static_cast<int32_t>(w) : win, best = c > best ? c : best;
      win = d > best ? at + static_cast<int32_t>(w) + 1 : win, best = d > best ? d : best;
      y[o] = best;
      arg[o] = win;
    }
  }

  // One row of MaxPool outputs with the outputs in the vector lanes, taps in the scalar loop's order
  // (rows, then columns; a later tap wins only when strictly greater), so the same winners. Each output
  // starts at its window's first element inside the image (never wholly in the padding: pads < kernel).
  void maxRow(const float* xp, int64_t oh, float* __restrict y, int32_t* __restrict arg) const {
    const int64_t h0 = oh * s_[0] - pads_[0], hs = std::max<int64_t>(h0, 0), h1 = std::min(h0 + k_[0], H_);
    const int64_t sw = s_[1], pl = pads_[1];
#pragma omp simd
    for (int64_t ow = 0; ow < OW_; ++ow) {
      y[ow] = -std::numeric_limits<float>::infinity();
      arg[ow] = static_cast<int32_t>(hs * W_ + std::max<int64_t>(ow * sw - pl, 0));
    }
    for (int64_t h = hs; h < h1; ++h)
      for (int64_t j = 0; j < k_[1]; ++j) {
        // Outputs [lo, hi) whose column ow * sw - pl + j lies inside the image.
        const int64_t shift = j - pl;
        const int64_t lo = shift >= 0 ? 0 : (-shift + sw - 1) / sw;
        const int64_t hi = std::min(OW_, W_ - shift <= 0 ? 0 : (W_ - 1 - shift) / sw + 1);
        const float* xr = xp + h * W_ + shift;
        const int32_t base = static_cast<int32_t>(h * W_ + shift);
#pragma omp simd
        for (int64_t ow = lo; ow < hi; ++ow) {
          const float v = xr[ow * sw];
          const bool win = v > y[ow];
          arg[ow] = win ? base + static_cast<int32_t>(ow * sw) : arg[ow];
          y[ow] = win ? v : y[ow];
        }
      }
  }

  int64_t outSize(int64_t in, int64_t k, int64_t s, int64_t p0, int64_t p1) const {
    const int64_t span = in + p0 + p1 - k;
    if (!ceil_) return span / s + 1;
    int64_t out = (span + s - 1) / s + 1;
    if ((out - 1) * s >= in + p0) --out;  // the last window must start inside the input or the begin pad
    return out;
  }
  PoolKind kind_;
  std::vector<int64_t> k_, s_, pads_;
  bool ceil_, count_pad_;
  int64_t N_ = 0, C_ = 0, H_ = 0, W_ = 0, OH_ = 0, OW_ = 0;
  std::vector<int32_t> argmax_;
  std::vector<int32_t> corner_;  // 2x2 stride-2 pooling: each window's top-left offset in a plane
  std::vector<float> count_;  // window element count per output position (same for every plane)
};

}  // namespace

Expected<std::unique_ptr<Op>> makePool(const onnx::NodeProto& n, int64_t) {
  const std::string& op = n.op_type();
  if (op == "GlobalAveragePool") return std::unique_ptr<Op>(new PoolOp(PoolKind::GlobalAverage, {}, {}, {}, false, false));
  auto k = attrInts(n, "kernel_shape"), s = attrInts(n, "strides"), pads = attrInts(n, "pads"), dil = attrInts(n, "dilations");
  if (s.empty()) s = {1, 1};
  const std::string where = op + " node '" + n.name() + "'";
  if (k.size() != 2 || s.size() != 2 || (!pads.empty() && pads.size() != 4))
    return Error(Exit::Input, where, ": only 2-D pooling is supported for training");
  for (int64_t d : dil)
    if (d != 1) return Error(Exit::Input, where, ": dilated pooling is not supported for training");
  std::string ap = attrString(n, "auto_pad", "NOTSET");
  if (ap != "NOTSET" && ap != "VALID") return Error(Exit::Input, where, ": auto_pad '", ap, "' is not supported for training");
  return std::unique_ptr<Op>(new PoolOp(op == "MaxPool" ? PoolKind::Max : PoolKind::Average, k, s, pads,
                                        attrInt(n, "ceil_mode", 0) != 0, attrInt(n, "count_include_pad", 0) != 0));
}

}  // namespace dnnc::train
