#include "lib/ir/node.h"
#include "lib/train/frozen_bn_scaling.h"

#include <algorithm>
#include <cmath>
#include <map>


namespace dnnc::train {

namespace {

// A channel scale below this is treated as this: a nearly dead channel gets at most a 1e4x larger step.
constexpr float kMinScale = 1e-2f;

}  // namespace

FrozenBnScaling FrozenBnScaling::find(const Model& model, const Tape& tape) {
  const onnx::GraphProto& g = model.graph();
  std::map<std::string, int> readers, param_of;
  for (const auto& n : g.node())
    for (const auto& in : n.input()) ++readers[in];
  for (const auto& o : g.output()) ++readers[o.name()];
  for (int k = 0; k < tape.numParams(); ++k) param_of[tape.paramName(k)] = k;
  std::map<std::string, const Buf*> buffers;
  for (const auto& [name, buf] : tape.buffers()) buffers[name] = buf;
  auto param = [&](const std::string& name) {
    auto it = param_of.find(name);
    return it == param_of.end() || readers[name] != 1 ? -1 : it->second;
  };
  std::map<std::string, const onnx::NodeProto*> bn_of_input;
  for (const auto& n : g.node())
    if (n.op_type() == "BatchNormalization" && isDefaultDomain(n) && n.input_size() >= 5 && n.output_size() == 1)
      bn_of_input[n.input(0)] = &n;

  FrozenBnScaling s;
  s.held_.assign(static_cast<size_t>(tape.numParams()), false);
  for (const auto& n : g.node()) {
    const bool conv = n.op_type() == "Conv", gemm = n.op_type() == "Gemm";
    if (!(conv || gemm) || !isDefaultDomain(n) || n.input_size() < 2 || n.output_size() != 1) continue;
    if (gemm && attrInt(n, "transA", 0) != 0) continue;
    auto bn = bn_of_input.find(n.output(0));
    if (bn == bn_of_input.end() || readers[n.output(0)] != 1) continue;
    const onnx::NodeProto& b = *bn->second;
    Layer l;
    l.weight = param(n.input(1));
    l.bias = n.input_size() > 2 && !n.input(2).empty() ? param(n.input(2)) : -1;
    l.gamma = param(b.input(1));
    auto var = buffers.find(b.input(4));
    if (l.weight < 0 || l.gamma < 0 || var == buffers.end() || (n.input_size() > 2 && !n.input(2).empty() && l.bias < 0))
      continue;
    l.var = var->second->v;
    l.eps = attrFloat(b, "epsilon", 1e-5f);
    l.channel_leading = conv || attrInt(n, "transB", 0) != 0;
    const Buf& w = tape.param(l.weight);
    if (w.rank() < 2) continue;
    const int64_t k = l.channel_leading ? w.dims[0] : w.dims[1];
    if (k != static_cast<int64_t>(l.var.size()) || tape.param(l.gamma).numel() != k) continue;
    s.held_[static_cast<size_t>(l.gamma)] = true;
    s.layers_.push_back(std::move(l));
  }
  return s;
}

void FrozenBnScaling::scaleGradients(Tape& tape) const {
  for (const Layer& l : layers_) {
    const Buf& gamma = tape.param(l.gamma);
    const int64_t k = static_cast<int64_t>(l.var.size());
    std::vector<float> f(static_cast<size_t>(k));
    for (int64_t c = 0; c < k; ++c) {
      const float a = std::max(std::abs(gamma.v[c]) / std::sqrt(l.var[c] + l.eps), kMinScale);
      f[c] = 1.0f / (a * a);
    }
    Buf& gw = tape.paramGrad(l.weight);
    if (l.channel_leading) {
      const int64_t per = gw.numel() / k;
      for (int64_t c = 0; c < k; ++c)
        for (int64_t i = 0; i < per; ++i) gw.v[c * per + i] *= f[c];
    } else {
      const int64_t rows = gw.numel() / k;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < k; ++c) gw.v[r * k + c] *= f[c];
    }
    if (l.bias >= 0) {
      Buf& gb = tape.paramGrad(l.bias);
      for (int64_t c = 0; c < k && c < gb.numel(); ++c) gb.v[c] *= f[c];
    }
  }
}

bool FrozenBnScaling::holds(int param) const { return param >= 0 && static_cast<size_t>(param) < held_.size() && held_[param]; }

void FrozenBnScaling::release(int weight) {
  for (auto it = layers_.begin(); it != layers_.end();) {
    if (it->weight != weight) {
      ++it;
      continue;
    }
    held_[static_cast<size_t>(it->gamma)] = false;
    it = layers_.erase(it);
  }
}

}  // namespace dnnc::train
