// Conv: N-d convolution (1 to 3 spatial dims) with group, dilations, strides, pads and auto_pad, as one
// GEMM per task: Y_g[Mg x cols] = W_g[Mg x K] * col[K x cols] (lib/exec/gemm/sgemm.h), bias and a
// following Relu applied in the GEMM's write-back.
//
// The weights are the GEMM's left operand, packed into micro-kernel panels: once and kept, when W is an
// initializer and the GEMM is narrow (few output positions per call, where packing per call would cost
// as much as the product), else per call into scratch (wide GEMMs: the packing is a fraction of a
// percent of the work, and keeping a second copy of the weights would only cost memory).
// The right operand is given as row pointers, so im2col copies only where it must:
//   - 1x1, stride 1, no padding: the rows are the input channels themselves;
//   - stride 1 in 1-D/2-D: "wide" rows over the zero-padded input (each row a contiguous run of the
//     padded image; the columns past OW are computed and dropped);
//   - otherwise: im2col into a per-thread buffer.
// Tasks are (image, group, block of output positions, block of output channels), on the pool (thread_pool.h); the
// channel blocks only split when there are fewer position blocks than threads.
// Narrow 2-D maps (at most 32 wide, 64 or more MACs per output) skip the GEMM: the direct convolution of
// conv_direct.h puts 16 output channels in the vector lanes and reads the zero-bordered input in place.
// Depthwise 2-D convolutions (a group per channel) skip it too, where the depthwise kernel runs
// (conv_depthwise.h: the AVX2 and AVX-512 paths): a per-channel GEMM has a single row and copies every
// input sample kh x kw times.
// Pruned constant weights run on the CSR kernel instead where it is faster (sparse_product.h): the same
// tasks and right operand, W as CSR.
// A BatchNormalization after the conv (inference mode, constant parameters, nothing else reading the
// conv's output) is folded in as ORT and `fold-bn` do: its scale multiplies the rows of W as they are
// packed and its shift joins the bias, so the BN (and a Relu after it) cost no pass of their own. A Clip
// with constant bounds after it (ReLU6) is applied by each task to the block it wrote (FusedClip).
#include <algorithm>
#include <cstring>
#include <optional>

#include "lib/exec/gemm/conv_depthwise.h"
#include "lib/exec/gemm/conv_direct.h"
#include "lib/exec/gemm/isa.h"
#include "lib/exec/gemm/sgemm.h"
#include "lib/exec/ops/im2col.h"
#include "lib/exec/ops/sparse_product.h"
#include "lib/exec/thread_pool.h"

namespace dnnc {
namespace {

// GEMMs with at most this many output positions per call keep packed weights (see above).
constexpr int64_t kKeepPackedMaxColumns = 1024;

// Splitting a GEMM's output channels among the threads, rather than its output positions, needs this
// many row panels per thread (see the task split in run()).
constexpr int64_t kMinPanelsPerThread = 4;

// A depthwise convolution runs about an eighth of a GEMM's MACs per cycle (one FMA per loaded vector, a
// single channel's weights), so it pays to thread at fewer MACs: MobileNetV3-Small's stride-2 3x3 on 16
// channels (0.45 M MACs, 0.057 ms) and its 5x5 on 288 channels of 7x7 maps ran on one thread.
constexpr double kDepthwiseMacsPerThread = 5e4;

// Output maps at most this wide go to the direct convolution (conv_direct.h) where it applies. Measured
// on an AVX-512 Xeon against 16: Inception-v3 (17x17 and 35x35 maps, 1x7 and 7x1 kernels) 8 % faster at
// batch 1 one thread, 13 % on two, 4-6 % at batch 32; ResNet, DenseNet, MnasNet level or 1-6 % faster;
// 64 gained nothing more (ResNet-18's and SqueezeNet's 54-56-wide layers 1-3 % slower).
constexpr int64_t kDirectMaxWidth = 32;

// The bias with a fused BatchNormalization's shift (bn: M scales, then M shifts): bias * scale + shift.
const float* withBatchNormShift(const float* bias, const float* bn, int64_t M) {
  if (!bn) return bias;
  thread_local std::vector<float> folded;
  folded.resize(static_cast<size_t>(M));
  for (int64_t m = 0; m < M; ++m) folded[m] = (bias ? bias[m] * bn[m] : 0.0f) + bn[M + m];
  return folded.data();
}

// A Clip after the conv (ReLU6; KernelContext::fuseClip), applied by each task to the block it has just
// written, while that is still in cache, instead of a pass of its own over the whole output.
struct FusedClip {
  bool on = false;
  float lo = 0.0f, hi = 0.0f;
  // rows x cols floats at p, rows ld floats apart (Clip's own expression, so NaN stays NaN).
  void apply(float* p, int64_t rows, int64_t cols, int64_t ld) const {
    if (!on) return;
    for (int64_t r = 0; r < rows; ++r, p += ld)
      for (int64_t j = 0; j < cols; ++j) p[j] = std::min(std::max(p[j], lo), hi);
  }
};

// After fuseBatchNorm: a following Relu, or else a following Clip.
FusedClip fuseActivation(KernelContext& ctx, bool& relu) {
  FusedClip clip;
  relu = ctx.fuseRelu();
  if (!relu) clip.on = ctx.fuseClip(clip.lo, clip.hi);
  return clip;
}

// task(t, slot) for t in [0, tasks): on `slots` threads of the pool claiming tasks one at a time, or in order.
template <class Task>
void runTasks(bool par, int slots, int64_t tasks, const Task& task) {
  parallelTasks(par ? slots : 1, tasks, task);
}

struct ConvKernel {
  ops::WindowAttrs attrs;
  int64_t group = 1;
  bool constant_weights = false;
  std::vector<gemm::PackedA> kept;  // per group, when kept
  const void* kept_from = nullptr;  // the weights they were packed from
  const float* kept_scale = nullptr;  // and the row scale they were packed with
  ops::SparseWeights sparse;
  gemm::DirectConvWeights direct_kept;  // the direct convolution's packing, kept as `kept` is (see the top)
  const void* direct_from = nullptr;
  const float* direct_scale = nullptr;

