#include "lib/analysis/snapea.h"

#include <algorithm>
#include <cmath>
#include <map>

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

bool SnapeaResult::exact() const {
  return std::all_of(layers.begin(), layers.end(), [](const SnapeaLayer& l) { return l.exact(); });
}

namespace {

// One filter term in SnaPEA order.
struct Term {
  int64_t channel, ky, kx;
  double weight;
};

// Filter `m`'s terms: non-negative weights first (in storage order: their order cannot change when the
// sum stops), then negative ones by decreasing magnitude, ties in storage order.
std::vector<Term> orderedFilter(const SnapeaConv& c, const float* w, int64_t m, int64_t& non_negative) {
  const int64_t cg = c.channels / c.group;
  std::vector<Term> pos, neg;
  const float* f = w + m * cg * c.kernel_h * c.kernel_w;
  for (int64_t ch = 0; ch < cg; ++ch)
    for (int64_t ky = 0; ky < c.kernel_h; ++ky)
      for (int64_t kx = 0; kx < c.kernel_w; ++kx) {
        const float v = f[(ch * c.kernel_h + ky) * c.kernel_w + kx];
        (v < 0 ? neg : pos).push_back({ch, ky, kx, v});
      }
  std::stable_sort(neg.begin(), neg.end(), [](const Term& a, const Term& b) { return a.weight < b.weight; });
  non_negative = static_cast<int64_t>(pos.size());
  pos.insert(pos.end(), neg.begin(), neg.end());
  return pos;
}

}  // namespace

void accumulateSnapea(SnapeaLayer& layer, const SnapeaConv& c, const float* x, const float* w, const float* bias,
                      const float* relu_out) {
  const int64_t cg = c.channels / c.group, mg = c.filters / c.group;
  const int64_t plane = c.height * c.width, terms_per_output = cg * c.kernel_h * c.kernel_w;
  const int64_t input_count = c.batch * c.channels * plane;
  for (int64_t i = 0; i < input_count; ++i) layer.negative_inputs += x[i] < 0;
  for (int64_t m = 0; m < c.filters; ++m) {
    int64_t non_negative = 0;
    const std::vector<Term> terms = orderedFilter(c, w, m, non_negative);
    const int64_t negatives = terms_per_output - non_negative;
    const double b = bias ? bias[m] : 0.0;
    const int64_t first_channel = (m / mg) * cg;
    for (int64_t n = 0; n < c.batch; ++n) {
      const float* xn = x + (n * c.channels + first_channel) * plane;
      for (int64_t oh = 0; oh < c.out_h; ++oh)
        for (int64_t ow = 0; ow < c.out_w; ++ow) {
          const int64_t ih0 = oh * c.stride_h - c.pad_top, iw0 = ow * c.stride_w - c.pad_left;
          // Sums every term in SnaPEA order (in double, so the reference is tighter than the executor's
          // float sum), noting where exact mode stops: the first partial sum <= 0 once all non-negative
          // terms are in.
          double sum = b, magnitude = std::abs(b);
          int64_t stop = -1;  // terms computed when the sum stopped; -1: it ran to the end
          for (int64_t t = 0; t < terms_per_output; ++t) {
            if (t == non_negative && stop < 0 && sum <= 0) stop = t;
            const Term& term = terms[static_cast<size_t>(t)];
            const int64_t ih = ih0 + term.ky * c.dilation_h, iw = iw0 + term.kx * c.dilation_w;
            if (ih >= 0 && ih < c.height && iw >= 0 && iw < c.width) {
              const double p = term.weight * xn[term.channel * plane + ih * c.width + iw];
              sum += p;
              magnitude += std::abs(p);
            }
            if (t >= non_negative && stop < 0 && sum <= 0) stop = t + 1;
          }
          if (stop < 0 && non_negative == terms_per_output && sum <= 0) stop = terms_per_output;
          const bool terminated = stop >= 0;
          layer.outputs++;
          layer.macs += terms_per_output;
          layer.negative_macs += negatives;
          if (terminated) {
            layer.terminated_outputs++;
            layer.skipped_macs += terms_per_output - stop;
          }
          if (!relu_out) continue;
          const double mine = terminated ? 0.0 : std::max(sum, 0.0);
          const float theirs = relu_out[((n * c.filters + m) * c.out_h + oh) * c.out_w + ow];
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

SnapeaCollector::SnapeaCollector(const Executor& exec) {
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
    auto uncovered = [&](std::string why) { result_.uncovered.push_back({label, std::move(why)}); };
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
    conv_node_.push_back(i);
    relu_node_.push_back(r[0]);
    SnapeaLayer layer;
    layer.node = label;
    layer.relu = reader.name().empty() ? reader.output(0) : reader.name();
    result_.layers.push_back(layer);
  }
  pending_.resize(conv_node_.size());
}

void SnapeaCollector::beforeNode(int index, const onnx::NodeProto& node, std::span<const Value* const> inputs) {
  for (size_t k = 0; k < conv_node_.size(); ++k) {
    if (conv_node_[k] != index || !status_) continue;
    Pending& p = pending_[k];
    p.ready = false;
    const Value* x = inputs.size() > 0 ? inputs[0] : nullptr;
    const Value* w = inputs.size() > 1 ? inputs[1] : nullptr;
    const Value* b = inputs.size() > 2 ? inputs[2] : nullptr;
    if (!x || !w || x->dtype != DType::Float || w->dtype != DType::Float || (b && b->dtype != DType::Float)) {
      status_ = Error(Exit::Input, "cannot count Conv '", result_.layers[k].node, "': only float convolutions are counted");
      return;
    }
    auto geometry = convGeometry(node, *x, *w);
    if (!geometry) {
      status_ = Error(Exit::Input, "cannot count Conv '", result_.layers[k].node, "': ", geometry.error().message());
      return;
    }
    p.conv = *geometry;
    p.x = copyFloats(x);
    p.w = copyFloats(w);
    p.bias = copyFloats(b);
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
    accumulateSnapea(result_.layers[k], c, p.x.data(), p.w.data(), p.bias.empty() ? nullptr : p.bias.data(),
                     y->as<float>());
    p = Pending{};
  }
}

Expected<SnapeaResult> collectSnapea(Executor& exec, BatchLoader& data, int64_t batch,
                                     const std::function<void(int64_t, int64_t)>& progress) {
  if (exec.inputs().size() != 1)
    return Error(Exit::Input, "the SnaPEA count needs a model with one input, this one has ", exec.inputs().size());
  SnapeaCollector collector(exec);
  DNNC_TRY(runObserved(exec, data, batch, collector,
                      {.check = [&] { return collector.status(); }, .progress = progress}));
  return collector.result();
}

}  // namespace dnnc
