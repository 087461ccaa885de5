#include "lib/analysis/snapea.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "lib/exec/observed_run.h"
#include "lib/ir/node.h"

namespace dnnc {

int64_t SnapeaResult::macs() const {
  int64_t n = 0;
  for (const auto& l : layers) n += l.macs;
  return n;
}

int64_t SnapeaResult::skippedMacs() const {
  int64_t n = 0;
  for (const auto& l : layers) n += l.skipped_macs;
  return n;
}

double SnapeaResult::skipFraction() const {
  const int64_t m = macs();
  return m ? static_cast<double>(skippedMacs()) / static_cast<double>(m) : 0.0;
}

bool SnapeaResult::predictive() const {
  return std::any_of(layers.begin(), layers.end(), [](const SnapeaLayer& l) { return l.speculation_n > 0; });
}

bool SnapeaResult::exact() const {
  return std::all_of(layers.begin(), layers.end(), [](const SnapeaLayer& l) { return l.exact(); });
}

namespace {

// One filter term in SnaPEA order.
struct Term {
  int64_t channel, ky, kx;
  double weight;
};

// Filter `m`'s terms in storage order.
std::vector<Term> filterTerms(const SnapeaConv& c, const float* w, int64_t m) {
  const int64_t cg = c.channels / c.group;
  std::vector<Term> terms;
  const float* f = w + m * cg * c.kernel_h * c.kernel_w;
  for (int64_t ch = 0; ch < cg; ++ch)
    for (int64_t ky = 0; ky < c.kernel_h; ++ky)
      for (int64_t kx = 0; kx < c.kernel_w; ++kx) terms.push_back({ch, ky, kx, f[(ch * c.kernel_h + ky) * c.kernel_w + kx]});
  return terms;
}

// Moves the n largest-magnitude terms to the front, by decreasing magnitude (ties in storage order).
void speculationFirst(std::vector<Term>& terms, int64_t n) {
  n = std::clamp<int64_t>(n, 0, static_cast<int64_t>(terms.size()));
  std::stable_sort(terms.begin(), terms.end(),
                   [](const Term& a, const Term& b) { return std::abs(a.weight) > std::abs(b.weight); });
  // The rest back in storage order, so that exact mode orders them as it would without a speculation.
  std::stable_sort(terms.begin() + n, terms.end(), [](const Term& a, const Term& b) {
    return std::tie(a.channel, a.ky, a.kx) < std::tie(b.channel, b.ky, b.kx);
  });
}

// Filter `m`'s terms in SnaPEA order: the speculation's n terms first (predictive mode), then the
// non-negative weights (in storage order: their order cannot change when the sum stops), then the
// negative ones by decreasing magnitude, ties in storage order. `tail` is where the negative tail starts.
std::vector<Term> orderedFilter(const SnapeaConv& c, const float* w, int64_t m, int64_t n, int64_t& tail) {
  std::vector<Term> terms = filterTerms(c, w, m);
  speculationFirst(terms, n);
  n = std::clamp<int64_t>(n, 0, static_cast<int64_t>(terms.size()));
  std::vector<Term> pos(terms.begin(), terms.begin() + n), neg;
  for (auto it = terms.begin() + n; it != terms.end(); ++it) (it->weight < 0 ? neg : pos).push_back(*it);
  std::stable_sort(neg.begin(), neg.end(), [](const Term& a, const Term& b) { return a.weight < b.weight; });
  tail = static_cast<int64_t>(pos.size());
  pos.insert(pos.end(), neg.begin(), neg.end());
  return pos;
}

}  // namespace

std::vector<double> speculativeSums(const SnapeaConv& c, const float* x, const float* w, const float* bias, int64_t n) {
  const int64_t cg = c.channels / c.group, mg = c.filters / c.group, plane = c.height * c.width;
  const int64_t out_plane = c.out_h * c.out_w;
  std::vector<double> sums(static_cast<size_t>(c.batch * c.filters * out_plane));
  for (int64_t m = 0; m < c.filters; ++m) {
    std::vector<Term> terms = filterTerms(c, w, m);
    speculationFirst(terms, n);
    terms.resize(static_cast<size_t>(std::clamp<int64_t>(n, 0, static_cast<int64_t>(terms.size()))));
    const int64_t first_channel = (m / mg) * cg;
    for (int64_t b = 0; b < c.batch; ++b) {
      double* acc = sums.data() + (b * c.filters + m) * out_plane;
      std::fill(acc, acc + out_plane, bias ? static_cast<double>(bias[m]) : 0.0);
      const float* xn = x + (b * c.channels + first_channel) * plane;
      // Term by term over the whole output plane: each output still sums its terms in speculation order.
      for (const Term& t : terms) {
        const float* xc = xn + t.channel * plane;
        // The outputs whose tap falls inside the input along a row: ow in [ow_lo, ow_hi).
        const int64_t shift = t.kx * c.dilation_w - c.pad_left;
        const int64_t ow_lo = shift >= 0 ? 0 : (-shift + c.stride_w - 1) / c.stride_w;
        const int64_t ow_hi = std::min(c.out_w, c.width - shift > 0 ? (c.width - shift + c.stride_w - 1) / c.stride_w : 0);
        for (int64_t oh = 0; oh < c.out_h; ++oh) {
          const int64_t ih = oh * c.stride_h - c.pad_top + t.ky * c.dilation_h;
          if (ih < 0 || ih >= c.height) continue;
          double* row = acc + oh * c.out_w;
          const float* in = xc + ih * c.width;
          const double wt = t.weight;
          if (c.stride_w == 1) {
            for (int64_t ow = ow_lo; ow < ow_hi; ++ow) row[ow] += wt * in[ow + shift];
          } else {
            for (int64_t ow = ow_lo; ow < ow_hi; ++ow) row[ow] += wt * in[ow * c.stride_w + shift];
          }
        }
      }
    }
  }
  return sums;
}

std::vector<char> predictNegative(const SnapeaConv& c, const float* x, const float* w, const float* bias,
                                  const SnapeaPrediction& p) {
  std::vector<double> sums = speculativeSums(c, x, w, bias, p.n);
  std::vector<char> predicted(sums.size());
  for (size_t i = 0; i < sums.size(); ++i) predicted[i] = sums[i] < p.threshold;
  return predicted;
}

void accumulateSnapea(SnapeaLayer& layer, const SnapeaConv& c, const float* x, const float* w, const float* bias,
                      const float* relu_out, const char* predicted, int64_t speculation) {
  const int64_t cg = c.channels / c.group, mg = c.filters / c.group;
  const int64_t plane = c.height * c.width, terms_per_output = cg * c.kernel_h * c.kernel_w;
  const int64_t input_count = c.batch * c.channels * plane;
  if (!predicted) speculation = 0;
  speculation = std::clamp<int64_t>(speculation, 0, terms_per_output);
  layer.speculation_n = speculation;
  for (int64_t i = 0; i < input_count; ++i) layer.negative_inputs += x[i] < 0;
  for (int64_t m = 0; m < c.filters; ++m) {
    int64_t tail = 0;
    const std::vector<Term> terms = orderedFilter(c, w, m, speculation, tail);
    int64_t negatives = 0;
    for (const Term& t : terms) negatives += t.weight < 0;
    const double b = bias ? bias[m] : 0.0;
    const int64_t first_channel = (m / mg) * cg;
    for (int64_t n = 0; n < c.batch; ++n) {
      const float* xn = x + (n * c.channels + first_channel) * plane;
      for (int64_t oh = 0; oh < c.out_h; ++oh)
        for (int64_t ow = 0; ow < c.out_w; ++ow) {
          const int64_t ih0 = oh * c.stride_h - c.pad_top, iw0 = ow * c.stride_w - c.pad_left;
          const int64_t out_index = ((n * c.filters + m) * c.out_h + oh) * c.out_w + ow;
          const bool guessed = predicted && predicted[out_index];
          // Sums every term in SnaPEA order (in double, so the reference is tighter than the executor's
          // float sum), noting where the sum stops: after the speculation for a predicted output, else at
          // the first partial sum <= 0 once all non-negative terms are in. `nonzero` counts the terms
          // with a real nonzero input, and `nonzero_at_stop` those computed before the stop.
          double sum = b, magnitude = std::abs(b);
          int64_t stop = guessed ? speculation : -1;  // terms computed; -1: it ran to the end
          int64_t nonzero = 0, nonzero_at_stop = 0;
          for (int64_t t = 0; t < terms_per_output; ++t) {
            if (t == tail && stop < 0 && sum <= 0) stop = t;
            if (t == stop) nonzero_at_stop = nonzero;
            const Term& term = terms[static_cast<size_t>(t)];
            const int64_t ih = ih0 + term.ky * c.dilation_h, iw = iw0 + term.kx * c.dilation_w;
            if (ih >= 0 && ih < c.height && iw >= 0 && iw < c.width) {
              const float v = xn[term.channel * plane + ih * c.width + iw];
              const double p = term.weight * v;
              sum += p;
              magnitude += std::abs(p);
              nonzero += v != 0.0f;
            }
            if (t >= tail && stop < 0 && sum <= 0) {
              stop = t + 1;
              nonzero_at_stop = nonzero;
            }
          }
          if (stop < 0 && tail == terms_per_output && sum <= 0) stop = terms_per_output;
          if (stop == terms_per_output) nonzero_at_stop = nonzero;
          const bool terminated = stop >= 0;
          layer.outputs++;
          layer.macs += terms_per_output;
          layer.negative_macs += negatives;
          if (guessed) {
            layer.predicted_outputs++;
            layer.mispredicted += sum > 0;
          }
          if (terminated) {
            layer.terminated_outputs++;
            layer.skipped_macs += terms_per_output - stop;
            layer.skipped_nonzero_macs += nonzero - nonzero_at_stop;
          }
          if (!relu_out) continue;
          const double mine = terminated ? 0.0 : std::max(sum, 0.0);
          const float theirs = relu_out[out_index];
          const double diff = std::abs(mine - static_cast<double>(theirs));
          layer.max_abs_diff = std::max(layer.max_abs_diff, diff);
          // Float summation in another order: a few ulps of the terms' magnitude.
          const double tolerance = 1e-5 * magnitude + 1e-6;
          if (diff > tolerance || std::isnan(theirs)) layer.mismatches++;
          if (terminated && theirs != 0.0f) layer.terminated_nonzero++;
        }
    }
  }
}

namespace {

// Whether a value is >= 0 by construction: a Relu's output, or a pooling, flattening or reshaping of one.
bool nonNegativeByConstruction(const std::string& value, const std::map<std::string, int>& producer,
                               const onnx::GraphProto& g, std::string& why) {
  auto it = producer.find(value);
  if (it == producer.end()) {
    why = "input '" + value + "' is a graph input or an initializer, not provably non-negative";
    return false;
  }
  const auto& n = g.node(it->second);
  const std::string& op = n.op_type();
  if (op == "Relu") return true;
  static const char* kPreserving[] = {"MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
                                      "Flatten", "Reshape", "Identity"};
  const bool preserving = std::any_of(std::begin(kPreserving), std::end(kPreserving), [&](const char* p) { return op == p; });
  if (preserving && n.input_size() > 0) {
    if (nonNegativeByConstruction(n.input(0), producer, g, why)) return true;
    return false;
  }
  why = "input '" + value + "' comes from " + op + " '" + n.name() + "', not provably non-negative";
  return false;
}

// The Conv's geometry from its attributes and input/weight dims, or why the count cannot follow it.
Expected<SnapeaConv> convGeometry(const onnx::NodeProto& node, const Value& x, const Value& w) {
  if (x.rank() != 4 || w.rank() != 4) return Error(Exit::Input, "only 2-D convolutions are counted");
  SnapeaConv c;
  c.batch = x.dims[0];
  c.channels = x.dims[1];
  c.height = x.dims[2];
  c.width = x.dims[3];
  c.filters = w.dims[0];
  c.kernel_h = w.dims[2];
  c.kernel_w = w.dims[3];
  c.group = attrInt(node, "group", 1);
  if (c.group <= 0 || c.channels % c.group || c.filters % c.group || w.dims[1] != c.channels / c.group)
    return Error(Exit::Input, "weights do not match the input channels and group");
  auto strides = attrInts(node, "strides", {1, 1}), dilations = attrInts(node, "dilations", {1, 1});
  auto pads = attrInts(node, "pads", {0, 0, 0, 0});
  if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4) return Error(Exit::Input, "unexpected attribute length");
  c.stride_h = strides[0];
  c.stride_w = strides[1];
  c.dilation_h = dilations[0];
  c.dilation_w = dilations[1];
  const std::string auto_pad = attrString(node, "auto_pad", "NOTSET");
  const int64_t span_h = (c.kernel_h - 1) * c.dilation_h + 1, span_w = (c.kernel_w - 1) * c.dilation_w + 1;
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    c.out_h = (c.height + c.stride_h - 1) / c.stride_h;
    c.out_w = (c.width + c.stride_w - 1) / c.stride_w;
    const int64_t th = std::max<int64_t>(0, (c.out_h - 1) * c.stride_h + span_h - c.height);
    const int64_t tw = std::max<int64_t>(0, (c.out_w - 1) * c.stride_w + span_w - c.width);
    c.pad_top = auto_pad == "SAME_UPPER" ? th / 2 : th - th / 2;
    c.pad_left = auto_pad == "SAME_UPPER" ? tw / 2 : tw - tw / 2;
    return c;
  }
  if (auto_pad == "VALID") pads = {0, 0, 0, 0};
  c.pad_top = pads[0];
  c.pad_left = pads[1];
  c.out_h = (c.height + pads[0] + pads[2] - span_h) / c.stride_h + 1;
  c.out_w = (c.width + pads[1] + pads[3] - span_w) / c.stride_w + 1;
  return c;
}

