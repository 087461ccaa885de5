#include "passes/decompose_util.h"

#include <algorithm>

#include "lib/ir/dead_code.h"
#include "lib/ir/node.h"
#include "lib/pass/params.h"

namespace dnnc::decompose {

std::string nameBase(const onnx::NodeProto& n) { return n.name().empty() ? n.output(0) : n.name(); }

std::string RankChoice::source() const {
  switch (kind) {
    case Evbmf: return "evbmf";
    case Fixed: return "rank";
    case Ratio: return "ratio";
    case Energy: return "energy";
  }
  return "";
}

ParamFields<CommonParams> commonParams(bool with_energy, const std::string& default_doc) {
  using P = CommonParams;
  auto f = ParamFields<P>()
               .field("layers", &P::layers, "", "comma-separated globs of node names to decompose (default: every one)")
               .field("rank", &P::rank, "", "fixed rank for every selected layer (default: " + default_doc + ")")
               .field("ratio", &P::ratio, "", "target params after / before per layer, in (0, 1]; picks the rank");
  if (with_energy)
    f.field("energy", &P::energy, "", "share of singular-value energy (sum of s^2) to keep, in (0, 1]");
  return f;
}

Expected<RankChoice> parseRankChoice(const CommonParams& params, const std::string& pass, bool allow_energy,
                                     bool allow_evbmf) {
  RankChoice c;
  int given = 0;
  if (params.rank) {
    ++given;
    c.kind = RankChoice::Fixed;
    c.rank = *params.rank;
    if (c.rank < 1) return Error(Exit::Usage, pass, ": rank must be at least 1, got ", c.rank);
  }
  if (params.ratio) {
    ++given;
    c.kind = RankChoice::Ratio;
    c.ratio = *params.ratio;
    if (!(c.ratio > 0 && c.ratio <= 1)) return Error(Exit::Usage, pass, ": ratio must be in (0, 1], got ", formatDouble(c.ratio));
  }
  if (allow_energy && params.energy) {
    ++given;
    c.kind = RankChoice::Energy;
    c.energy = *params.energy;
    if (!(c.energy > 0 && c.energy <= 1))
      return Error(Exit::Usage, pass, ": energy must be in (0, 1], got ", formatDouble(c.energy));
  }
  if (given > 1)
    return Error(Exit::Usage, pass, ": give at most one of rank, ratio", allow_energy ? ", energy" : "");
  if (given == 0 && !allow_evbmf)
    return Error(Exit::Usage, pass, ": no rank given").withHint("set rank=N or ratio=R (e.g. ratio=0.25)");
  return c;
}

Expected<std::optional<ConvLayer>> matchConv(const Graph& graph, NodeId id, const ShapeMap& shapes, std::string& why) {
  const onnx::NodeProto& n = graph.node(id);
  auto skip = [&](std::string reason) -> Expected<std::optional<ConvLayer>> {
    why = std::move(reason);
    return std::optional<ConvLayer>();
  };
  if (n.input_size() < 2 || !graph.isWeight(n.input(1))) return skip("weight is computed, not an initializer");
  if (n.input_size() >= 3 && !n.input(2).empty() && !graph.isWeight(n.input(2))) return skip("bias is computed, not an initializer");
  const auto* wp = graph.weightProto(n.input(1));
  if (!wp || wp->data_type() != onnx::TensorProto::FLOAT) return skip("weight is not float32");
  if (wp->dims_size() != 4) return skip(strCat(wp->dims_size() - 2, "-D convolution (only 2-D is decomposed)"));
  if (const auto* g = findAttr(n, "group"); g && g->i() != 1)
    return skip(wp->dims(1) == 1 ? "depthwise convolution (already factored per channel)"
                                 : strCat("grouped convolution (group ", g->i(), ")"));
  if (wp->dims(2) == 1 && wp->dims(3) == 1) return skip("1x1 kernel: a matrix, use decompose-svd's rank on it instead");
  ConvLayer c;
  c.id = id;
  c.label = nodeLabel(n);
  c.base = nameBase(n);
  c.input = n.input(0);
  c.output = n.output(0);
  c.bias = n.input_size() >= 3 ? n.input(2) : "";
  DNNC_ASSIGN(c.weight, graph.readWeight(n.input(1)));
  c.K = c.weight.dims()[0], c.C = c.weight.dims()[1], c.h = c.weight.dims()[2], c.w = c.weight.dims()[3];
  c.strides = attrInts(n, "strides", {1, 1});
  c.pads = attrInts(n, "pads", {0, 0, 0, 0});
  c.dilations = attrInts(n, "dilations", {1, 1});
  if (const auto* a = findAttr(n, "auto_pad")) c.auto_pad = a->s();
  if (c.auto_pad == "NOTSET") c.auto_pad.clear();
  if (c.strides.size() != 2 || c.pads.size() != 4 || c.dilations.size() != 2) return skip("malformed strides/pads/dilations");
  if (const auto* in = shapes.find(c.input); in && in->dims.size() == 4) c.in_h = in->dims[2], c.in_w = in->dims[3];
  if (const auto* out = shapes.find(c.output); out && out->dims.size() == 4) c.out_h = out->dims[2], c.out_w = out->dims[3];
  return std::optional<ConvLayer>(std::move(c));
}

onnx::NodeProto makeConv(const std::string& name, const std::vector<std::string>& inputs, const std::string& output,
                         std::vector<int64_t> kernel, std::vector<int64_t> strides, std::vector<int64_t> pads,
                         std::vector<int64_t> dilations, int64_t group, const std::string& auto_pad) {
  onnx::NodeProto n;
  n.set_op_type("Conv");
  n.set_name(name);
  for (const auto& i : inputs) n.add_input(i);
  n.add_output(output);
  setAttrInts(n, "kernel_shape", kernel);
  if (strides != std::vector<int64_t>{1, 1}) setAttrInts(n, "strides", strides);
  if (!auto_pad.empty()) {
    auto* a = n.add_attribute();
    a->set_name("auto_pad");
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(auto_pad);
  } else if (std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p != 0; })) {
    setAttrInts(n, "pads", pads);
  }
  if (dilations != std::vector<int64_t>{1, 1}) setAttrInts(n, "dilations", dilations);
  if (group != 1) {
    auto* a = n.add_attribute();
    a->set_name("group");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(group);
  }
  return n;
}

