// Conv: N-d convolution (1 to 3 spatial dims) with group, dilations, strides, pads and auto_pad.
// Each (image, group, block of output positions) is one task: im2col into a per-thread buffer, then one
// Eigen GEMM W_g[M/g x K] * col[K x block] straight into the output. 1x1 stride-1 unpadded kernels skip
// im2col. Tasks run on OpenMP threads; with fewer tasks than threads, Eigen threads the GEMM instead.
#include <Eigen/Core>

#include "lib/exec/ops/im2col.h"

namespace dnnc {
namespace {

using ConstRowMap = Eigen::Map<const RowMatrixF>;
using ConstStridedMap = Eigen::Map<const RowMatrixF, 0, Eigen::OuterStride<>>;
using StridedMap = Eigen::Map<RowMatrixF, 0, Eigen::OuterStride<>>;

struct ConvKernel {
  ops::WindowAttrs attrs;
  int64_t group = 1;

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
    const bool direct = w.kSize() == 1 && w.s[0] * w.s[1] * w.s[2] == 1 && w.pad_begin[0] + w.pad_begin[1] +
                        w.pad_begin[2] + w.pad_end[0] + w.pad_end[1] + w.pad_end[2] == 0;
    const int threads = ctx.threads();
    // Threads only pay off past about a million MACs per thread (waking them costs microseconds).
    const double macs = static_cast<double>(N) * M * P * K;
    // Blocks of output positions: about 512 KiB of im2col per block, at least 64 columns.
    int64_t cb = direct ? P : std::clamp<int64_t>((512 * 1024 / 4) / std::max<int64_t>(K, 1), 64, 4096);
    cb = std::min(cb, P);
    if (N * group * ((P + cb - 1) / cb) < threads && P >= 128) cb = std::max<int64_t>(64, (P + threads - 1) / threads);
    const int64_t blocks = (P + cb - 1) / cb;
    const int64_t tasks = N * group * blocks;
    const bool parallel_tasks = threads > 1 && tasks >= threads && macs >= 1e6 * threads;
    const int nbuf = parallel_tasks ? threads : 1;
    const float* xd = x.as<float>();
    const float* wd = wt.as<float>();
    float* yd = y.as<float>();