  // Ungrouped 2-D convolutions of narrow maps with enough depth per output (a 1x1 or single-channel
  // conv has too little to amortise a tile's write-back) and at least one full block of channels.
  // 1x1 convolutions stay on the GEMM on the AVX-512 path: pointwise ones (stride 1, no padding) have its
  // 12x32 tile read the input channels in place, where the direct tile re-reads all the weights per tile
  // of positions (measured with 6-position tiles: MobileNetV2 at batch 1 9.3 against 10.9 ms CPU,
  // SqueezeNet 19.3 against 20.3; no loss at batch 32); strided ones (ResNet's downsampling shortcuts)
  // pay an im2col that is only a subsampling copy (a 512 -> 1024 channel, 28x28 stride-2 layer: 1.7 against
  // 3.1 ms at batch 1, 80 against 110 ms at batch 32).
  bool directApplies(const ops::Window3& w, int64_t K, int64_t M, int64_t P, bool pointwise) const {
    if (w.kSize() == 1 && gemm::activeIsa() == gemm::Isa::Avx512) return false;
    return gemm::directConvAvailable() && group == 1 && w.k[0] == 1 && w.in[0] == 1 && w.out[2] <= kDirectMaxWidth &&
           K >= 64 && M >= gemm::kDirectLanes && P >= gemm::kDirectTile &&
           (w.in[1] + w.pad_begin[1] + w.pad_end[1]) * (w.in[2] + w.pad_begin[2] + w.pad_end[2]) < (int64_t{1} << 30);  // int32 taps
  }

  // Depthwise: one input and one output channel per group, 2-D, no dilation, on a geometry the kernel
  // serves; nullopt otherwise.
  std::optional<gemm::DepthwiseGeometry> depthwiseApplies(const ops::Window3& w, int64_t C, int64_t M) const {
    if (group == 1 || group != C || M != C || w.k[0] != 1 || w.in[0] != 1 || w.dil[1] != 1 || w.dil[2] != 1)
      return std::nullopt;
    const int64_t pads[4] = {w.pad_begin[1], w.pad_begin[2], w.pad_end[1], w.pad_end[2]};
    const gemm::DepthwiseGeometry g = gemm::depthwiseGeometry(w.in[1], w.in[2], w.k[1], w.k[2], pads, w.s[1], w.s[2]);
    if (!gemm::depthwiseAvailable(g) || g.OH != w.out[1] || g.OW != w.out[2]) return std::nullopt;
    return g;
  }

