// LayerShape helpers: builders, validation, zero-run histograms.
#include "lib/energy/layer_shape.h"

#include <algorithm>

namespace dnnc::energy {

namespace {

template <class T>
ZeroRunHistogram zeroRunsOf(std::span<const T> values) {
  ZeroRunHistogram h;
  h.elements = values.size();
  std::uint64_t run = 0;
  auto flush = [&] {
    if (run == 0) return;
    if (h.runs.size() <= run) h.runs.resize(run + 1, 0);
    ++h.runs[run];
    run = 0;
  };
  for (T v : values) {
    if (v == T(0)) {
      ++run;
    } else {
      ++h.nonzeros;
      flush();
    }
  }
  flush();
  return h;
}

}  // namespace

ZeroRunHistogram measureZeroRuns(std::span<const float> values) { return zeroRunsOf(values); }
ZeroRunHistogram measureZeroRuns(std::span<const std::uint16_t> values) { return zeroRunsOf(values); }

void mergeZeroRuns(ZeroRunHistogram& into, const ZeroRunHistogram& other) {
  into.elements += other.elements;
  into.nonzeros += other.nonzeros;
  if (into.runs.size() < other.runs.size()) into.runs.resize(other.runs.size(), 0);
  for (std::size_t i = 0; i < other.runs.size(); ++i) into.runs[i] += other.runs[i];
}

LayerShape convLayer(std::string name, int N, int C_total, int H, int W, int M, int R, int S, int stride, int pad,
                     int groups, int dilation) {
  LayerShape l;
  l.name = std::move(name);
  l.kind = LayerShape::Kind::Conv;
  l.N = N;
  l.M = M;
  l.G = groups;
  l.C = groups > 0 ? C_total / groups : C_total;
  l.H = H;
  l.W = W;
  l.pad_top = l.pad_bottom = l.pad_left = l.pad_right = pad;
  l.R = R;
  l.S = S;
  l.stride_h = l.stride_w = stride;
  l.dilation_h = l.dilation_w = dilation;
  if (stride > 0) {
    l.E = (l.Hp() - l.Reff()) / stride + 1;
    l.F = (l.Wp() - l.Seff()) / stride + 1;
  }
  return l;
}

LayerShape fcLayer(std::string name, int N, int in_features, int out_features, int positions) {
  LayerShape l;
  l.name = std::move(name);
  l.kind = LayerShape::Kind::Fc;
  l.N = N;
  l.C = in_features;
  l.M = out_features;
  l.W = l.F = positions;
  return l;
}

namespace {

Status fieldError(const LayerShape& l, const char* field, const std::string& why) {
  return Error(Exit::Input, "layer '", l.name, "': invalid ", field, ": ", why);
}

Status checkFraction(const LayerShape& l, const char* field, double v) {
  if (!(v >= 0.0 && v <= 1.0)) return fieldError(l, field, strCat("expected a fraction in [0, 1], got ", v));
  return {};
}

Status checkHistogram(const LayerShape& l, const char* field, const FmapSparsity& s) {
  if (!s.zero_runs) return {};
  const ZeroRunHistogram& h = *s.zero_runs;
  if (h.nonzeros > h.elements) return fieldError(l, field, "more nonzeros than elements");
  std::uint64_t zeros = 0;
  for (std::size_t L = 1; L < h.runs.size(); ++L) zeros += h.runs[L] * L;
  if (zeros + h.nonzeros != h.elements)
    return fieldError(l, field,
                      strCat("zero runs cover ", zeros, " zeros and ", h.nonzeros,
                             " nonzeros, expected them to add up to ", h.elements, " elements"));
  return {};
}

}  // namespace

Status validateLayer(const LayerShape& l) {
  struct Pos {
    const char* name;
    int value;
  };
  for (Pos p : {Pos{"N", l.N}, Pos{"M", l.M}, Pos{"C", l.C}, Pos{"G", l.G}, Pos{"H", l.H}, Pos{"W", l.W}, Pos{"R", l.R},
                Pos{"S", l.S}, Pos{"E", l.E}, Pos{"F", l.F}, Pos{"stride_h", l.stride_h}, Pos{"stride_w", l.stride_w},
                Pos{"dilation_h", l.dilation_h}, Pos{"dilation_w", l.dilation_w}}) {
    if (p.value < 1) return fieldError(l, p.name, strCat("expected a positive integer, got ", p.value));
  }
  for (Pos p : {Pos{"pad_top", l.pad_top}, Pos{"pad_bottom", l.pad_bottom}, Pos{"pad_left", l.pad_left},
                Pos{"pad_right", l.pad_right}}) {
    if (p.value < 0) return fieldError(l, p.name, strCat("expected a non-negative integer, got ", p.value));
  }
  if (l.M % l.G != 0) return fieldError(l, "M", strCat("M=", l.M, " is not divisible by G=", l.G));
  int E = (l.Hp() - l.Reff()) / l.stride_h + 1;
  int F = (l.Wp() - l.Seff()) / l.stride_w + 1;
  if (l.Hp() < l.Reff() || E != l.E)
    return fieldError(l, "E", strCat("expected (H+pads-dilated R)/stride+1 = ", E, ", got ", l.E));
  if (l.Wp() < l.Seff() || F != l.F)
    return fieldError(l, "F", strCat("expected (W+pads-dilated S)/stride+1 = ", F, ", got ", l.F));
  for (Pos p : {Pos{"weight_bits", l.weight_bits}, Pos{"ifmap_bits", l.ifmap_bits}})
    if (p.value < 0 || p.value > 64) return fieldError(l, p.name, strCat("expected 0 (a word) to 64, got ", p.value));
  DNNC_TRY(checkFraction(l, "ifmap zero fraction", l.ifmap.zero_fraction));
  DNNC_TRY(checkFraction(l, "ofmap zero fraction", l.ofmap.zero_fraction));
  DNNC_TRY(checkFraction(l, "weight zero fraction", l.weight_zero_fraction));
  DNNC_TRY(checkFraction(l, "SnaPEA skipped fraction", l.snapea_skipped));
  DNNC_TRY(checkFraction(l, "SnaPEA skipped nonzero fraction", l.snapea_skipped_nonzero));
  DNNC_TRY(checkHistogram(l, "ifmap zero-run histogram", l.ifmap));
  DNNC_TRY(checkHistogram(l, "ofmap zero-run histogram", l.ofmap));
  return {};
}

}  // namespace dnnc::energy