std::vector<float> copyFloats(const Value* v) {
  if (!v) return {};
  auto s = v->span<float>();
  return {s.begin(), s.end()};
}

}  // namespace

SnapeaCoverage findSnapeaSites(const Executor& exec) {
  SnapeaCoverage out;
  const auto& g = exec.graph();
  std::map<std::string, int> producer;
  std::map<std::string, std::vector<int>> readers;
  for (int i = 0; i < g.node_size(); ++i) {
    for (const auto& o : g.node(i).output()) producer[o] = i;
    for (const auto& in : g.node(i).input())
      if (!in.empty()) readers[in].push_back(i);
  }
  auto isGraphOutput = [&](const std::string& v) {
    return std::any_of(g.output().begin(), g.output().end(), [&](const auto& o) { return o.name() == v; });
  };
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    if (n.op_type() != "Conv" || n.output_size() < 1) continue;
    const std::string label = n.name().empty() ? n.output(0) : n.name();
    auto uncovered = [&](std::string why) { out.uncovered.push_back({label, std::move(why)}); };
    if (n.input_size() < 2 || !exec.isConstant(n.input(1))) {
      uncovered("weights are computed, not constant");
      continue;
    }
    const std::string& y = n.output(0);
    const std::vector<int>& r = readers[y];
    if (isGraphOutput(y)) {
      uncovered("output is also a graph output");
      continue;
    }
    if (r.size() != 1) {
      uncovered(r.empty() ? "output is not read" : "output is read by " + std::to_string(r.size()) + " nodes, not only a Relu");
      continue;
    }
    const auto& reader = g.node(r[0]);
    if (reader.op_type() != "Relu") {
      std::string why = "not followed by Relu (read by " + reader.op_type() + " '" + reader.name() + "')";
      if (reader.op_type() == "BatchNormalization") why += "; fold it first: dnnc run --passes fold-bn";
      uncovered(why);
      continue;
    }
    std::string why;
    if (!nonNegativeByConstruction(n.input(0), producer, g, why)) {
      uncovered(why);
      continue;
    }
    out.sites.push_back({i, r[0], label, reader.name().empty() ? reader.output(0) : reader.name()});
  }
  return out;
}

