// Delta coding of feature maps (see delta_stats.h): raw, spatial and temporal 16-bit streams, their entropy,
// zeros, zero runs and Eyeriss RLC size.
#include "lib/energy/delta_stats.h"

#include <algorithm>
#include <cmath>

#include "formats/entropy.h"
#include "lib/ir/op_traits.h"
#include "lib/support/check.h"

namespace dnnc::energy {

double fixedPointScale(double max_abs) {
  return max_abs > 0 && std::isfinite(max_abs) ? max_abs / kDeltaMaxLevel : 1.0;
}

uint16_t quantize16(float x, double scale) {
  if (std::isnan(x)) return 0;
  const double q = std::nearbyint(double(x) / scale);
  const auto level = int32_t(std::clamp(q, -double(kDeltaMaxLevel), double(kDeltaMaxLevel)));
  return uint16_t(level);  // two's complement
}

void rawSymbols(std::span<const float> x, double scale, std::vector<uint16_t>& out) {
  out.resize(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = quantize16(x[i], scale);
}

void spatialDeltas(std::span<const uint16_t> raw, int64_t width, std::vector<uint16_t>& out) {
  DNNC_CHECK(width > 0 && raw.size() % size_t(width) == 0);
  out.resize(raw.size());
  for (size_t row = 0; row < raw.size(); row += size_t(width)) {
    out[row] = raw[row];
    for (size_t i = row + 1; i < row + size_t(width); ++i) out[i] = uint16_t(raw[i] - raw[i - 1]);  // modulo 2^16
  }
}

void temporalDeltas(std::span<const uint16_t> raw, std::span<const uint16_t> previous, std::vector<uint16_t>& out) {
  DNNC_CHECK(raw.size() == previous.size());
  out.resize(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) out[i] = uint16_t(raw[i] - previous[i]);  // modulo 2^16
}

double CodedStream::entropyBitsPerValue() const {
  return values() ? formats::entropyBits(symbol_counts) / double(values()) : 0.0;
}

double CodedStream::rlcBitsPerValue(const RlcParams& p) const {
  return values() ? rlcBits(rlcPairs(zero_runs, p), p) / double(values()) : 0.0;
}

void addSample(CodedStream& s, std::span<const uint16_t> symbols) {
  if (s.symbol_counts.empty()) s.symbol_counts.assign(size_t(1) << kDeltaWordBits, 0);
  for (uint16_t v : symbols) ++s.symbol_counts[v];
  const ZeroRunHistogram h = measureZeroRuns(symbols);
  for (uint64_t n : h.runs) s.runs += n;
  mergeZeroRuns(s.zero_runs, h);
  ++s.samples;
}

DeltaStatsCollector::DeltaStatsCollector(const Executor& exec, DeltaStatsOptions options) : options_(options) {
  const auto& g = exec.graph();
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    if (!isDenseLayerRule(layerRule(n.op_type())) || n.input_size() < 1 || n.input(0).empty()) continue;
    node_index_.push_back(i);
    DeltaStats s;
    s.node = n.name().empty() && n.output_size() > 0 ? n.output(0) : n.name();  // as OnnxLayerInfo names it
    s.op = n.op_type();
    s.value = n.input(0);
    stats_.push_back(std::move(s));
  }
  previous_.resize(stats_.size());
}

void DeltaStatsCollector::freeze() {
  for (auto& s : stats_) s.scale = fixedPointScale(s.max_abs);
  calibrating_ = false;
}

void DeltaStatsCollector::beforeNode(int index, const onnx::NodeProto&, std::span<const Value* const> inputs) {
  for (size_t k = 0; k < node_index_.size(); ++k) {
    if (node_index_[k] != index) continue;
    const Value* v = inputs.empty() ? nullptr : inputs[0];
    if (!v || v->dtype != DType::Float || v->rank() < 1) continue;
    DeltaStats& s = stats_[k];
    const float* x = v->as<float>();
    if (calibrating_) {
      for (int64_t i = 0; i < v->numel(); ++i)
        if (std::isfinite(x[i])) s.max_abs = std::max(s.max_abs, double(std::abs(x[i])));
    } else {
      measure(s, k, x, v->dims);
    }
  }
}

void DeltaStatsCollector::measure(DeltaStats& s, size_t slot, const float* x, std::span<const int64_t> dims) {
  const int64_t batch = dims[0];
  if (batch <= 0) return;
  int64_t per = 1;
  for (size_t d = 1; d < dims.size(); ++d) per *= dims[d];
  if (s.sample_dims.empty()) s.sample_dims.assign(dims.begin() + 1, dims.end());
  const int64_t width = dims.size() > 1 ? std::max<int64_t>(1, dims.back()) : 1;
  for (int64_t b = 0; b < batch; ++b) {
    rawSymbols({x + b * per, size_t(per)}, s.scale, raw_);
    addSample(s.raw, raw_);
    spatialDeltas(raw_, width, delta_);
    addSample(s.spatial, delta_);
    if (!options_.frames) continue;
    std::vector<uint16_t>& prev = previous_[slot];
    if (prev.size() == raw_.size()) {
      temporalDeltas(raw_, prev, delta_);
      addSample(s.temporal, delta_);
    }
    prev = raw_;
  }
}

Expected<std::vector<DeltaStats>> collectDeltaStats(Executor& exec, BatchLoader& data, int64_t batch,
                                                    const DeltaStatsOptions& options,
                                                    const std::function<void(int64_t, int64_t)>& progress) {
  if (exec.inputs().size() != 1)
    return Error(Exit::Input, "delta statistics need a model with one input, this one has ", exec.inputs().size());
  if (options.frames && data.samples() < 2)
    return Error(Exit::Input, "temporal deltas (frames) need at least 2 samples, the data has ", data.samples());
  DeltaStatsCollector collector(exec, options);
  ExecRunOptions run;
  run.observer = &collector;
  Tensor x;
  for (int pass = 0; pass < 2; ++pass) {
    data.rewind();
    for (;;) {
      DNNC_ASSIGN(bool more, data.next(batch, x));
      if (!more) break;
      DNNC_TRY(exec.run({&x}, run));
      if (progress) progress(pass * data.samples() + data.position(), 2 * data.samples());
    }
    if (pass == 0) collector.freeze();
  }
  return collector.results();
}

}  // namespace dnnc::energy
