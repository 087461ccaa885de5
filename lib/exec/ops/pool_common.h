// MaxPool and AveragePool over 1 to 3 spatial dims: one (image, channel) plane per task.
#pragma once
#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "lib/exec/ops/window.h"

namespace dnnc::ops {

struct PoolKernel {
  WindowAttrs attrs;
  bool is_max = true;
  bool count_include_pad = false;
  int64_t storage_order = 0;

  template <class T>
  Status pool(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    if (x.rank() < 3) return ctx.error("X ", dimsToString(x.dims), " needs at least one spatial dim");
    std::span<const int64_t> spatial(x.dims.data() + 2, x.dims.size() - 2);
    DNNC_ASSIGN(Window3 w, resolveWindow(attrs, spatial, attrs.kernel, ctx));
    std::vector<int64_t> dims = {x.dims[0], x.dims[1]};
    for (size_t i = 0; i < spatial.size(); ++i) dims.push_back(w.out[3 - spatial.size() + i]);
    Value& y = ctx.output(0, x.dtype, dims);
    int64_t* indices = nullptr;
    if (is_max && ctx.wantsOutput(1)) indices = ctx.output(1, DType::Int64, dims).as<int64_t>();
    const int64_t planes = x.dims[0] * x.dims[1], inSize = w.inSize(), outSize = w.outSize();
    const T* xd = x.as<T>();
    T* yd = y.as<T>();
    if (!indices && w.k[0] == 1 && w.dil[1] == 1 && w.dil[2] == 1) {
      if (w.s[1] == 1 && w.s[2] == 1) poolStride1(w, planes, xd, yd, ctx.threads());
      else pool2d(w, planes, xd, yd, ctx.threads());
      return {};
    }
    parallelFor(planes, ctx.threads(), std::max<int64_t>(1, (1 << 17) / std::max<int64_t>(outSize * w.kSize(), 1)),
                [&](int64_t pb, int64_t pe) {
      for (int64_t p = pb; p < pe; ++p) {
        const T* src = xd + p * inSize;
        T* dst = yd + p * outSize;
        int64_t o = 0;
        for (int64_t od = 0; od < w.out[0]; ++od)
          for (int64_t oh = 0; oh < w.out[1]; ++oh)
            for (int64_t ow = 0; ow < w.out[2]; ++ow, ++o) {
              const int64_t d0 = od * w.s[0] - w.pad_begin[0], h0 = oh * w.s[1] - w.pad_begin[1], w0 = ow * w.s[2] - w.pad_begin[2];
              if (is_max) {
                T best = std::numeric_limits<T>::lowest();
                int64_t arg = -1;
                for (int64_t a = 0; a < w.k[0]; ++a) {
                  int64_t id = d0 + a * w.dil[0];
                  if (id < 0 || id >= w.in[0]) continue;
                  for (int64_t b = 0; b < w.k[1]; ++b) {
                    int64_t ih = h0 + b * w.dil[1];
                    if (ih < 0 || ih >= w.in[1]) continue;
                    const T* row = src + (id * w.in[1] + ih) * w.in[2];
                    for (int64_t e = 0; e < w.k[2]; ++e) {
                      int64_t iw = w0 + e * w.dil[2];
                      if (iw < 0 || iw >= w.in[2]) continue;
                      if (arg < 0 || row[iw] > best) {
                        best = row[iw];
                        arg = storage_order == 0 ? (id * w.in[1] + ih) * w.in[2] + iw : (iw * w.in[1] + ih) * w.in[0] + id;
                      }
                    }
                  }
                }
                dst[o] = best;
                if (indices) indices[p * outSize + o] = p * inSize + arg;
              } else {
                double sum = 0;
                int64_t valid = 0;
                for (int64_t a = 0; a < w.k[0]; ++a) {
                  int64_t id = d0 + a * w.dil[0];
                  if (id < 0 || id >= w.in[0]) continue;
                  for (int64_t b = 0; b < w.k[1]; ++b) {
                    int64_t ih = h0 + b * w.dil[1];
                    if (ih < 0 || ih >= w.in[1]) continue;
                    const T* row = src + (id * w.in[1] + ih) * w.in[2];
                    for (int64_t e = 0; e < w.k[2]; ++e) {
                      int64_t iw = w0 + e * w.dil[2];
                      if (iw < 0 || iw >= w.in[2]) continue;
                      sum += row[iw];
                      ++valid;
                    }
                  }
                }
                int64_t count = valid;
                if (count_include_pad) {  // the window clipped to the padded input
                  count = 1;
                  for (int i = 0; i < 3; ++i) {
                    int64_t start = (i == 0 ? d0 : i == 1 ? h0 : w0);
                    int64_t end = std::min(start + (w.k[i] - 1) * w.dil[i] + 1, w.in[i] + w.pad_end[i]);
                    start = std::max(start, -w.pad_begin[i]);
                    count *= (end - start + w.dil[i] - 1) / w.dil[i];
                  }
                }
                dst[o] = static_cast<T>(count > 0 ? sum / static_cast<double>(count) : 0.0);
              }
            }
      }
    });
    return {};
  }

