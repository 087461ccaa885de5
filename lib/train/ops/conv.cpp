// Conv (2-D, with groups, strides, pads, dilations) on the tape, as one GEMM per group over the whole
// batch: col_g [K x N*P] (im2col of every image, K = C/group * kh * kw, P output positions),
// Y_g = W_g col_g. Reverse: dW_g = dY_g col_g^T, dcol_g = W_g^T dY_g scattered back by col2im, db = sum dY.
// The columns are kept from the forward pass for the reverse one. Curvature mode squares W and col.
#include <omp.h>

#include <algorithm>

#include "lib/train/ops/matmul.h"
#include "lib/train/ops/registry.h"

namespace dnnc::train {
namespace {

class ConvOp : public Op {
 public:
  ConvOp(std::vector<int64_t> kernel, std::vector<int64_t> strides, std::vector<int64_t> pads,
         std::vector<int64_t> dil, int64_t group, std::string auto_pad)
      : kernel_(std::move(kernel)), s_(std::move(strides)), pads_(std::move(pads)), d_(std::move(dil)), group_(group),
        auto_pad_(std::move(auto_pad)) {}

  Status forward(Tape& t) override {
    const Buf& xb = x(t, 0);
    const Buf& wb = x(t, 1);
    if (xb.rank() != 4 || wb.rank() != 4)
      return error("X ", dimsText(xb.dims), " and W ", dimsText(wb.dims), ": only 2-D convolution is supported for training");
    N_ = xb.dims[0], C_ = xb.dims[1], H_ = xb.dims[2], W_ = xb.dims[3];
    M_ = wb.dims[0], kh_ = wb.dims[2], kw_ = wb.dims[3];
    if (C_ % group_ || M_ % group_ || wb.dims[1] * group_ != C_)
      return error("X has ", C_, " channels, W ", dimsText(wb.dims), ", group ", group_, ": inconsistent");
    if (!kernel_.empty() && (kernel_[0] != kh_ || kernel_[1] != kw_)) return error("kernel_shape differs from W");
    DNNC_TRY(resolvePads());
    OH_ = (H_ + pt_ + pb_ - ((kh_ - 1) * d_[0] + 1)) / s_[0] + 1;
    OW_ = (W_ + pl_ + pr_ - ((kw_ - 1) * d_[1] + 1)) / s_[1] + 1;
    if (OH_ <= 0 || OW_ <= 0) return error("input ", dimsText(xb.dims), " is smaller than the kernel");
    const int64_t Cg = C_ / group_, Mg = M_ / group_, K = Cg * kh_ * kw_, P = OH_ * OW_, NP = N_ * P;
    const float* bias = nullptr;
    if (has(2)) {
      if (x(t, 2).numel() != M_) return error("B must have ", M_, " values");
      bias = x(t, 2).data();
    }
    Buf& yb = y(t, 0);
    yb.reshape({N_, M_, OH_, OW_});
    cols_.resize(static_cast<size_t>(group_));
    grow(tmp_, Mg * NP);
    for (int64_t g = 0; g < group_; ++g) {
      grow(cols_[g], K * NP);
      float* col = cols_[g].data();
#pragma omp parallel for num_threads(t.threads()) schedule(static)
      for (int64_t n = 0; n < N_; ++n) im2col(xb.data() + (n * C_ + g * Cg) * H_ * W_, Cg, col, NP, n * P);
      matmul(Ref::rowMajor(wb.data() + g * Mg * K, Mg, K), Ref::rowMajor(col, K, NP), tmp_.data(), NP,
             Store::Overwrite, t.threads());
#pragma omp parallel for num_threads(t.threads()) schedule(static)
      for (int64_t n = 0; n < N_; ++n)
        for (int64_t m = 0; m < Mg; ++m) {
          float* dst = yb.data() + (n * M_ + g * Mg + m) * P;
          const float* src = tmp_.data() + m * NP + n * P;
          const float bv = bias ? bias[g * Mg + m] : 0.0f;
          for (int64_t p = 0; p < P; ++p) dst[p] = src[p] + bv;
        }
    }
    return {};
  }