  // Tasks are (image, block of channels): the channels of an image split only as far as feeds the threads.
  Status runDepthwise(KernelContext& ctx, const Value& x, const Value& wt, const float* bias,
                      const gemm::DepthwiseGeometry& g, bool may_thread, Value& y) {
    const int64_t N = x.dims[0], C = x.dims[1];
    ctx.noteKernel("depthwise conv");
    const float* bn = ctx.fuseBatchNorm(C);
    bias = withBatchNormShift(bias, bn, C);
    bool relu = false;
    const FusedClip clip = fuseActivation(ctx, relu);
    const int threads = ctx.threads();
    const int64_t per_image = may_thread && N < threads ? std::min<int64_t>(C, (threads + N - 1) / N) : 1;
    const int64_t cchunk = (C + per_image - 1) / per_image;
    const int64_t blocks = (C + cchunk - 1) / cchunk, tasks = N * blocks;
    const bool par = may_thread && tasks >= 2;
    const int slots = par ? static_cast<int>(std::min<int64_t>(threads, tasks)) : 1;
    const int64_t slot_floats = (gemm::depthwiseScratchFloats(g) + 15) / 16 * 16;
    float* scratch = ctx.scratch(static_cast<size_t>(slots * slot_floats));
    std::vector<char> zeroed(static_cast<size_t>(slots), 0);
    const float* xd = x.as<float>();
    const float* wd = wt.as<float>();
    float* yd = y.as<float>();
    auto task = [&](int64_t t, int slot) {
      const int64_t n = t / blocks, c0 = (t % blocks) * cchunk, c1 = std::min(C, c0 + cchunk);
      float* plane = scratch + slot * slot_floats;
      if (!zeroed[slot]) {  // the borders, once per call: every channel copies the same interior
        std::fill(plane, plane + slot_floats, 0.0f);
        zeroed[slot] = 1;
      }
      gemm::depthwiseConv(g, xd + n * C * g.H * g.W, wd, bn, bias, relu, c0, c1, yd + n * C * g.OH * g.OW, plane);
      clip.apply(yd + (n * C + c0) * g.OH * g.OW, 1, (c1 - c0) * g.OH * g.OW, 0);
    };
    runTasks(par, slots, tasks, task);
    return {};
  }