Expected<SnapeaConv> snapeaGeometry(const onnx::NodeProto& node, std::span<const Value* const> inputs,
                                    const std::string& label) {
  const Value* x = inputs.size() > 0 ? inputs[0] : nullptr;
  const Value* w = inputs.size() > 1 ? inputs[1] : nullptr;
  const Value* b = inputs.size() > 2 ? inputs[2] : nullptr;
  if (!x || !w || x->dtype != DType::Float || w->dtype != DType::Float || (b && b->dtype != DType::Float))
    return Error(Exit::Input, "cannot count Conv '", label, "': only float convolutions are counted");
  auto geometry = convGeometry(node, *x, *w);
  if (!geometry) return Error(Exit::Input, "cannot count Conv '", label, "': ", geometry.error().message());
  return geometry;
}

SnapeaCollector::SnapeaCollector(const Executor& exec, SnapeaRunOptions options) : options_(std::move(options)) {
  SnapeaCoverage coverage = findSnapeaSites(exec);
  result_.uncovered = std::move(coverage.uncovered);
  for (const auto& site : coverage.sites) {
    conv_node_.push_back(site.conv);
    relu_node_.push_back(site.relu);
    SnapeaLayer layer;
    layer.node = site.node;
    layer.relu = site.relu_name;
    result_.layers.push_back(layer);
    prediction_.push_back(nullptr);
  }
  pending_.resize(conv_node_.size());
  for (const auto& p : options_.predictions) {
    auto it = std::find_if(result_.layers.begin(), result_.layers.end(), [&](const SnapeaLayer& l) { return l.node == p.node; });
    if (it == result_.layers.end()) {
      status_ = Error(Exit::Input, "SnaPEA predictive parameters name Conv '", p.node,
                      "', which is not a covered Conv -> Relu layer of this model");
      continue;
    }
    const size_t k = static_cast<size_t>(it - result_.layers.begin());
    if (p.n > 0) prediction_[k] = &p;
    it->threshold = p.threshold;
  }
}