  // dW_g += dY_g col_g^T and dcol_g = W_g^T dY_g, with both transposes read through sgemm's packing.
  // Curvature mode runs the same products on squared copies of col and W.
  void backward(Tape& t, Mode mode) override {
    const bool sq = mode == Mode::Curvature;
    const Buf& wb = x(t, 1);
    const float* gy = gradOut(t, 0).data();
    float* gx = gradIn(t, 0);
    float* gw = gradIn(t, 1);
    float* gbias = gradIn(t, 2);
    const int64_t Cg = C_ / group_, Mg = M_ / group_, K = Cg * kh_ * kw_, P = OH_ * OW_, NP = N_ * P;
    grow(dy_, Mg * NP);
    float* dy = dy_.data();
    for (int64_t g = 0; g < group_; ++g) {
#pragma omp parallel for num_threads(t.threads()) schedule(static)
      for (int64_t n = 0; n < N_; ++n)
        for (int64_t m = 0; m < Mg; ++m)
          std::copy_n(gy + (n * M_ + g * Mg + m) * P, P, dy + m * NP + n * P);
      if (gbias)
        for (int64_t m = 0; m < Mg; ++m) {
          float s = 0.0f;
          for (int64_t q = 0; q < NP; ++q) s += dy[m * NP + q];
          gbias[g * Mg + m] += s;
        }
      const float* col = cols_[g].data();
      const float* wg = wb.data() + g * Mg * K;
      if (sq) {
        col = squared(sqcol_, col, K * NP, t.threads());
        wg = squared(sqw_, wg, Mg * K, 1);
      }
      if (gw)
        matmul(Ref::rowMajor(dy, Mg, NP), Ref::transposed(col, NP, K), gw + g * Mg * K, K, Store::Accumulate,
               t.threads());
      if (gx) {
        grow(dcol_, K * NP);
        matmul(Ref::transposed(wg, K, Mg), Ref::rowMajor(dy, Mg, NP), dcol_.data(), NP, Store::Overwrite,
               t.threads());
#pragma omp parallel for num_threads(t.threads()) schedule(static)
        for (int64_t n = 0; n < N_; ++n) col2im(dcol_.data(), NP, n * P, Cg, gx + (n * C_ + g * Cg) * H_ * W_);
      }
    }
  }

 private:
  using Ref = gemm::MatrixRef;

  // Sizes a scratch to n floats; it only grows, so steps after the first allocate nothing.
  static void grow(std::vector<float>& v, int64_t n) {
    if (v.size() < static_cast<size_t>(n)) v.resize(static_cast<size_t>(n));
  }

  // dst = src^2 elementwise (n values), for the curvature sweep.
  static const float* squared(std::vector<float>& dst, const float* src, int64_t n, int threads) {
    grow(dst, n);
    float* d = dst.data();
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < n; ++i) d[i] = src[i] * src[i];
    return d;
  }

  Status resolvePads() {
    pt_ = pl_ = pb_ = pr_ = 0;
    if (auto_pad_ == "NOTSET" || auto_pad_.empty()) {
      if (!pads_.empty()) {
        if (pads_.size() != 4) return error("pads must have 4 values for 2-D convolution");
        pt_ = pads_[0], pl_ = pads_[1], pb_ = pads_[2], pr_ = pads_[3];
      }
    } else if (auto_pad_ == "SAME_UPPER" || auto_pad_ == "SAME_LOWER") {
      auto same = [&](int64_t in, int64_t k, int64_t s, int64_t d, int64_t& lo, int64_t& hi) {
        int64_t out = (in + s - 1) / s, total = std::max<int64_t>(0, (out - 1) * s + (k - 1) * d + 1 - in);
        lo = auto_pad_ == "SAME_UPPER" ? total / 2 : total - total / 2;
        hi = total - lo;
      };
      same(H_, kh_, s_[0], d_[0], pt_, pb_);
      same(W_, kw_, s_[1], d_[1], pl_, pr_);
    } else if (auto_pad_ != "VALID") {
      return error("auto_pad '", auto_pad_, "' is not supported");
    }
    return {};
  }