  // Tasks are (block of images, block of output channels): images per block as keep their zero-bordered
  // copy near 128 KiB (in L2 while every channel block reads it), channel blocks only when the image
  // blocks cannot feed the threads (batch 1).
  Status runDirect(KernelContext& ctx, const Value& x, const Value& wt, const float* bias, const ops::Window3& w,
                   bool may_thread, Value& y) {
    const int64_t N = x.dims[0], C = x.dims[1], M = wt.dims[0], K = C * w.kSize(), P = w.outSize();
    const int64_t H = w.in[1], Wd = w.in[2], pt = w.pad_begin[1], pl = w.pad_begin[2];
    const int64_t pads[4] = {pt, pl, w.pad_end[1], w.pad_end[2]};
    const gemm::DirectConvGeometry g =
        gemm::directConvGeometry(C, H, Wd, w.k[1], w.k[2], pads, w.s[1], w.s[2], w.dil[1], w.dil[2]);
    const int64_t padded_image = C * g.Hp * g.Wp;

    ctx.noteKernel("direct conv");
    const float* bn = ctx.fuseBatchNorm(M);
    bias = withBatchNormShift(bias, bn, M);
    bool relu = false;
    const FusedClip clip = fuseActivation(ctx, relu);
    const bool keep = constant_weights && N * P <= kKeepPackedMaxColumns;
    const size_t packed_floats = keep ? 0 : (gemm::DirectConvWeights::floatsFor(M, K) + 15) / 16 * 16;

    const int threads = ctx.threads();
    // Equal blocks, the same number on every thread: the largest divisor of a thread's share of the batch
    // within the L2 budget (32 images on two threads at most 6 per block: 4 x 4 per thread, not
    // 6 + 6 + 4 against 6 + 6 + 2 + 2 when the blocks are only sized).
    const int64_t most = std::max<int64_t>(1, (32 * 1024) / std::max<int64_t>(padded_image, 1));
    const int64_t share = may_thread ? (N + threads - 1) / threads : N;
    int64_t imgs = std::min(most, share);
    while (share % imgs != 0) --imgs;
    const int64_t chunks = (N + imgs - 1) / imgs;
    const int64_t lane_blocks = (M + gemm::kDirectLanes - 1) / gemm::kDirectLanes;
    const int64_t mblocks = may_thread && chunks < threads ? std::min<int64_t>(threads, lane_blocks) : 1;
    const int64_t mchunk = (lane_blocks + mblocks - 1) / mblocks * gemm::kDirectLanes;
    const int64_t tasks = chunks * ((M + mchunk - 1) / mchunk);
    const bool par = may_thread && tasks >= 2;
    const int slots = par ? static_cast<int>(std::min<int64_t>(threads, tasks)) : 1;
    const int64_t slot_floats = (imgs * padded_image + gemm::kBorderedSlack + 15) / 16 * 16;
    float* scratch = ctx.scratch(packed_floats + static_cast<size_t>(slots * slot_floats));
    std::optional<gemm::DirectConvWeights> per_call;
    const gemm::DirectConvWeights* packed = &direct_kept;
    if (!keep) {
      per_call.emplace(wt.as<float>(), M, K, bn, scratch);
      packed = &*per_call;
      scratch += packed_floats;
    } else if (direct_from != wt.data || direct_scale != bn || direct_kept.depth() != K) {
      direct_kept = gemm::DirectConvWeights(wt.as<float>(), M, K, bn);
      direct_from = wt.data;
      direct_scale = bn;
    }
    std::vector<char> zeroed(static_cast<size_t>(slots), 0);
    const float* xd = x.as<float>();
    float* yd = y.as<float>();

    auto task = [&](int64_t t, int slot) {
      const int64_t mt = (M + mchunk - 1) / mchunk;
      const int64_t n0 = (t / mt) * imgs, ni = std::min(imgs, N - n0);
      const int64_t m0 = (t % mt) * mchunk, m1 = std::min(M, m0 + mchunk);
      float* padded = scratch + slot * slot_floats;
      if (!zeroed[slot]) {  // the borders, once per call: every task copies the same interiors
        std::fill(padded, padded + slot_floats, 0.0f);
        zeroed[slot] = 1;
      }
      gemm::copyIntoBordered(xd + n0 * C * H * Wd, ni * C, H, Wd, pt, pl, g.Hp, g.Wp, padded);
      gemm::directConv(*packed, g, padded, ni, m0, m1, yd + n0 * M * P, M * P, bias, relu);
      for (int64_t i = 0; i < ni; ++i) clip.apply(yd + ((n0 + i) * M + m0) * P, 1, (m1 - m0) * P, 0);
    };
    runTasks(par, slots, tasks, task);
    return {};
  }

  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    const Value& wt = ctx.input(1);
    if (x.dtype != DType::Float || wt.dtype != DType::Float)
      return ctx.error("expects float32 X and W, got ", dtypeName(x.dtype), " and ", dtypeName(wt.dtype));
    if (x.rank() < 3 || wt.rank() != x.rank())
      return ctx.error("X ", dimsToString(x.dims), " and W ", dimsToString(wt.dims), " must have the same rank >= 3");
    const int64_t N = x.dims[0], C = x.dims[1], M = wt.dims[0];
    if (group <= 0 || C % group != 0 || M % group != 0 || wt.dims[1] * group != C)
      return ctx.error("X has ", C, " channels, W ", dimsToString(wt.dims), ", group ", group, ": inconsistent");
    std::span<const int64_t> spatial(x.dims.data() + 2, x.dims.size() - 2);
    std::span<const int64_t> kernel(wt.dims.data() + 2, wt.dims.size() - 2);
    if (!attrs.kernel.empty() && !std::equal(attrs.kernel.begin(), attrs.kernel.end(), kernel.begin(), kernel.end()))
      return ctx.error("kernel_shape ", dimsToString(attrs.kernel), " differs from W ", dimsToString(wt.dims));
    DNNC_ASSIGN(ops::Window3 w, ops::resolveWindow(attrs, spatial, kernel, ctx));
    const float* bias = nullptr;
    if (ctx.hasInput(2)) {
      const Value& b = ctx.input(2);
      if (b.dtype != DType::Float || b.numel() != M) return ctx.error("B must be float32 [", M, "], got ", describe(b.dtype, b.dims));
      bias = b.as<float>();
    }
    std::vector<int64_t> dims = {N, M};
    for (size_t i = 0; i < spatial.size(); ++i) dims.push_back(w.out[3 - spatial.size() + i]);
    Value& y = ctx.output(0, DType::Float, dims);
    if (y.numel() == 0) return {};