    // Stride 1 in 2-D (and 1-D): "wide" im2col over the padded input. Output rows are computed over the
    // full padded width Wp, so every im2col row is one contiguous copy; the few columns past OW are
    // computed and dropped. Tasks are (image, group, block of output rows).
    if (w.k[0] == 1 && w.s[0] == 1 && w.s[1] == 1 && w.s[2] == 1 && !direct) {
      const int64_t H = w.in[1], Wd = w.in[2], OH = w.out[1], OW = w.out[2];
      const int64_t pt = w.pad_begin[1], pl = w.pad_begin[2], pr = w.pad_end[2];
      const int64_t Wp = Wd + pl + pr, ekh = (w.k[1] - 1) * w.dil[1] + 1, ekw = (w.k[2] - 1) * w.dil[2] + 1;
      const int64_t rows_per_block = std::clamp<int64_t>((256 * 1024 / 4) / std::max<int64_t>(K * Wp, 1), 1, OH);
      int64_t rb = rows_per_block;
      if (N * group * ((OH + rb - 1) / rb) < threads && OH >= 2 * threads) rb = (OH + threads - 1) / threads;
      const int64_t rblocks = (OH + rb - 1) / rb;
      const int64_t wtasks = N * group * rblocks;
      const bool par = threads > 1 && wtasks >= threads && macs >= 1e6 * threads;
      const int64_t pad_rows = rb + ekh - 1;
      const int64_t pad_floats = Cg * (pad_rows * Wp + ekw), col_floats = K * rb * Wp, out_floats = Mg * rb * Wp;
      const int64_t per_slot = pad_floats + col_floats + out_floats;
      float* buf = ctx.scratch(static_cast<size_t>(par ? threads : 1) * per_slot);
      auto wtask = [&](int64_t t, int slot) {
        const int64_t blk = t % rblocks, g = (t / rblocks) % group, n = t / (rblocks * group);
        const int64_t r0 = blk * rb, r1 = std::min(OH, r0 + rb), L = (r1 - r0) * Wp;
        float* padded = buf + slot * per_slot;
        float* col = padded + pad_floats;
        float* tmp = col + col_floats;
        const float* xg = xd + (n * C + g * Cg) * inSize;
        // Padded input rows r0 - pt .. r0 - pt + pad_rows (clipped), per channel, plus zero slack.
        const int64_t prow = pad_rows * Wp + ekw;
        for (int64_t c = 0; c < Cg; ++c) {
          float* dst = padded + c * prow;
          std::fill(dst, dst + prow, 0.0f);
          for (int64_t r = 0; r < (r1 - r0) + ekh - 1; ++r) {
            const int64_t ih = r0 + r - pt;
            if (ih < 0 || ih >= H) continue;
            std::memcpy(dst + r * Wp + pl, xg + (c * H + ih) * Wd, Wd * sizeof(float));
          }
        }
        int64_t row = 0;
        for (int64_t c = 0; c < Cg; ++c)
          for (int64_t b = 0; b < w.k[1]; ++b)
            for (int64_t e = 0; e < w.k[2]; ++e, ++row)
              std::memcpy(col + row * L, padded + c * prow + b * w.dil[1] * Wp + e * w.dil[2], L * sizeof(float));
        Eigen::Map<RowMatrixF> T(tmp, Mg, L);
        T.noalias() = ConstRowMap(wd + g * Mg * K, Mg, K) * ConstRowMap(col, K, L);
        for (int64_t m = 0; m < Mg; ++m) {
          const float bv = bias ? bias[g * Mg + m] : 0.0f;
          float* yrow = yd + ((n * M + g * Mg + m) * OH + r0) * OW;
          const float* trow = tmp + m * L;
          for (int64_t r = 0; r < r1 - r0; ++r)
            for (int64_t ow = 0; ow < OW; ++ow) yrow[r * OW + ow] = trow[r * Wp + ow] + bv;
        }
      };
      if (par) {
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
        for (int64_t t = 0; t < wtasks; ++t) wtask(t, omp_get_thread_num());
      } else {
        for (int64_t t = 0; t < wtasks; ++t) wtask(t, 0);
      }
      return {};
    }

    float* scratch = direct ? nullptr : ctx.scratch(static_cast<size_t>(nbuf) * K * cb);
    auto task = [&](int64_t t, int slot) {
      const int64_t blk = t % blocks, g = (t / blocks) % group, n = t / (blocks * group);
      const int64_t j0 = blk * cb, j1 = std::min(P, j0 + cb), cols = j1 - j0;
      const float* xg = xd + (n * C + g * Cg) * inSize;
      ConstRowMap W(wd + g * Mg * K, Mg, K);
      StridedMap Y(yd + (n * M + g * Mg) * P + j0, Mg, cols, Eigen::OuterStride<>(P));
      if (direct) {
        Y.noalias() = W * ConstStridedMap(xg + j0, K, cols, Eigen::OuterStride<>(P));
      } else {
        float* col = scratch + static_cast<size_t>(slot) * K * cb;
        ops::im2col(xg, Cg, w, j0, j1, col);
        Y.noalias() = W * ConstRowMap(col, K, cols);
      }
      if (bias)
        for (int64_t m = 0; m < Mg; ++m) Y.row(m).array() += bias[g * Mg + m];
    };
    if (parallel_tasks) {
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
      for (int64_t t = 0; t < tasks; ++t) task(t, omp_get_thread_num());
    } else {
      for (int64_t t = 0; t < tasks; ++t) task(t, 0);
    }
    return {};
  }
};

}  // namespace

Expected<std::unique_ptr<Kernel>> makeConv(const NodeInfo& info) {
  ConvKernel k;
  DNNC_ASSIGN(k.attrs, ops::parseWindow(info, false));
  k.group = info.attrInt("group", 1);
  if (k.group < 1) return info.error("group must be positive, got ", k.group);
  return makeKernel(std::move(k));
}

}  // namespace dnnc