  // Output columns [lo, hi) whose input column ow * s - pl + j * d lies inside the image.
  void validCols(int64_t j, int64_t& lo, int64_t& hi) const {
    const int64_t shift = j * d_[1] - pl_;  // iw = ow * s + shift
    lo = shift >= 0 ? 0 : (-shift + s_[1] - 1) / s_[1];
    hi = W_ - shift <= 0 ? 0 : std::min(OW_, (W_ - 1 - shift) / s_[1] + 1);
    if (hi < lo) hi = lo;
  }

  // Columns [off, off + P) of the K x ld matrix col from one image's Cg channels.
  void im2col(const float* xg, int64_t Cg, float* col, int64_t ld, int64_t off) const {
    for (int64_t c = 0; c < Cg; ++c)
      for (int64_t i = 0; i < kh_; ++i)
        for (int64_t j = 0; j < kw_; ++j) {
          float* row = col + ((c * kh_ + i) * kw_ + j) * ld + off;
          const float* xc = xg + c * H_ * W_;
          int64_t lo, hi;
          validCols(j, lo, hi);
          const int64_t shift = j * d_[1] - pl_;
          for (int64_t oh = 0; oh < OH_; ++oh) {
            const int64_t ih = oh * s_[0] - pt_ + i * d_[0];
            float* r = row + oh * OW_;
            if (ih < 0 || ih >= H_) {
              std::fill(r, r + OW_, 0.0f);
              continue;
            }
            const float* xr = xc + ih * W_ + shift;
            std::fill(r, r + lo, 0.0f);
            if (s_[1] == 1) std::copy(xr + lo, xr + hi, r + lo);
            else for (int64_t ow = lo; ow < hi; ++ow) r[ow] = xr[ow * s_[1]];
            std::fill(r + hi, r + OW_, 0.0f);
          }
        }
  }

  // Adds columns [off, off + P) of dcol back into one image's input gradient.
  void col2im(const float* dcol, int64_t ld, int64_t off, int64_t Cg, float* gx) const {
    for (int64_t c = 0; c < Cg; ++c)
      for (int64_t i = 0; i < kh_; ++i)
        for (int64_t j = 0; j < kw_; ++j) {
          const float* row = dcol + ((c * kh_ + i) * kw_ + j) * ld + off;
          float* gc = gx + c * H_ * W_;
          int64_t lo, hi;
          validCols(j, lo, hi);
          const int64_t shift = j * d_[1] - pl_;
          for (int64_t oh = 0; oh < OH_; ++oh) {
            const int64_t ih = oh * s_[0] - pt_ + i * d_[0];
            if (ih < 0 || ih >= H_) continue;
            float* gr = gc + ih * W_ + shift;
            const float* r = row + oh * OW_;
            for (int64_t ow = lo; ow < hi; ++ow) gr[ow * s_[1]] += r[ow];
          }
        }
  }

  std::vector<int64_t> kernel_, s_, pads_, d_;
  int64_t group_;
  std::string auto_pad_;
  int64_t N_ = 0, C_ = 0, H_ = 0, W_ = 0, M_ = 0, kh_ = 0, kw_ = 0, OH_ = 0, OW_ = 0;
  int64_t pt_ = 0, pl_ = 0, pb_ = 0, pr_ = 0;
  std::vector<std::vector<float>> cols_;  // per group, K x N*P, from the last forward
  std::vector<float> tmp_, dy_, dcol_;     // reused between steps (no page faults per step)
  std::vector<float> sqcol_, sqw_;         // squared col and W (curvature mode)
};

}  // namespace

Expected<std::unique_ptr<Op>> makeConv(const onnx::NodeProto& n, int64_t) {
  auto strides = attrInts(n, "strides"), dil = attrInts(n, "dilations");
  if (strides.empty()) strides = {1, 1};
  if (dil.empty()) dil = {1, 1};
  int64_t group = attrInt(n, "group", 1);
  if (group < 1 || strides.size() != 2 || dil.size() != 2)
    return Error(Exit::Input, "Conv node '", n.name(), "': only 2-D convolution with positive group is supported for training");
  return std::unique_ptr<Op>(new ConvOp(attrInts(n, "kernel_shape"), strides, attrInts(n, "pads"), dil, group,
                                        attrString(n, "auto_pad", "NOTSET")));
}

}  // namespace dnnc::train
