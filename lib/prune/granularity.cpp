#include "lib/prune/granularity.h"

#include <cmath>
#include <cstdlib>

namespace dnnc {

std::string Granularity::text() const {
  switch (kind) {
    case Element: return "element";
    case Simd: return strCat("simd:", simd_width);
    case Filter: return "filter";
    case Channel: return "channel";
  }
  return "element";
}

Expected<Granularity> parseGranularity(const std::string& text) {
  if (text == "element") return Granularity{};
  if (text == "filter") return Granularity{Granularity::Filter, 1};
  if (text == "channel") return Granularity{Granularity::Channel, 1};
  if (text.rfind("simd:", 0) == 0) {
    std::string n = text.substr(5);
    char* end = nullptr;
    long long v = std::strtoll(n.c_str(), &end, 10);
    if (!n.empty() && *end == '\0' && v >= 1 && v <= 4096) return Granularity{Granularity::Simd, v};
  }
  return Error(Exit::Usage, "unknown granularity '", text, "' (expected element, simd:N with N in 1..4096, filter or channel)");
}

Status checkGranularityFits(const Granularity& g, const WeightLayer& layer) {
  if (g.kind == Granularity::Simd && g.simd_width > layer.view.reduction)
    return Error(Exit::Usage, "granularity ", g.text(), " does not fit layer '", layer.name, "': its reduction dimension is ",
                 layer.view.reduction, ", smaller than the group of ", g.simd_width)
        .withHint(strCat("use a smaller N, or skip the layer (--skip '", layer.name, "')"));
  return {};
}

namespace {

// Group k of a simd layer: line = k / groups_per_line (o * inner + i), j = k % groups_per_line.
template <class F>
void forGroup(const WeightLayer& l, int64_t n, size_t k, F&& f) {
  const auto& v = l.view;
  const int64_t per_line = (v.reduction + n - 1) / n;
  const int64_t line = static_cast<int64_t>(k) / per_line, j = static_cast<int64_t>(k) % per_line;
  const int64_t o = line / v.inner, i = line % v.inner;
  const int64_t end = std::min(v.reduction, (j + 1) * n);
  for (int64_t r = j * n; r < end; ++r) f(static_cast<size_t>((o * v.reduction + r) * v.inner + i));
}

}  // namespace

LayerCandidates candidates(const Granularity& g, const WeightLayer& layer, const std::vector<float>& weights) {
  LayerCandidates c;
  if (g.kind != Granularity::Simd) {
    c.scores.resize(weights.size());
    for (size_t i = 0; i < weights.size(); ++i) c.scores[i] = std::abs(weights[i]);
    return c;
  }
  const auto& v = layer.view;
  const int64_t n = g.simd_width;
  const size_t groups = static_cast<size_t>(v.outer * v.inner * ((v.reduction + n - 1) / n));
  c.scores.resize(groups);
  c.sizes.resize(groups);
  for (size_t k = 0; k < groups; ++k) {
    double ss = 0;
    int32_t size = 0;
    forGroup(layer, n, k, [&](size_t idx) {
      ss += double(weights[idx]) * weights[idx];
      ++size;
    });
    c.scores[k] = static_cast<float>(std::sqrt(ss / size));
    c.sizes[k] = size;
  }
  return c;
}

void zeroCandidate(const Granularity& g, const WeightLayer& layer, std::vector<float>& weights, size_t k) {
  if (g.kind != Granularity::Simd) {
    weights[k] = 0.0f;
    return;
  }
  forGroup(layer, g.simd_width, k, [&](size_t idx) { weights[idx] = 0.0f; });
}

}  // namespace dnnc
