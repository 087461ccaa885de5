#include "lib/analysis/linear_layer.h"

#include <algorithm>

#include "lib/ir/node.h"
#include "lib/ir/op_traits.h"

namespace dnnc {
std::optional<LinearLayer> linearLayer(const Graph& graph, int id, std::string& why) {
  const onnx::NodeProto& n = graph.node(id);
  LinearLayer l;
  l.node = id;
  l.name = nodeLabel(n);
  l.op = n.op_type();
  if (!isDefaultDomain(n) || !isDenseLayerRule(layerRule(l.op))) return why = "not a layer", std::nullopt;
  if (n.input_size() < 2 || !graph.isWeight(n.input(1))) return why = "its weight is computed, not a constant", std::nullopt;
  l.input = n.input(0);
  l.output = n.output(0);
  l.weight = n.input(1);
  if (n.input_size() >= 3 && !n.input(2).empty()) {
    if (!graph.isWeight(n.input(2))) return why = "its bias is computed, not a constant", std::nullopt;
    l.bias = n.input(2);
  }
  const onnx::TensorProto* w = graph.weightProto(l.weight);
  if (!w) return why = "its weight is not an initializer", std::nullopt;
  std::vector<int64_t> dims(w->dims().begin(), w->dims().end());
  if (l.op == "Conv") {
    if (dims.size() != 4) return why = "not a 2-D convolution", std::nullopt;
    if (attrInt(n, "group", 1) != 1) return why = "grouped convolution", std::nullopt;
    if (const auto* a = findAttr(n, "auto_pad"); a && a->s() != "NOTSET" && a->s() != "VALID")
      return why = "auto_pad " + a->s(), std::nullopt;
    auto pads = attrInts(n, "pads", {0, 0, 0, 0});
    auto strides = attrInts(n, "strides", {1, 1});
    auto dil = attrInts(n, "dilations", {1, 1});
    if (pads.size() != 4 || strides.size() != 2 || dil.size() != 2) return why = "unexpected attribute sizes", std::nullopt;
    l.outputs = dims[0];
    l.fan_in = dims[1] * dims[2] * dims[3];
    l.kh = dims[2], l.kw = dims[3], l.sh = strides[0], l.sw = strides[1], l.dh = dil[0], l.dw = dil[1];
    l.ph = pads[0], l.pw = pads[1];
  } else {
    if (dims.size() != 2) return why = "weight is not a matrix", std::nullopt;
    if (l.op == "Gemm") {
      if (attrInt(n, "transA", 0) != 0) return why = "transA", std::nullopt;
      if (const auto* a = findAttr(n, "alpha"); a && a->f() != 1.0f) return why = "alpha != 1", std::nullopt;
      if (const auto* a = findAttr(n, "beta"); a && a->f() != 1.0f && !l.bias.empty()) return why = "beta != 1", std::nullopt;
      l.transposed = attrInt(n, "transB", 0) == 0;
    } else {
      l.transposed = true;
    }
    l.outputs = l.transposed ? dims[1] : dims[0];
    l.fan_in = l.transposed ? dims[0] : dims[1];
  }
  return l;
}

RowMatrixF weightMatrix(const LinearLayer& layer, const Tensor& weight) {
  auto m = weight.asMatrix();
  if (layer.transposed) return m.transpose();
  return m;
}

void storeWeightMatrix(const LinearLayer& layer, const RowMatrixF& w, Tensor& weight) {
  auto m = weight.asMatrix();
  if (layer.transposed) m = w.transpose();
  else m = w;
}

LayerSamples sampleLayer(const LinearLayer& l, const Tensor& in, const Tensor& out, int64_t max_columns,
                         std::mt19937_64& rng) {
  const float* xin = in.data<float>();
  const float* yout = out.data<float>();
  LayerSamples s;
  if (!l.conv()) {
    // Rows of the flattened [..., K] input and [..., M] output.
    const int64_t rows = in.numel() / l.fan_in;
    std::vector<int64_t> pick(rows);
    for (int64_t i = 0; i < rows; ++i) pick[i] = i;
    if (rows > max_columns) {
      std::shuffle(pick.begin(), pick.end(), rng);
      pick.resize(max_columns);
      std::sort(pick.begin(), pick.end());
    }
    s.x.resize(l.fan_in, pick.size());
    s.y.resize(l.outputs, pick.size());
    for (size_t j = 0; j < pick.size(); ++j) {
      for (int64_t k = 0; k < l.fan_in; ++k) s.x(k, j) = xin[pick[j] * l.fan_in + k];
      for (int64_t m = 0; m < l.outputs; ++m) s.y(m, j) = yout[pick[j] * l.outputs + m];
    }
    return s;
  }
  const auto& id = in.dims();
  const auto& od = out.dims();
  const int64_t n = id[0], c = id[1], h = id[2], w = id[3], e = od[2], f = od[3];
  const int64_t positions = n * e * f;
  const int64_t count = std::min(positions, max_columns);
  std::vector<int64_t> pick;
  if (positions <= max_columns) {
    pick.resize(positions);
    for (int64_t i = 0; i < positions; ++i) pick[i] = i;
  } else {
    std::uniform_int_distribution<int64_t> d(0, positions - 1);
    pick.resize(count);
    for (auto& p : pick) p = d(rng);
    std::sort(pick.begin(), pick.end());
  }
  s.x.setZero(l.fan_in, pick.size());
  s.y.resize(l.outputs, pick.size());
  for (size_t j = 0; j < pick.size(); ++j) {
    const int64_t p = pick[j], b = p / (e * f), oy = (p / f) % e, ox = p % f;
    for (int64_t ci = 0; ci < c; ++ci)
      for (int64_t r = 0; r < l.kh; ++r) {
        const int64_t iy = oy * l.sh - l.ph + r * l.dh;
        if (iy < 0 || iy >= h) continue;
        for (int64_t q = 0; q < l.kw; ++q) {
          const int64_t ix = ox * l.sw - l.pw + q * l.dw;
          if (ix < 0 || ix >= w) continue;
          s.x((ci * l.kh + r) * l.kw + q, j) = xin[((b * c + ci) * h + iy) * w + ix];
        }
      }
    for (int64_t m = 0; m < l.outputs; ++m) s.y(m, j) = yout[((b * l.outputs + m) * e + oy) * f + ox];
  }
  return s;
}

}  // namespace dnnc
