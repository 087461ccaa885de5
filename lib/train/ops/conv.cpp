// Conv (2-D, with groups, strides, pads, dilations) on the tape, as GEMMs on lib/exec's packed AVX2/FMA
// sgemm over chunks of a few images: col_g [K x cols] (im2col of the chunk's images, K = C/group * kh *
// kw, cols = images * P output positions), Y_g = W_g col_g. Reverse: dW_g += dY_g col_g^T (the transpose
// read by sgemm's strided packing), dcol_g = W_g^T dY_g scattered back by col2im, db = sum dY.
// Threads take whole chunks (no GEMM is split) dynamically; dW is summed per fixed block of chunks and
// the blocks in order, so results do not depend on the thread count or the schedule. A chunk is sized
// to stay in L2, which is what makes this faster than one GEMM over the whole batch: im2col, packing
// and the products all read what was just written instead of streaming tens of MB from memory.
// Curvature mode squares W and col.
// The forward pass of ungrouped convolutions on maps up to 32 wide runs on the executor's direct
// convolution (lib/exec/gemm/conv_direct.h: output channels in the vector lanes, no im2col, no positions
// wasted on 7x7 maps), per chunk of images (dX: inputs up to 64 wide); so does dX of those with stride 1, as the convolution of dY (padded by
// the kernel's reach less the forward pads) with the kernel flipped and its channels swapped, which
// replaces a shallow GEMM (depth M) into K x positions columns and their col2im scatter.
// Depthwise convolutions (group = C = M, equal strides, no dilation) run forward on the executor's depthwise kernel
// (lib/exec/gemm/conv_depthwise.h) per image, and backward channel by channel (conv_depthwise.h),
// instead of one single-row GEMM per channel.
#include <omp.h>

#include <algorithm>
#include <array>

#include "lib/exec/gemm/conv_depthwise.h"
#include "lib/exec/gemm/conv_direct.h"
#include "lib/exec/gemm/sgemm.h"
#include "lib/train/ops/conv_depthwise.h"
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
    const float* bias = nullptr;
    if (has(2)) {
      if (x(t, 2).numel() != M_) return error("B must have ", M_, " values");
      bias = x(t, 2).data();
    }
    Buf& yb = y(t, 0);
    yb.reshape({N_, M_, OH_, OW_});
    const Shape s = shape();
    if (depthwise()) {
      const gemm::DepthwiseGeometry g = depthwiseGeom();
      if (gemm::depthwiseAvailable(g)) {
        depthwiseForward(t, g, wb.data(), bias, yb.data());
        return {};
      }
    }
    const int T = plan(t.threads());
    const bool direct = directApplies();
    if (direct) direct_w_ = gemm::DirectConvWeights(wb.data(), M_, s.K, nullptr, packStore(gemm::DirectConvWeights::floatsFor(M_, s.K)));
    else packWeights(wb.data(), false, false);
    // Chunks are handed out dynamically: on a shared machine a thread that is descheduled for a while
    // does not hold the others up at the end of the loop.
