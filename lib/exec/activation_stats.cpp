#include "lib/exec/activation_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "lib/exec/observed_run.h"
#include "lib/ir/op_traits.h"

namespace dnnc {

double ActivationStats::meanRunLength() const {
  if (runs == 0) return 0;
  // Exact except for the overflow bucket, counted at its lower bound.
  double total = 0;
  for (size_t k = 0; k < zero_runs.size(); ++k) total += static_cast<double>(zero_runs[k]) * static_cast<double>(k + 1);
  return total / static_cast<double>(runs);
}

namespace {

// Doubles the histogram's width towards the side that needs it until [lo, hi] holds [vmin, vmax].
void growHistogram(Histogram& h, double vmin, double vmax) {
  const size_t n = h.counts.size();
  while (vmin < h.lo || vmax > h.hi) {
    const double width = h.hi - h.lo;
    std::vector<int64_t> merged(n, 0);
    if (vmax > h.hi) {  // old bins into the lower half
      for (size_t i = 0; i < n; ++i) merged[i / 2] += h.counts[i];
      h.hi = h.lo + 2 * width;
    } else {  // into the upper half
      for (size_t i = 0; i < n; ++i) merged[n / 2 + i / 2] += h.counts[i];
      h.lo = h.hi - 2 * width;
    }
    h.counts = std::move(merged);
  }
}

}  // namespace

void accumulateActivation(ActivationStats& s, const float* data, std::span<const int64_t> dims,
                          const ActivationStatsOptions& options, double& sum) {
  int64_t total = 1;
  for (int64_t d : dims) total *= d;
  if (total == 0) return;
  const int64_t samples = dims.empty() ? 1 : dims[0];
  const int64_t per = total / samples;
  if (s.sample_dims.empty() && dims.size() > 1) s.sample_dims.assign(dims.begin() + 1, dims.end());
  if (s.zero_runs.empty()) s.zero_runs.assign(static_cast<size_t>(std::max(1, options.max_run)), 0);

  float bmin = std::numeric_limits<float>::infinity(), bmax = -bmin;
  double bsum = 0;
  int64_t zeros = 0;
  for (int64_t i = 0; i < total; ++i) {
    float v = data[i];
    if (std::isnan(v)) continue;
    bmin = std::min(bmin, v);
    bmax = std::max(bmax, v);
    bsum += v;
    zeros += v == 0.0f;
  }
  if (!(bmin <= bmax)) return;  // all NaN
  if (s.count == 0) {
    s.min = bmin;
    s.max = bmax;
    Histogram& h = s.histogram;
    h.counts.assign(static_cast<size_t>(std::max(2, options.bins / 2 * 2)), 0);
    h.lo = bmin;
    h.hi = bmax > bmin ? bmax : bmin + 1.0;
    if (std::isinf(h.lo) || std::isinf(h.hi)) {
      h.lo = std::isinf(h.lo) ? -1e30 : h.lo;
      h.hi = std::isinf(h.hi) ? 1e30 : h.hi;
    }
  } else {
    s.min = std::min<double>(s.min, bmin);
    s.max = std::max<double>(s.max, bmax);
  }
  growHistogram(s.histogram, std::max<double>(bmin, -1e30), std::min<double>(bmax, 1e30));
  Histogram& h = s.histogram;
  const int64_t nb = static_cast<int64_t>(h.counts.size());
  const double inv = static_cast<double>(nb) / (h.hi - h.lo);
  for (int64_t i = 0; i < total; ++i) {
    float v = data[i];
    if (std::isnan(v)) continue;
    int64_t b = static_cast<int64_t>((static_cast<double>(v) - h.lo) * inv);
    h.counts[static_cast<size_t>(std::clamp<int64_t>(b, 0, nb - 1))]++;
  }
  // Zero runs, per sample.
  const int64_t last = static_cast<int64_t>(s.zero_runs.size()) - 1;
  for (int64_t n = 0; n < samples; ++n) {
    const float* p = data + n * per;
    int64_t run = 0;
    for (int64_t i = 0; i < per; ++i) {
      if (p[i] == 0.0f) {
        ++run;
      } else if (run) {
        s.zero_runs[static_cast<size_t>(std::min(run - 1, last))]++;
        s.runs++;
        run = 0;
      }
    }
    if (run) {
      s.zero_runs[static_cast<size_t>(std::min(run - 1, last))]++;
      s.runs++;
    }
  }
  s.count += total;
  s.zeros += zeros;
  sum += bsum;
  s.mean = sum / static_cast<double>(s.count);
}

ActivationStatsCollector::ActivationStatsCollector(const Executor& exec, ActivationStatsOptions options)
    : options_(options) {
  const auto& g = exec.graph();
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    const std::string& op = n.op_type();
    if (!isDenseLayerRule(layerRule(op))) continue;
    for (int k = 0; k < std::min(n.input_size(), op == "MatMul" ? 2 : 1); ++k) {
      if (n.input(k).empty() || (k > 0 && exec.isConstant(n.input(k)))) continue;
      slots_.push_back({i, k});
      ActivationStats s;
      s.node = n.name();
      s.op = op;
      s.input = k;
      s.value = n.input(k);
      stats_.push_back(std::move(s));
    }
  }
  sums_.assign(stats_.size(), 0.0);
}

void ActivationStatsCollector::beforeNode(int index, const onnx::NodeProto& node, std::span<const Value* const> inputs) {
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].node_index != index) continue;
    const Value* v = slots_[i].input < static_cast<int>(inputs.size()) ? inputs[slots_[i].input] : nullptr;
    if (!v || v->dtype != DType::Float) continue;
    accumulateActivation(stats_[i], v->as<float>(), v->dims, options_, sums_[i]);
  }
}

std::vector<ActivationStats> ActivationStatsCollector::results() const { return stats_; }

Expected<std::vector<ActivationStats>> collectActivationStats(Executor& exec, BatchLoader& data, int64_t batch,
                                                               const ActivationStatsOptions& options,
                                                               const std::function<void(int64_t, int64_t)>& progress) {
  if (exec.inputs().size() != 1)
    return Error(Exit::Input, "activation statistics need a model with one input, this one has ", exec.inputs().size());
  ActivationStatsCollector collector(exec, options);
  DNNC_TRY(runObserved(exec, data, batch, collector, {.progress = progress}));
  return collector.results();
}

}  // namespace dnnc