void SnapeaCollector::beforeNode(int index, const onnx::NodeProto& node, std::span<const Value* const> inputs) {
  for (size_t k = 0; k < conv_node_.size(); ++k) {
    if (conv_node_[k] != index || !status_) continue;
    Pending& p = pending_[k];
    p.ready = false;
    auto geometry = snapeaGeometry(node, inputs, result_.layers[k].node);
    if (!geometry) {
      status_ = std::move(geometry).error();
      return;
    }
    p.conv = *geometry;
    const float* b = inputs.size() > 2 && inputs[2] ? inputs[2]->as<float>() : nullptr;
    if (prediction_[k])
      p.predicted = predictNegative(p.conv, inputs[0]->as<float>(), inputs[1]->as<float>(), b, *prediction_[k]);
    if (options_.count) {
      p.x = copyFloats(inputs[0]);
      p.w = copyFloats(inputs[1]);
      p.bias = copyFloats(inputs.size() > 2 ? inputs[2] : nullptr);
    }
    p.ready = true;
  }
}

void SnapeaCollector::afterNode(int index, const onnx::NodeProto& node, std::span<const Value* const> outputs) {
  for (size_t k = 0; k < relu_node_.size(); ++k) {
    if (relu_node_[k] != index || !status_) continue;
    Pending& p = pending_[k];
    const Value* y = outputs.empty() ? nullptr : outputs[0];
    const SnapeaConv& c = p.conv;
    const std::vector<int64_t> expected = {c.batch, c.filters, c.out_h, c.out_w};
    if (!p.ready || !y || y->dtype != DType::Float || y->dims != expected) {
      status_ = Error(Exit::Internal, "SnaPEA count of Conv '", result_.layers[k].node, "' lost track of its Relu '",
                      node.name(), "'");
      return;
    }
    // Predictive mode, simulated: the outputs SnaPEA predicts negative are 0 for every later reader.
    // (Values handed to an observer may be written: this is how a simulation changes what runs next.)
    float* out = y->as<float>();
    for (size_t i = 0; i < p.predicted.size(); ++i)
      if (p.predicted[i]) out[i] = 0.0f;
    if (options_.count)
      accumulateSnapea(result_.layers[k], c, p.x.data(), p.w.data(), p.bias.empty() ? nullptr : p.bias.data(), out,
                       p.predicted.empty() ? nullptr : p.predicted.data(), prediction_[k] ? prediction_[k]->n : 0);
    p = Pending{};
  }
}

Expected<SnapeaResult> collectSnapea(Executor& exec, BatchLoader& data, int64_t batch,
                                     const std::function<void(int64_t, int64_t)>& progress,
                                     const std::vector<SnapeaPrediction>& predictions) {
  if (exec.inputs().size() != 1)
    return Error(Exit::Input, "the SnaPEA count needs a model with one input, this one has ", exec.inputs().size());
  SnapeaCollector collector(exec, {.predictions = predictions});
  DNNC_TRY(collector.status());
  DNNC_TRY(runObserved(exec, data, batch, collector,
                      {.check = [&] { return collector.status(); }, .progress = progress}));
  return collector.result();
}

}  // namespace dnnc