#pragma omp parallel for num_threads(T) schedule(dynamic, 1)
    for (int64_t c = 0; c < chunks_; ++c) {
      Scratch& sc = scratch_[omp_get_thread_num()];
      const int64_t n0 = c * imgs_, n1 = std::min(N_, n0 + imgs_), cols = (n1 - n0) * s.P;
      if (direct) {
        directChunk(xb.data(), n0, n1, sc.input, bias, yb.data());
        continue;
      }
      for (int64_t g = 0; g < group_; ++g) {
        float* col = im2colChunk(xb.data(), n0, n1, g, sc.col, false);
        const gemm::RowsRef b = rows(sc, col, s.K, cols, cols);
        if (n1 - n0 == 1) {  // one image: its output block is a plain Mg x P matrix of y, bias in the epilogue
          gemm::Epilogue ep;
          if (bias) ep.row_bias = bias + g * s.Mg;
          gemm::multiply(packed_[g], 0, s.Mg, b, yb.data() + (n0 * M_ + g * s.Mg) * s.P, s.P, ep);
          continue;
        }
        grow(sc.y, s.Mg * cols);
        gemm::multiply(packed_[g], 0, s.Mg, b, sc.y.data(), cols, {});
        for (int64_t n = n0; n < n1; ++n)
          for (int64_t m = 0; m < s.Mg; ++m) {
            float* dst = yb.data() + (n * M_ + g * s.Mg + m) * s.P;
            const float* src = sc.y.data() + m * cols + (n - n0) * s.P;
            const float bv = bias ? bias[g * s.Mg + m] : 0.0f;
            for (int64_t p = 0; p < s.P; ++p) dst[p] = src[p] + bv;
          }
      }
    }
    return {};
  }

  // Per chunk of images: dW_g += dY_g col_g^T and dX from col2im(W_g^T dY_g). The columns are rebuilt
  // from X here rather than kept from the forward pass: a chunk's columns fit in L2, the whole batch's
  // (tens of MB) would stream from memory twice. Curvature mode uses squared columns and W.
  void backward(Tape& t, Mode mode) override {
    const bool sq = mode == Mode::Curvature;
    const Buf& xb = x(t, 0);
    const Buf& wb = x(t, 1);
    const float* gy = gradOut(t, 0).data();
    float* gx = gradIn(t, 0);
    float* gw = gradIn(t, 1);
    float* gbias = gradIn(t, 2);
    const Shape s = shape();
    if (depthwise()) {
      bool fresh = false;
      float* gxw = gradInForWrite(t, 0, &fresh);
      const DepthwiseShape ds{N_, C_, H_, W_, kh_, kw_, s_[0], s_[1], pt_, pl_, OH_, OW_};
      const int T = static_cast<int>(std::min<int64_t>(std::max(1, t.threads()), C_));
      if (static_cast<int>(dw_scratch_.size()) < T) dw_scratch_.resize(static_cast<size_t>(T));
      // Static slices of channels: each channel's sums do not depend on which thread takes it.
#pragma omp parallel num_threads(T)
      {
        const int th = omp_get_thread_num(), nt = omp_get_num_threads();
        depthwiseBackward(ds, xb.data(), wb.data(), gy, gw, gxw, fresh, sq, C_ * th / nt, C_ * (th + 1) / nt, dw_scratch_[th]);
      }
      biasGrad(gy, gbias, s.P);
      return;
    }
    const int T = plan(t.threads());
    const bool direct_dx = gx && directGradApplies();
    if (direct_dx) packFlipped(wb.data(), sq);
    else if (gx) packWeights(wb.data(), true, sq);  // W_g^T (squared in curvature mode), packed once per step
    // Blocks of chunks, handed out dynamically; each block sums its own dW partial, and the partials are
    // added in block order: the same result for any thread count and any schedule.
    const int64_t blocks = std::min<int64_t>(chunks_, kBlocks);
    if (gw) {
      partials_.resize(static_cast<size_t>(blocks));
      for (auto& p : partials_) p.assign(static_cast<size_t>(group_ * s.Mg * s.K), 0.0f);
    }
#pragma omp parallel for num_threads(T) schedule(dynamic, 1)
    for (int64_t blk = 0; blk < blocks; ++blk) {
      Scratch& sc = scratch_[omp_get_thread_num()];
      for (int64_t c = chunks_ * blk / blocks; c < chunks_ * (blk + 1) / blocks; ++c) {
        const int64_t n0 = c * imgs_, n1 = std::min(N_, n0 + imgs_), cols = (n1 - n0) * s.P;
        for (int64_t g = 0; g < group_; ++g) {
          // dY of the chunk as an Mg x cols matrix: read in place for one image, else gathered.
          const float* dy = gy + (n0 * M_ + g * s.Mg) * s.P;
          int64_t ld = s.P;
          if (n1 - n0 > 1) {
            grow(sc.y, s.Mg * cols);
            for (int64_t n = n0; n < n1; ++n)
              for (int64_t m = 0; m < s.Mg; ++m)
                std::copy_n(gy + (n * M_ + g * s.Mg + m) * s.P, s.P, sc.y.data() + m * cols + (n - n0) * s.P);
            dy = sc.y.data();
            ld = cols;
          }
          if (gw) {
            const float* col = im2colChunk(xb.data(), n0, n1, g, sc.col, sq);
            grow(sc.prod, s.Mg * s.K);
            gemm::multiply(Ref{dy, s.Mg, cols, ld, 1}, Ref::transposed(col, cols, s.K), sc.prod.data(), s.K, {});
            float* acc = partials_[blk].data() + g * s.Mg * s.K;
            for (int64_t j = 0; j < s.Mg * s.K; ++j) acc[j] += sc.prod[j];
          }
          if (direct_dx) {
            directGradChunk(gy, n0, n1, sc.grad, gx);
          } else if (gx) {
            grow(sc.dcol, s.K * cols);
            gemm::multiply(packed_[g], 0, s.K, rows(sc, dy, s.Mg, cols, ld), sc.dcol.data(), cols, {});
            for (int64_t n = n0; n < n1; ++n)
              col2im(sc.dcol.data(), cols, (n - n0) * s.P, s.Cg, gx + (n * C_ + g * s.Cg) * H_ * W_);
          }
        }
      }
    }
    if (gw)
      for (const auto& p : partials_)
        for (int64_t j = 0; j < group_ * s.Mg * s.K; ++j) gw[j] += p[j];
    biasGrad(gy, gbias, s.P);
  }

 private:
  // db += sum of dY over images and positions, per output channel.
  void biasGrad(const float* gy, float* gbias, int64_t P) const {
    if (gbias)
      for (int64_t m = 0; m < M_; ++m) {
        double sum = 0;
        for (int64_t n = 0; n < N_; ++n) {
          const float* p = gy + (n * M_ + m) * P;
          float ps = 0;
#pragma omp simd reduction(+ : ps)
          for (int64_t q = 0; q < P; ++q) ps += p[q];
          sum += ps;
        }
        gbias[m] += static_cast<float>(sum);
      }
  }

  // Depthwise (one input channel and one output per group), equal strides, no dilation: the depthwise
  // kernels; anything else is a grouped GEMM.
  bool depthwise() const {
    return group_ > 1 && group_ == C_ && group_ == M_ && d_[0] == 1 && d_[1] == 1 && s_[0] == s_[1];
  }
  gemm::DepthwiseGeometry depthwiseGeom() const {
    const int64_t pads[4] = {pt_, pl_, pb_, pr_};
    return gemm::depthwiseGeometry(H_, W_, kh_, kw_, pads, s_[0], s_[1]);
  }
  // Y by the executor's depthwise kernel, images split over threads (each image's channels in blocks
  // that fit L2 with their outputs).
  void depthwiseForward(Tape& t, const gemm::DepthwiseGeometry& g, const float* w, const float* bias, float* y) {
    const int T = static_cast<int>(std::min<int64_t>(std::max(1, t.threads()), N_));
    if (static_cast<int>(dw_fwd_.size()) < T) dw_fwd_.resize(static_cast<size_t>(T));
    const float* xd = x(t, 0).data();
#pragma omp parallel for num_threads(T) schedule(dynamic, 1)
    for (int64_t n = 0; n < N_; ++n) {
      std::vector<float>& sc = dw_fwd_[omp_get_thread_num()];
      const size_t need = static_cast<size_t>(gemm::depthwiseScratchFloats(g));
      if (sc.size() != need) sc.assign(need, 0.0f);  // zeroed once: the borders stay zero
      gemm::depthwiseConv(g, xd + n * C_ * H_ * W_, w, nullptr, bias, false, 0, C_, y + n * M_ * OH_ * OW_, sc.data());
    }
  }

  using Ref = gemm::MatrixRef;

  struct Shape {
    int64_t Cg, Mg, K, P;  // channels and maps per group, GEMM depth, output positions
  };
  Shape shape() const { return {C_ / group_, M_ / group_, C_ / group_ * kh_ * kw_, OH_ * OW_}; }

  // One thread's buffers, kept between steps (they only grow: no allocation after the first step).
  // A zero-bordered copy for the direct convolution. copyIntoBordered writes the interiors only, so
  // the borders stay zero from one step to the next: zeroed again only for another plane geometry or a
  // larger buffer (zeroing it per chunk was 2 % of the residual CNN's training step).
  struct Bordered {
    std::vector<float> buf;
    std::array<int64_t, 6> geometry{};  // H, W, Hp, Wp, pt, pl the borders were zeroed for
    int64_t zeroed = 0;                 // floats zeroed from the start
  };
  struct Scratch {
    std::vector<float> col, y, dcol, prod;
    Bordered input, grad;  // the forward pass's bordered X, the reverse pass's bordered dY
    std::vector<const float*> rows;
  };

  // A depth x cols matrix with row stride ld as sgemm's right operand (row pointers in sc).
  static gemm::RowsRef rows(Scratch& sc, const float* m, int64_t depth, int64_t cols, int64_t ld) {
    sc.rows.resize(static_cast<size_t>(depth));
    for (int64_t k = 0; k < depth; ++k) sc.rows[k] = m + k * ld;
    return {sc.rows.data(), depth, cols};
  }

  // packed_[g] = W_g (Mg x K), or W_g^T (K x Mg) when transpose, squared when sq: the left operand of
  // every chunk's product, packed once per step into storage kept between steps.
  void packWeights(const float* w, bool transpose, bool sq) {
    const Shape s = shape();
    const float* src = w;
    if (sq) {
      sqw_.resize(static_cast<size_t>(M_ * s.K));
      for (int64_t j = 0; j < M_ * s.K; ++j) sqw_[j] = w[j] * w[j];
      src = sqw_.data();
    }
    const size_t per = gemm::PackedA::floatsFor(transpose ? s.K : s.Mg, transpose ? s.Mg : s.K);
    packStore(per * group_);
    packed_.clear();
    packed_.reserve(static_cast<size_t>(group_));
    for (int64_t g = 0; g < group_; ++g) {
      const float* wg = src + g * s.Mg * s.K;
      packed_.emplace_back(transpose ? Ref::transposed(wg, s.K, s.Mg) : Ref::rowMajor(wg, s.Mg, s.K),
                           pack_store_.get() + g * per);
    }
  }

  // Splits the batch into chunks of imgs_ images whose columns (K x imgs_ P) and products stay within
  // about 256 KiB (L2), at least kBlocks of them when the batch allows, and returns the thread count to
  // use (at most one per chunk). The split does not depend on the thread count.
  static constexpr int64_t kBlocks = 8;
  int plan(int threads) {
    const Shape s = shape();
    constexpr int64_t kChunkFloats = 64 * 1024;
    const int64_t per_img = std::max(s.K, s.Mg) * s.P;
    imgs_ = std::clamp<int64_t>(kChunkFloats / std::max<int64_t>(1, per_img), 1, N_);
    imgs_ = std::min(imgs_, (N_ + kBlocks - 1) / kBlocks);  // enough chunks to share out
    chunks_ = (N_ + imgs_ - 1) / imgs_;
    const int T = static_cast<int>(std::min<int64_t>(std::max(1, threads), chunks_));
    if (static_cast<int>(scratch_.size()) < T) scratch_.resize(static_cast<size_t>(T));
    return T;
  }

  // The widest maps that go to the direct convolution: outputs in the forward pass, inputs for dX. The
  // executor keeps it for maps up to 16 wide; in a training step (chunks of images, and dX's GEMM only M
  // deep followed by col2im) it also beat the GEMM on ResNet-18's 28-wide layers, and for dX on its
  // 56-wide ones (layer1's reverse pass about a third faster). The forward pass stops at 32: on the
  // 56-wide layers its longer accumulation chains moved the zoo ResNet-18's stem gradient 1.7e-4 from
  // PyTorch's float64 one (1.5e-6 with the GEMM; reference_test.cpp holds it to 1e-4).
  static constexpr int64_t kDirectMaxWidth = 32, kDirectGradMaxWidth = 64;

  // The forward pass on the direct convolution (see the top): ungrouped, at most 32 outputs wide, enough
  // depth per output and a full block of output channels (as the executor's Conv chooses it).
  bool directApplies() const {
    return gemm::directConvAvailable() && group_ == 1 && OW_ <= kDirectMaxWidth && C_ * kh_ * kw_ >= 64 && M_ >= gemm::kDirectLanes &&
           OH_ * OW_ >= gemm::kDirectTile && (H_ + pt_ + pb_) * (W_ + pl_ + pr_) < (int64_t{1} << 30);
  }

  // Y of images [n0, n1) by the direct convolution, their zero-bordered copy in buf.
  void directChunk(const float* x, int64_t n0, int64_t n1, Bordered& buf, const float* bias, float* y) const {
    const int64_t pads[4] = {pt_, pl_, pb_, pr_};
    const gemm::DirectConvGeometry g = gemm::directConvGeometry(C_, H_, W_, kh_, kw_, pads, s_[0], s_[1], d_[0], d_[1]);
    float* bordered = zeroBorders(buf, {H_, W_, g.Hp, g.Wp, pt_, pl_}, (n1 - n0) * C_ * g.Hp * g.Wp);
    gemm::copyIntoBordered(x + n0 * C_ * H_ * W_, (n1 - n0) * C_, H_, W_, pt_, pl_, g.Hp, g.Wp, bordered);
    const int64_t P = OH_ * OW_;
    gemm::directConv(direct_w_, g, bordered, n1 - n0, 0, M_, y + n0 * M_ * P, M_ * P, bias, false);
  }

  // dX by the direct convolution (see the top): stride 1, ungrouped, an input at most 64 wide, and pads
  // within the kernel's reach (dY's padding for the flipped kernel must not be negative).
  bool directGradApplies() const {
    const int64_t rh = (kh_ - 1) * d_[0], rw = (kw_ - 1) * d_[1];
    return gemm::directConvAvailable() && group_ == 1 && s_[0] == 1 && s_[1] == 1 && W_ <= kDirectGradMaxWidth &&
           M_ * kh_ * kw_ >= 64 && C_ >= gemm::kDirectLanes && H_ * W_ >= gemm::kDirectTile && pt_ <= rh && pb_ <= rh &&
           pl_ <= rw && pr_ <= rw && (H_ + rh) * (W_ + rw) < (int64_t{1} << 30);
  }

  // W' [C x M x kh x kw], W'[c][m][i][j] = W[m][c][kh-1-i][kw-1-j] (squared in curvature mode), packed.
  void packFlipped(const float* w, bool sq) {
    flipped_.resize(static_cast<size_t>(M_ * C_ * kh_ * kw_));
    for (int64_t m = 0; m < M_; ++m)
      for (int64_t c = 0; c < C_; ++c)
        for (int64_t i = 0; i < kh_; ++i)
          for (int64_t j = 0; j < kw_; ++j) {
            const float v = w[((m * C_ + c) * kh_ + kh_ - 1 - i) * kw_ + kw_ - 1 - j];
            flipped_[((c * M_ + m) * kh_ + i) * kw_ + j] = sq ? v * v : v;
          }
    grad_w_ = gemm::DirectConvWeights(flipped_.data(), C_, M_ * kh_ * kw_, nullptr,
                                      packStore(gemm::DirectConvWeights::floatsFor(C_, M_ * kh_ * kw_)));
  }

  // dX of images [n0, n1) += the flipped kernel over dY zero-bordered by the kernel's reach less the
  // pads (copied into buf).
  void directGradChunk(const float* gy, int64_t n0, int64_t n1, Bordered& buf, float* gx) const {
    const int64_t rh = (kh_ - 1) * d_[0], rw = (kw_ - 1) * d_[1];
    const int64_t pads[4] = {rh - pt_, rw - pl_, rh - pb_, rw - pr_};  // the output is H x W again
    const gemm::DirectConvGeometry g = gemm::directConvGeometry(M_, OH_, OW_, kh_, kw_, pads, 1, 1, d_[0], d_[1]);
    float* bordered = zeroBorders(buf, {OH_, OW_, g.Hp, g.Wp, rh - pt_, rw - pl_}, (n1 - n0) * M_ * g.Hp * g.Wp);
    gemm::copyIntoBordered(gy + n0 * M_ * OH_ * OW_, (n1 - n0) * M_, OH_, OW_, rh - pt_, rw - pl_, g.Hp, g.Wp, bordered);
    gemm::directConv(grad_w_, g, bordered, n1 - n0, 0, C_, gx + n0 * C_ * H_ * W_, C_ * H_ * W_, nullptr, false, true);
  }

  // The packed-weights storage, at least n floats: the GEMM's W_g / W_g^T or one of the direct
  // convolution's packings (each used only within the pass that packed it). It only grows.
  float* packStore(size_t n) {
    if (pack_cap_ < n) {
      pack_store_ = gemm::allocFloats(n);
      pack_cap_ = n;
    }
    return pack_store_.get();
  }

  // b's buffer for `floats` floats of bordered planes of the given geometry (and copyIntoBordered's
  // slack), its borders zero.
  static float* zeroBorders(Bordered& b, const std::array<int64_t, 6>& geometry, int64_t floats) {
    const int64_t need = floats + gemm::kBorderedSlack;
    if (b.geometry != geometry) b.geometry = geometry, b.zeroed = 0;
    grow(b.buf, need);
    if (b.zeroed < need) std::fill(b.buf.begin() + b.zeroed, b.buf.begin() + need, 0.0f), b.zeroed = need;
    return b.buf.data();
  }

  // Sizes a scratch to n floats; it only grows, so steps after the first allocate nothing.
  static void grow(std::vector<float>& v, int64_t n) {
    if (v.size() < static_cast<size_t>(n)) v.resize(static_cast<size_t>(n));
  }

  // The K x (n1 - n0) P columns of images [n0, n1), group g, into buf (squared when sq).
  float* im2colChunk(const float* x, int64_t n0, int64_t n1, int64_t g, std::vector<float>& buf, bool sq) const {
    const Shape s = shape();
    const int64_t cols = (n1 - n0) * s.P;
    grow(buf, s.K * cols);
    for (int64_t n = n0; n < n1; ++n) im2col(x + (n * C_ + g * s.Cg) * H_ * W_, s.Cg, buf.data(), cols, (n - n0) * s.P);
    if (sq)
      for (int64_t j = 0; j < s.K * cols; ++j) buf[j] *= buf[j];
    return buf.data();
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
    if (samePlane()) return im2colSame(xg, Cg, col, ld, off);
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
  void col2im(float* dcol, int64_t ld, int64_t off, int64_t Cg, float* gx) const {
    if (samePlane()) return col2imSame(dcol, ld, off, Cg, gx);
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
            if (s_[1] == 1) {
#pragma omp simd
              for (int64_t ow = lo; ow < hi; ++ow) gr[ow] += r[ow];
            } else {
              for (int64_t ow = lo; ow < hi; ++ow) gr[ow * s_[1]] += r[ow];
            }
          }
        }
  }

  // Stride 1, no dilation, output as large as the input (3x3 pad 1 and the like): an im2col row is
  // then the input plane shifted by (i - pt) rows and (j - pl) columns, so it moves as one contiguous
  // block plus zeroed edge columns, instead of one short copy per output row.
  bool samePlane() const { return s_[0] == 1 && s_[1] == 1 && d_[0] == 1 && d_[1] == 1 && OH_ == H_ && OW_ == W_; }

  // For kernel offset (i, j): output rows [oh0, oh1) read input rows; dh, dw the shift; [a, n - b) of
  // the block of those rows (n = (oh1 - oh0) W values) lies inside the plane.
  struct Shift {
    int64_t dh, dw, oh0, oh1, n, a, b;
  };
  Shift shiftFor(int64_t i, int64_t j) const {
    Shift f;
    f.dh = i - pt_, f.dw = j - pl_;
    f.oh0 = std::clamp<int64_t>(-f.dh, 0, OH_), f.oh1 = std::clamp<int64_t>(H_ - f.dh, f.oh0, OH_);
    f.n = (f.oh1 - f.oh0) * W_;
    f.a = std::min(f.n, std::max<int64_t>(0, -f.dw)), f.b = std::min(f.n - f.a, std::max<int64_t>(0, f.dw));
    return f;
  }
  // Zeroes the columns of rows [oh0, oh1) whose input column ow + dw is outside the plane.
  void zeroEdges(float* row, const Shift& f) const {
    const int64_t left = std::min(W_, std::max<int64_t>(0, -f.dw)), right = std::min(W_, std::max<int64_t>(0, f.dw));
    for (int64_t oh = f.oh0; oh < f.oh1; ++oh) {
      zeroFew(row + oh * W_, left);
      zeroFew(row + oh * W_ + W_ - right, right);
    }
  }
  // p[0, n) = 0 for the one or two edge columns of a 3x3 or 5x5 kernel as plain stores (a zeroing loop
  // becomes a memset call per row, which costs more than the row).
  static void zeroFew(float* p, int64_t n) {
    if (n > 2) return std::fill(p, p + n, 0.0f);
    if (n > 0) p[0] = 0.0f;
    if (n > 1) p[1] = 0.0f;
  }

  void im2colSame(const float* xg, int64_t Cg, float* col, int64_t ld, int64_t off) const {
    for (int64_t c = 0; c < Cg; ++c)
      for (int64_t i = 0; i < kh_; ++i)
        for (int64_t j = 0; j < kw_; ++j) {
          float* row = col + ((c * kh_ + i) * kw_ + j) * ld + off;
          const Shift f = shiftFor(i, j);
          std::fill(row, row + f.oh0 * W_, 0.0f);
          std::fill(row + f.oh1 * W_, row + OH_ * W_, 0.0f);
          const float* src = xg + c * H_ * W_ + (f.oh0 + f.dh) * W_ + f.dw;  // read only in [a, n - b)
          float* dst = row + f.oh0 * W_;
          std::copy(src + f.a, src + f.n - f.b, dst + f.a);
          zeroEdges(row, f);
        }
  }

  // dcol's rows are scratch: their edge columns are zeroed first, so each row adds back as one block.
  void col2imSame(float* dcol, int64_t ld, int64_t off, int64_t Cg, float* gx) const {
    for (int64_t c = 0; c < Cg; ++c)
      for (int64_t i = 0; i < kh_; ++i)
        for (int64_t j = 0; j < kw_; ++j) {
          float* row = dcol + ((c * kh_ + i) * kw_ + j) * ld + off;
          const Shift f = shiftFor(i, j);
          zeroEdges(row, f);
          float* dst = gx + c * H_ * W_ + (f.oh0 + f.dh) * W_ + f.dw;  // written only in [a, n - b)
          const float* src = row + f.oh0 * W_;
#pragma omp simd
          for (int64_t k = f.a; k < f.n - f.b; ++k) dst[k] += src[k];
        }
  }

  std::vector<int64_t> kernel_, s_, pads_, d_;
  int64_t group_;
  std::string auto_pad_;
  int64_t N_ = 0, C_ = 0, H_ = 0, W_ = 0, M_ = 0, kh_ = 0, kw_ = 0, OH_ = 0, OW_ = 0;
  int64_t pt_ = 0, pl_ = 0, pb_ = 0, pr_ = 0;
  int64_t imgs_ = 1, chunks_ = 0;  // images per chunk, chunks in the batch (from plan())
  std::vector<Scratch> scratch_;    // one per thread
  std::vector<std::vector<float>> partials_;  // dW per block of chunks (reverse pass)
  gemm::DirectConvWeights direct_w_;  // W for the direct forward pass, repacked every step (in pack_store_)
  gemm::DirectConvWeights grad_w_;    // the flipped W' for the direct dX, repacked every step (in pack_store_)
  std::vector<float> flipped_;
  std::vector<gemm::PackedA> packed_;  // W_g (forward) or W_g^T (reverse) per group, in pack_store_ (packStore)
  gemm::AlignedFloats pack_store_;
  size_t pack_cap_ = 0;
  std::vector<float> sqw_;  // W squared (curvature mode)
  std::vector<DepthwiseScratch> dw_scratch_;  // depthwise reverse pass, one per thread
  std::vector<std::vector<float>> dw_fwd_;    // depthwise forward's bordered plane, one per thread
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