  // Stride-1 windows (GoogLeNet's inception pools, the "same" pools of SPP blocks). Each plane is copied
  // once into a padded buffer (lowest or zero around it, set once per chunk of planes), and each tap is
  // then one pass over the whole padded plane: the columns' taps first, then the rows'. The loops run
  // over the plane, not over a row, so they stay vector loops however narrow the map: GoogLeNet's 14-wide
  // rows, shorter than a vector, had left every per-row loop of pool2d scalar (13 pools 3.8 ms at batch
  // 1, ORT 0.8). (At stride 2 the whole-plane passes would compute four times the outputs: slower there.)
  template <class T>
  void poolStride1(const Window3& w, int64_t planes, const T* xd, T* yd, int threads) const {
    const int64_t H = w.in[1], W = w.in[2], OH = w.out[1], OW = w.out[2];
    const int64_t kh = w.k[1], kw = w.k[2], pt = w.pad_begin[1], pl = w.pad_begin[2];
    const int64_t Wp = std::max(pl + W, OW - 1 + kw), Hp = std::max(pt + H, OH - 1 + kh);
    const bool unpadded = Wp == W && Hp == H && pt == 0 && pl == 0;
    const int64_t horizontal = Hp * Wp - (kw - 1);  // column-tap results; the last row's tail is never read
    const int64_t vertical = (OH - 1) * Wp + OW;    // row-tap results up to the last output
    std::vector<T> inv_count;                       // average: 1 / the window's count, per output
    if (!is_max) {
      inv_count.resize(static_cast<size_t>(OH * OW));
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          const int64_t h0 = oh - pt, w0 = ow - pl;
          const int64_t count =
              count_include_pad
                  ? (std::min(h0 + kh, H + w.pad_end[1]) - h0) * (std::min(w0 + kw, W + w.pad_end[2]) - w0)
                  : (std::min(h0 + kh, H) - std::max<int64_t>(h0, 0)) * (std::min(w0 + kw, W) - std::max<int64_t>(w0, 0));
          inv_count[oh * OW + ow] = count > 0 ? T(1) / static_cast<T>(count) : T(0);
        }
    }
    const auto combine = [this](T a, T b) { return is_max ? std::max(a, b) : a + b; };
    parallelFor(planes, threads, std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(Hp * Wp * (kh + kw), 1)),
                [&](int64_t pb, int64_t pe) {
      thread_local std::vector<T> buf;
      const int64_t padded_floats = unpadded ? 0 : Hp * Wp;
      buf.assign(static_cast<size_t>(padded_floats + horizontal + vertical), is_max ? std::numeric_limits<T>::lowest() : T(0));
      T* padded = buf.data();
      T* cols = padded + padded_floats;
      T* rows = cols + horizontal;
      for (int64_t p = pb; p < pe; ++p) {
        const T* src = xd + p * H * W;
        T* dst = yd + p * OH * OW;
        // Without padding the plane is its own padded plane (Inception's pools after an explicit Pad).
        const T* plane = src;
        if (!unpadded) {
          for (int64_t ih = 0; ih < H; ++ih) std::memcpy(padded + (ih + pt) * Wp + pl, src + ih * W, W * sizeof(T));
          plane = padded;
        }
        std::memcpy(cols, plane, horizontal * sizeof(T));
        for (int64_t e = 1; e < kw; ++e)
          for (int64_t k = 0; k < horizontal; ++k) cols[k] = combine(cols[k], plane[k + e]);
        std::memcpy(rows, cols, vertical * sizeof(T));
        for (int64_t a = 1; a < kh; ++a) {
          const T* tap = cols + a * Wp;
          for (int64_t k = 0; k < vertical; ++k) rows[k] = combine(rows[k], tap[k]);
        }
        for (int64_t oh = 0; oh < OH; ++oh) {
          if (is_max) {
            std::memcpy(dst + oh * OW, rows + oh * Wp, OW * sizeof(T));
          } else {
            const T* inv = inv_count.data() + oh * OW;
            for (int64_t ow = 0; ow < OW; ++ow) dst[oh * OW + ow] = rows[oh * Wp + ow] * inv[ow];
          }
        }
      }
    });
  }

  // The first input row of a window into the row of column maxima or sums (a copy, where a fill with the
  // identity and a pass would cost two), or the identity when the window has no row inside the input.
  template <class T>
  void firstRow(const T* src, int64_t hs, int64_t he, int64_t W, T* row) const {
    if (he > hs) std::memcpy(row, src + hs * W, W * sizeof(T));
    else std::fill(row, row + W, is_max ? std::numeric_limits<T>::lowest() : T(0));
  }

  // The common case: 2-D windows without dilation or indices. Window bounds are clipped once per row and
  // column, so the inner loops have no checks.
  template <class T>
  void pool2d(const Window3& w, int64_t planes, const T* xd, T* yd, int threads) const {
    const int64_t H = w.in[1], W = w.in[2], OH = w.out[1], OW = w.out[2];
    std::vector<int64_t> ws(OW), we(OW), wcount(OW);
    for (int64_t ow = 0; ow < OW; ++ow) {
      int64_t s0 = ow * w.s[2] - w.pad_begin[2];
      ws[ow] = std::max<int64_t>(s0, 0);
      we[ow] = std::min<int64_t>(s0 + w.k[2], W);
      wcount[ow] = std::min<int64_t>(s0 + w.k[2], W + w.pad_end[2]) - std::max<int64_t>(s0, -w.pad_begin[2]);
    }
    // 2x2 windows at stride 2 without padding (the common downsampling MaxPool; DenseNet's AveragePool).
    const bool within2x2 = w.k[1] == 2 && w.k[2] == 2 && w.s[1] == 2 && w.s[2] == 2 && w.pad_begin[1] == 0 &&
                        w.pad_begin[2] == 0 && 2 * OH <= H && 2 * OW <= W;
    parallelFor(planes, threads, std::max<int64_t>(1, (1 << 17) / std::max<int64_t>(OH * OW * w.k[1] * w.k[2], 1)),
                [&](int64_t pb, int64_t pe) {
      // Column maxima of a row of windows with the left padding (and what the last window reads past the
      // right edge) as lowest(): row[pl + iw] is input column iw.
      const int64_t pl = w.pad_begin[2], kw = w.k[2], sw = w.s[2];
      const int64_t padded_width = std::max(pl + W, (OW - 1) * sw + kw);
      thread_local std::vector<T> columns;
      // Past the edges: lowest() for a maximum, zero for a sum (and only ever those, row after row).
      columns.assign(static_cast<size_t>(padded_width), is_max ? std::numeric_limits<T>::lowest() : T(0));
      for (int64_t p = pb; p < pe; ++p) {
        const T* src = xd + p * H * W;
        T* dst = yd + p * OH * OW;
        for (int64_t oh = 0; oh < OH; ++oh) {
          const int64_t s0 = oh * w.s[1] - w.pad_begin[1];
          const int64_t hs = std::max<int64_t>(s0, 0), he = std::min<int64_t>(s0 + w.k[1], H);
          const int64_t hcount = std::min<int64_t>(s0 + w.k[1], H + w.pad_end[1]) - std::max<int64_t>(s0, -w.pad_begin[1]);
          T* out = dst + oh * OW;
          if (within2x2) {  // the window wholly inside: no clipping, four loads per output
            const T* r0 = src + s0 * W;
            const T* r1 = r0 + W;
            if (is_max)
              for (int64_t ow = 0; ow < OW; ++ow)
                out[ow] = std::max(std::max(r0[2 * ow], r0[2 * ow + 1]), std::max(r1[2 * ow], r1[2 * ow + 1]));
            else
              for (int64_t ow = 0; ow < OW; ++ow)
                out[ow] = ((r0[2 * ow] + r0[2 * ow + 1]) + (r1[2 * ow] + r1[2 * ow + 1])) * T(0.25);
          } else if (is_max) {
            // Separably: the window's rows first, into one row of column maxima (a vectorised pass over
            // W), then each output's columns of it: kh + kw comparisons per output instead of kh x kw
            // (SqueezeNet's 3x3 max pools had taken 16-20 % of its time).
            // The columns then go tap by tap over the whole output row (a vector max per tap at stride 1)
            // against the padded row, instead of a clipped scalar loop per output (GoogLeNet's 3x3
            // stride-1 pools had taken 10 ms at batch 1, ORT 1.3).
            const T* padded = columns.data();
            T* colmax = columns.data() + pl;
            firstRow(src, hs, he, W, colmax);
            for (int64_t ih = hs + 1; ih < he; ++ih) {
              const T* row = src + ih * W;
              for (int64_t iw = 0; iw < W; ++iw) colmax[iw] = std::max(colmax[iw], row[iw]);
            }
            if (kw == 3 && sw == 2) {  // ResNet's, SqueezeNet's and GoogLeNet's downsampling: one pass
              for (int64_t ow = 0; ow < OW; ++ow)
                out[ow] = std::max(std::max(padded[2 * ow], padded[2 * ow + 1]), padded[2 * ow + 2]);
              continue;
            }
            for (int64_t ow = 0; ow < OW; ++ow) out[ow] = padded[ow * sw];
            for (int64_t e = 1; e < kw; ++e) {
              const T* tap = padded + e;
              if (sw == 1)
                for (int64_t ow = 0; ow < OW; ++ow) out[ow] = std::max(out[ow], tap[ow]);
              else
                for (int64_t ow = 0; ow < OW; ++ow) out[ow] = std::max(out[ow], tap[ow * sw]);
            }
          } else {
            // Average: separably too, the window's rows summed into one row of column sums (zero past
            // the edges), then each output's taps of it, times 1/count (DenseNet's transition pools had
            // taken 0.7 ms each at batch 1, a scalar double loop per output; ORT 0.04).
            const T* padded = columns.data();
            T* colsum = columns.data() + pl;
            firstRow(src, hs, he, W, colsum);
            for (int64_t ih = hs + 1; ih < he; ++ih) {
              const T* row = src + ih * W;
              for (int64_t iw = 0; iw < W; ++iw) colsum[iw] += row[iw];
            }
            for (int64_t ow = 0; ow < OW; ++ow) out[ow] = padded[ow * sw];
            for (int64_t e = 1; e < kw; ++e) {
              const T* tap = padded + e;
              if (sw == 1)
                for (int64_t ow = 0; ow < OW; ++ow) out[ow] += tap[ow];
              else
                for (int64_t ow = 0; ow < OW; ++ow) out[ow] += tap[ow * sw];
            }
            for (int64_t ow = 0; ow < OW; ++ow) {
              const int64_t count = count_include_pad ? hcount * wcount[ow] : (he - hs) * (we[ow] - ws[ow]);
              out[ow] = count > 0 ? out[ow] / static_cast<T>(count) : T(0);
            }
          }
        }
      }
    });
  }

  Status run(KernelContext& ctx) {
    switch (ctx.input(0).dtype) {
      case DType::Float: return pool<float>(ctx);
      case DType::Double: return pool<double>(ctx);
      case DType::Uint8:
        if (is_max) return pool<uint8_t>(ctx);
        break;
      case DType::Int8:
        if (is_max) return pool<int8_t>(ctx);
        break;
      default: break;
    }
    return ctx.error("unsupported type ", dtypeName(ctx.input(0).dtype));
  }
};

}  // namespace dnnc::ops