    const int64_t Cg = C / group, Mg = M / group, K = Cg * w.kSize();
    const int64_t P = w.outSize(), inSize = w.inSize();
    const bool pointwise = w.kSize() == 1 && w.s[0] * w.s[1] * w.s[2] == 1 && w.pad_begin[0] + w.pad_begin[1] +
                        w.pad_begin[2] + w.pad_end[0] + w.pad_end[1] + w.pad_end[2] == 0;
    const int threads = ctx.threads();
    // Threads pay off past about a quarter million MACs per thread on an idle machine (measured on the residual
    // CNN at batch 1: its 1.8 M-MAC convolutions run 1.5x faster on two threads; waking them costs microseconds).
    const double macs = static_cast<double>(N) * M * P * K;
    const bool may_thread = threads > 1 && macs >= 2.5e5 * threads;
    if (directApplies(w, K, M, P, pointwise) && !sparse.wanted(ctx, P)) return runDirect(ctx, x, wt, bias, w, may_thread, y);
    if (const auto dw = depthwiseApplies(w, C, M); dw && !sparse.wanted(ctx, P))
      return runDepthwise(ctx, x, wt, bias, *dw, threads > 1 && macs >= kDepthwiseMacsPerThread * threads, y);

    // Geometry of the wide layout (stride 1): output rows computed over the padded width Wp.
    const int64_t H = w.in[1], Wd = w.in[2], OH = w.out[1], OW = w.out[2];
    const int64_t pt = w.pad_begin[1], pl = w.pad_begin[2], Wp = Wd + pl + w.pad_end[2];
    const int64_t ekh = (w.k[1] - 1) * w.dil[1] + 1, ekw = (w.k[2] - 1) * w.dil[2] + 1;
    // The wide layout computes Wp/OW - 1 extra columns (29 % on a 7x7 map with pad 1); im2col costs
    // about 40/Mg of the GEMM's time on small maps (measured: 2-5 cycles per copied float in short rows,
    // against Mg MACs at 16 per cycle): im2col only for the many-channel layers of small maps.
    const bool wide = !pointwise && w.k[0] == 1 && w.s[0] == 1 && w.s[1] == 1 && w.s[2] == 1 &&
                      static_cast<double>(Wp - OW) / OW < 40.0 / static_cast<double>(Mg);

    // Column blocks: about 512 KiB of im2col columns per block. Wide blocks are whole output rows, as many
    // as keep the padded input they read (per + kh - 1 rows of every channel, which the GEMM reads in
    // place or packs) near 128 KiB: ResNet-18's 64-channel 56x56 layers ran 25-30 % faster with 6 rows
    // per block than with the 1 row that sizing by K x columns gave.
    const int64_t col_budget = std::clamp<int64_t>((512 * 1024 / 4) / std::max<int64_t>(K, 1), 64, 4096);
    // Small maps through im2col: several whole images per GEMM (columns image-major), so that one GEMM
    // is wide enough to amortise its packing and partial tiles (a 7x7 map alone is 49 columns: three
    // 16-wide panels and a 1-wide one); the product goes to a buffer and is copied out image by image.
    int64_t imgs = 1;
    if (!wide && !pointwise && N > 1 && 2 * P <= col_budget) {
      imgs = std::min(N, col_budget / P);
      if (may_thread && (N + imgs - 1) / imgs * group < threads) imgs = (N + threads - 1) / threads;
      // Equal image groups, as many as a multiple of the threads (9+9+9+5 images on two threads idle
      // one of them for a fifth of the layer; 8+8+8+8 do not).
      int64_t groups = (N + imgs - 1) / imgs;
      if (may_thread) groups = (groups + threads - 1) / threads * threads;
      imgs = (N + groups - 1) / groups;
    }
    const int64_t nblocks = (N + imgs - 1) / imgs;
    int64_t unit = 1, units = P;  // a block is `per` units of `unit` columns
    int64_t per;
    if (imgs > 1) {
      per = P;
    } else if (wide) {
      unit = Wp;
      units = OH;
      per = std::clamp<int64_t>((32 * 1024) / std::max<int64_t>(Cg * Wp, 1) - (ekh - 1), 1, OH);
    } else if (pointwise) {
      per = std::min<int64_t>(P, 1024);
    } else {
      per = std::min(P, col_budget);
      if (per >= OW) per = per / OW * OW;  // whole output rows: im2col's fast path
    }
    // When the position blocks alone cannot feed the threads: output-channel blocks if every thread gets
    // several row panels, else narrower position blocks.
    const int64_t mr = gemm::rowPanel();
    const bool starved = may_thread && nblocks * group * ((units + per - 1) / per) < threads;
    const bool split_channels = starved && Mg >= kMinPanelsPerThread * mr * threads;
    if (starved && !split_channels && units >= 2 * threads) per = (units + threads - 1) / threads;
    const int64_t blocks = (units + per - 1) / per;
    int64_t mblocks = 1;
    if (may_thread && nblocks * group * blocks < threads) mblocks = std::min<int64_t>(threads, (Mg + mr - 1) / mr);
    const int64_t mchunk = ((Mg + mblocks - 1) / mblocks + mr - 1) / mr * mr;
    mblocks = (Mg + mchunk - 1) / mchunk;
    const int64_t tasks = nblocks * group * blocks * mblocks;
    const bool par = may_thread && tasks >= 2;
    const int slots = par ? static_cast<int>(std::min<int64_t>(threads, tasks)) : 1;