linalg::DenseTensor toDense(const Tensor& t) {
  auto v = t.toFloats();
  linalg::Vector d(static_cast<int64_t>(v.size()));
  for (size_t i = 0; i < v.size(); ++i) d[static_cast<int64_t>(i)] = v[i];
  return linalg::DenseTensor(t.dims(), std::move(d));
}

Tensor fromMatrix(const linalg::Matrix& m, std::vector<int64_t> dims) {
  std::vector<float> v;
  v.reserve(static_cast<size_t>(m.size()));
  for (int64_t i = 0; i < m.rows(); ++i)
    for (int64_t j = 0; j < m.cols(); ++j) v.push_back(static_cast<float>(m(i, j)));
  return Tensor::fromFloats(v, std::move(dims));
}

Tensor fromDense(const linalg::DenseTensor& t) {
  std::vector<float> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = static_cast<float>(t.data[i]);
  return Tensor::fromFloats(v, t.dims);
}

void replaceNode(Graph& graph, NodeId id, std::vector<onnx::NodeProto> replacement) {
  graph.erase(id);
  for (auto& n : replacement) graph.addNode(std::move(n));
}

Error nothingToDecompose(const std::string& pass, const std::string& kind, const PassLog& log) {
  std::string why;
  size_t n = 0;
  for (const auto& s : log.skipped) {
    if (n++ == 3) {
      why += "; ...";
      break;
    }
    why += (why.empty() ? "" : "; ") + s["node"].get<std::string>() + ": " + s["reason"].get<std::string>();
  }
  return Error(Exit::Target, pass, ": no ", kind, " layer it can decompose", why.empty() ? std::string() : " (" + why + ")");
}

Status finish(Graph& graph, const std::vector<std::string>& replaced) {
  DNNC_TRY(graph.compact());
  if (!eraseUnusedInitializers(graph.proto(), graph, &replaced).empty()) graph.reindex();
  return {};
}

}  // namespace dnnc::decompose