    // Scratch: [per-call packed weights][per slot: padded rows | im2col | wide output].
    const float* wd = wt.as<float>();
    const bool use_csr = sparse.wanted(ctx, per * unit);
    const gemm::CsrMatrix* csr = use_csr ? &sparse.csr(gemm::MatrixRef::rowMajor(wd, M, K)) : nullptr;
    ctx.noteKernel(use_csr ? "csr" : "dense gemm");
    // The BN's scale goes into the packed rows, so the CSR path (W used as stored) does not fold it.
    const float* bn = use_csr ? nullptr : ctx.fuseBatchNorm(M);
    const float* bn_scale = bn;
    bias = withBatchNormShift(bias, bn, M);
    bool relu = false;
    const FusedClip clip = fuseActivation(ctx, relu);
    const bool keep = !use_csr && constant_weights && N * P <= kKeepPackedMaxColumns;
    const size_t packed_floats = keep || use_csr ? 0 : static_cast<size_t>(group) * gemm::PackedA::floatsFor(Mg, K);
    const int64_t pad_rows = per + ekh - 1, prow = pad_rows * Wp + ekw;
    const int64_t pad_floats = wide ? Cg * prow : 0;
    const int64_t col_floats = (!wide && !pointwise) ? K * per * imgs : 0;
    const int64_t out_floats = wide ? mchunk * per * Wp : imgs > 1 ? mchunk * P * imgs : 0;
    const int64_t slot_floats = (pad_floats + col_floats + out_floats + 15) / 16 * 16;
    float* scratch = ctx.scratch(packed_floats + static_cast<size_t>(slots) * slot_floats);

    std::vector<gemm::PackedA> per_call;
    const std::vector<gemm::PackedA>* packed = &kept;
    auto scaleOf = [&](int64_t g) { return bn_scale ? bn_scale + g * Mg : nullptr; };
    if (keep) {
      if (kept.empty() || kept_from != wt.data || kept_scale != bn_scale) {
        kept.clear();
        for (int64_t g = 0; g < group; ++g) kept.emplace_back(gemm::MatrixRef::rowMajor(wd + g * Mg * K, Mg, K), scaleOf(g));
        kept_from = wt.data;
        kept_scale = bn_scale;
      }
    } else if (!use_csr) {
      for (int64_t g = 0; g < group; ++g)
        per_call.emplace_back(gemm::MatrixRef::rowMajor(wd + g * Mg * K, Mg, K), scratch + g * gemm::PackedA::floatsFor(Mg, K),
                              scaleOf(g));
      packed = &per_call;
    }
    // The pointwise GEMM reads the input in place only at batch 1, where the layer before has just
    // written it; a batch's later images were written long before (see gemm::RowsRef::cached).
    const bool input_cached = N == 1;
    float* slot_base = scratch + packed_floats;
    const float* xd = x.as<float>();
    float* yd = y.as<float>();

    auto product = [&](int64_t g, int64_t m0, int64_t m1, gemm::RowsRef b, float* c, int64_t ldc, const gemm::Epilogue& ep) {
      if (csr) csr->multiply(g * Mg + m0, g * Mg + m1, b, c, ldc, ep);
      else gemm::multiply((*packed)[g], m0, m1, b, c, ldc, ep);
    };
    auto task = [&](int64_t t, int slot) {
      const int64_t mb = t % mblocks, blk = (t / mblocks) % blocks, g = (t / (mblocks * blocks)) % group;
      const int64_t n = t / (mblocks * blocks * group) * imgs;  // the task's (first) image
      const int64_t m0 = mb * mchunk, m1 = std::min(Mg, m0 + mchunk);
      const int64_t u0 = blk * per, u1 = std::min(units, u0 + per), cols = (u1 - u0) * unit;
      const float* xg = xd + (n * C + g * Cg) * inSize;
      float* buf = slot_base + slot * slot_floats;
      thread_local std::vector<const float*> rows;
      rows.resize(static_cast<size_t>(K));
      gemm::Epilogue ep{bias ? bias + g * Mg + m0 : nullptr, nullptr, relu};
      float* ybase = yd + (n * M + g * Mg + m0) * P;
      if (pointwise) {
        for (int64_t k = 0; k < K; ++k) rows[k] = xg + k * P + u0;
        product(g, m0, m1, {rows.data(), K, cols, input_cached}, ybase + u0, P, ep);
        clip.apply(ybase + u0, m1 - m0, cols, P);
      } else if (imgs > 1) {
        const int64_t ni = std::min(N - n, imgs), wcols = ni * P;
        for (int64_t i = 0; i < ni; ++i) ops::im2col(xg + i * C * inSize, Cg, w, 0, P, buf + i * P, wcols);
        for (int64_t k = 0; k < K; ++k) rows[k] = buf + k * wcols;
        float* out = buf + col_floats;
        product(g, m0, m1, {rows.data(), K, wcols}, out, wcols, ep);
        for (int64_t i = 0; i < ni; ++i) {
          for (int64_t m = 0; m < m1 - m0; ++m)
            std::memcpy(ybase + i * M * P + m * P, out + m * wcols + i * P, P * sizeof(float));
          clip.apply(ybase + i * M * P, m1 - m0, P, P);
        }
      } else if (!wide) {
        ops::im2col(xg, Cg, w, u0, u1, buf);
        for (int64_t k = 0; k < K; ++k) rows[k] = buf + k * cols;
        product(g, m0, m1, {rows.data(), K, cols}, ybase + u0, P, ep);
        clip.apply(ybase + u0, m1 - m0, cols, P);
      } else {
        // Padded input rows u0 - pt .. u0 - pt + pad_rows (clipped), per channel, plus zero slack.
        float* padded = buf;
        float* out = buf + pad_floats;
        const int64_t r0 = u0, nrows = u1 - u0;
        for (int64_t c = 0; c < Cg; ++c) {
          float* dst = padded + c * prow;
          std::fill(dst, dst + prow, 0.0f);
          for (int64_t r = 0; r < nrows + ekh - 1; ++r) {
            const int64_t ih = r0 + r - pt;
            if (ih < 0 || ih >= H) continue;
            std::memcpy(dst + r * Wp + pl, xg + (c * H + ih) * Wd, Wd * sizeof(float));
          }
        }
        int64_t k = 0;
        for (int64_t c = 0; c < Cg; ++c)
          for (int64_t b = 0; b < w.k[1]; ++b)
            for (int64_t e = 0; e < w.k[2]; ++e) rows[k++] = padded + c * prow + b * w.dil[1] * Wp + e * w.dil[2];
        product(g, m0, m1, {rows.data(), K, cols}, out, cols, ep);
        for (int64_t m = 0; m < m1 - m0; ++m)
          for (int64_t r = 0; r < nrows; ++r)
            std::memcpy(ybase + m * P + (r0 + r) * OW, out + m * cols + r * Wp, OW * sizeof(float));
        clip.apply(ybase + r0 * OW, m1 - m0, nrows * OW, P);
      }
    };
    runTasks(par, slots, tasks, task);
    return {};
  }
};

}  // namespace

Expected<std::unique_ptr<Kernel>> makeConv(const NodeInfo& info) {
  ConvKernel k;
  DNNC_ASSIGN(k.attrs, ops::parseWindow(info, false));
  k.group = info.attrInt("group", 1);
  if (k.group < 1) return info.error("group must be positive, got ", k.group);
  const Tensor* w = info.constant(1);
  k.constant_weights = w && w->dtype() == DType::Float;
  k.sparse = ops::SparseWeights(w);
  return makeKernel(std::move(k));
}

}  // namespace dnnc
