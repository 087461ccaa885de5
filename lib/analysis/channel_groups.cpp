#include "lib/analysis/channel_groups.h"
#include "lib/ir/node.h"
#include "lib/ir/op_traits.h"

#include <algorithm>
#include <numeric>
#include <optional>
#include <set>

namespace dnnc {

namespace {

int64_t product(const std::vector<int64_t>& dims, size_t from) {
  int64_t p = 1;
  for (size_t i = from; i < dims.size(); ++i) {
    if (dims[i] < 0) return -1;
    p *= dims[i];
  }
  return p;
}

}  // namespace

int32_t ChannelGroups::classOf(int32_t atom) const { return class_parent_[static_cast<size_t>(atom)]; }
int ChannelGroups::groupOfAtom(int32_t atom) const { return atom_group_[static_cast<size_t>(atom)]; }

class ChannelGroupBuilder {
 public:
  ChannelGroupBuilder(const Graph& graph, const ShapeMap& shapes) : g_(graph), shapes_(shapes) {}

  ChannelGroups build() {
    for (NodeId id : g_.nodes()) visit(id);
    // Values read by subgraphs are read in ways the analysis cannot see.
    for (const auto& [value, layout] : out_.layouts)
      if (g_.capturedBySubgraphs().count(value)) block(layout, strCat("'", value, "' is read inside a subgraph"));
    finish();
    return std::move(out_);
  }

 private:
  const Graph& g_;
  const ShapeMap& shapes_;
  ChannelGroups out_;
  std::vector<int> source_index_of_atom_;  // atom -> index into sources_
  std::vector<NodeId> sources_;
  std::vector<int> source_parent_;  // union-find over sources: the dependency groups
  std::vector<std::pair<int32_t, std::string>> blocks_;

  // ---- union-find ----
  int32_t findClass(int32_t a) {
    auto& p = out_.class_parent_;
    while (p[a] != a) a = p[a] = p[p[a]];
    return a;
  }
  int findSource(int s) {
    while (source_parent_[s] != s) s = source_parent_[s] = source_parent_[source_parent_[s]];
    return s;
  }
  void join(int32_t a, int32_t b) {
    int32_t ra = findClass(a), rb = findClass(b);
    if (ra != rb) out_.class_parent_[std::max(ra, rb)] = std::min(ra, rb);
    int sa = findSource(source_index_of_atom_[a]), sb = findSource(source_index_of_atom_[b]);
    if (sa != sb) source_parent_[std::max(sa, sb)] = std::min(sa, sb);
  }

  // ---- helpers ----
  const ChannelLayout* layoutOf(const std::string& v) const {
    auto it = out_.layouts.find(v);
    return it == out_.layouts.end() ? nullptr : &it->second;
  }
  const ValueShape* shapeOf(const std::string& v) const {
    const ValueShape* s = shapes_.find(v);
    return s && s->known_rank ? s : nullptr;
  }
  std::vector<int64_t> weightDims(const std::string& v) const {
    const onnx::TensorProto* p = g_.weightProto(v);
    return p ? std::vector<int64_t>(p->dims().begin(), p->dims().end()) : std::vector<int64_t>{};
  }
  void block(const ChannelLayout& layout, const std::string& reason) {
    std::set<int> seen;
    for (int32_t a : layout.atoms)
      if (a >= 0 && seen.insert(source_index_of_atom_[a]).second) blocks_.emplace_back(a, reason);
  }
  void blockInputs(const onnx::NodeProto& n, const std::string& reason) {
    for (const auto& in : n.input())
      if (const auto* l = layoutOf(in)) block(*l, reason);
  }
  void setOutput(const onnx::NodeProto& n, int k, ChannelLayout layout) {
    if (k >= n.output_size() || n.output(k).empty()) return;
    const std::string& v = n.output(k);
    if (g_.isGraphOutput(v)) block(layout, strCat("reaches graph output '", v, "'"));
    out_.layouts[v] = std::move(layout);
  }
  ChannelLayout newSource(NodeId id, int64_t channels, int axis, int rank) {
    ChannelLayout l{axis, rank, {}};
    int s = static_cast<int>(sources_.size());
    sources_.push_back(id);
    source_parent_.push_back(s);
    for (int64_t c = 0; c < channels; ++c) {
      auto a = static_cast<int32_t>(out_.atom_source_.size());
      out_.atom_source_.push_back(id);
      out_.class_parent_.push_back(a);
      source_index_of_atom_.push_back(s);
      l.atoms.push_back(a);
    }
    out_.source_atoms_[id] = l.atoms;
    return l;
  }
  bool biasIsWeight(const onnx::NodeProto& n, int k) const {
    return n.input_size() <= k || n.input(k).empty() || g_.isWeight(n.input(k));
  }

  // ---- per op ----
  void visit(NodeId id) {
    const onnx::NodeProto& n = g_.node(id);
    const std::string& op = n.op_type();
    bool any_tracked = false;
    for (const auto& in : n.input()) any_tracked |= layoutOf(in) != nullptr;
    if (!isDefaultDomain(n)) {
      if (any_tracked) blockInputs(n, strCat("read by ", n.domain(), "::", op, " '", nodeLabel(n), "', which dnnc cannot follow"));
      return;
    }
    switch (layerRule(op)) {
      case LayerRule::Conv: return conv(id, n);
      case LayerRule::Gemm: return gemm(id, n);
      case LayerRule::MatMul: return matmul(id, n);
      case LayerRule::ConvTranspose:
      case LayerRule::Recurrent:
        // Weight layers whose filters this analysis does not follow: named, so that no layer is left out silently.
        out_.fixed_layers.emplace_back(id, strCat(op, ": filter pruning follows Conv, Gemm and MatMul layers only"));
        break;
      case LayerRule::None: break;
    }
    if (!any_tracked) return;
    // The op table's Flow column (lib/ir/ops.def).
    if (isChannelwiseOp(op)) return channelwise(id, n);
    if (isJoiningOp(op)) return joining(id, n);
    if (op == "Concat") return concat(n);
    if (op == "Flatten") return flatten(n);
    if (op == "Reshape") return reshape(id, n);
    if (op == "Softmax" || op == "LogSoftmax" || op == "Hardmax") return softmax(n);
    if (op.rfind("Reduce", 0) == 0 || op == "Squeeze" || op == "Unsqueeze") return axesOp(n);
    blockInputs(n, strCat("read by ", op, " '", nodeLabel(n), "', which dnnc cannot follow channel-wise"));
  }

  void conv(NodeId id, const onnx::NodeProto& n) {
    const ChannelLayout* in = n.input_size() ? layoutOf(n.input(0)) : nullptr;
    std::string label = nodeLabel(n);
    for (int k = 1; k < n.input_size(); ++k)
      if (const auto* l = layoutOf(n.input(k))) block(*l, strCat("used as a weight by Conv '", label, "'"));
    auto w = weightDims(n.input_size() > 1 ? n.input(1) : std::string());
    if (w.size() < 3 || !biasIsWeight(n, 2)) {
      if (in) block(*in, strCat("Conv '", label, "' has computed weights"));
      out_.fixed_layers.emplace_back(id, "computed weights");
      return;
    }
    int64_t group = attrInt(n, "group", 1);
    if (group == 1) {
      if (in) {
        if (in->axis != 1 || static_cast<int64_t>(in->atoms.size()) != w[1])
          block(*in, strCat("Conv '", label, "' reads ", w[1], " channels, the analysis tracked ", in->atoms.size()));
        else
          out_.uses.push_back({SliceRole::ConsumerConv, id, 1, 1, *in});
      }
      ChannelLayout o = newSource(id, w[0], 1, static_cast<int>(w.size()));
      out_.uses.push_back({SliceRole::SourceConv, id, 1, 0, o});
      setOutput(n, 0, std::move(o));
      return;
    }
    if (!in) {  // a grouped conv on channels no source produces
      out_.fixed_layers.emplace_back(id, strCat("grouped Conv (group=", group, ") on channels that are not pruned"));
      return;
    }
    auto channels = static_cast<int64_t>(in->atoms.size());
    if (w[1] == 1 && group == channels && in->axis == 1 && w[0] % channels == 0) {
      // Depthwise: output channel o reads input channel o / multiplier only.
      int64_t mult = w[0] / channels;
      ChannelLayout o{1, in->rank, {}};
      for (int32_t a : in->atoms)
        for (int64_t m = 0; m < mult; ++m) o.atoms.push_back(a);
      out_.uses.push_back({SliceRole::Depthwise, id, 1, 0, o});
      setOutput(n, 0, std::move(o));
      return;
    }
    block(*in, strCat("grouped Conv '", label, "' (group=", group, ") couples channels in blocks"));
    out_.fixed_layers.emplace_back(id, strCat("grouped Conv (group=", group, ") couples channels in blocks"));
  }

  void gemm(NodeId id, const onnx::NodeProto& n) {
    const ChannelLayout* in = n.input_size() ? layoutOf(n.input(0)) : nullptr;
    std::string label = nodeLabel(n);
    for (int k = 1; k < n.input_size(); ++k)
      if (const auto* l = layoutOf(n.input(k))) block(*l, strCat("used as a weight by Gemm '", label, "'"));
    auto b = weightDims(n.input_size() > 1 ? n.input(1) : std::string());
    bool trans_a = attrInt(n, "transA", 0) != 0, trans_b = attrInt(n, "transB", 0) != 0;
    if (b.size() != 2 || !biasIsWeight(n, 2)) {
      if (in) block(*in, strCat("Gemm '", label, "' has computed weights"));
      out_.fixed_layers.emplace_back(id, "computed weights");
      return;
    }
    int64_t k_in = trans_b ? b[1] : b[0], n_out = trans_b ? b[0] : b[1];
    if (in) {
      if (trans_a || in->axis != 1 || static_cast<int64_t>(in->atoms.size()) != k_in)
        block(*in, strCat("Gemm '", label, "' reads its input in another layout (transA or feature count ", k_in, ")"));
      else
        out_.uses.push_back({SliceRole::ConsumerGemm, id, 1, trans_b ? 1 : 0, *in});
    }
    ChannelLayout o = newSource(id, n_out, 1, 2);
    auto c = n.input_size() > 2 && !n.input(2).empty() ? weightDims(n.input(2)) : std::vector<int64_t>{};
    int64_t c_numel = product(c, 0);
    if (c_numel > 1 && c.back() != n_out) block(o, strCat("Gemm '", label, "' has a bias that does not run along its outputs"));
    out_.uses.push_back({SliceRole::SourceGemm, id, 1, trans_b ? 0 : 1, o});
    setOutput(n, 0, std::move(o));
  }

  void matmul(NodeId id, const onnx::NodeProto& n) {
    const ChannelLayout* in = n.input_size() ? layoutOf(n.input(0)) : nullptr;
    std::string label = nodeLabel(n);
    if (n.input_size() > 1)
      if (const auto* l = layoutOf(n.input(1))) block(*l, strCat("right operand of MatMul '", label, "'"));
    auto b = weightDims(n.input_size() > 1 ? n.input(1) : std::string());
    const ValueShape* out_shape = shapeOf(n.output(0));
    if (b.size() != 2) {
      if (in) block(*in, strCat("MatMul '", label, "' has no 2-D weight operand"));
      out_.fixed_layers.emplace_back(id, "no 2-D weight operand");
      return;
    }
    if (in) {
      if (in->rank < 2 || in->axis != in->rank - 1 || static_cast<int64_t>(in->atoms.size()) != b[0])
        block(*in, strCat("MatMul '", label, "' contracts another axis than the tracked channels"));
      else
        out_.uses.push_back({SliceRole::ConsumerMatMul, id, 1, 0, *in});
    }
    if (!out_shape || out_shape->dims.size() < 2) {  // unknown rank: not a source, and said so
      out_.fixed_layers.emplace_back(id, "the rank of its output is unknown");
      return;
    }
    int rank = static_cast<int>(out_shape->dims.size());
    ChannelLayout o = newSource(id, b[1], rank - 1, rank);
    out_.uses.push_back({SliceRole::SourceMatMul, id, 1, 1, o});
    setOutput(n, 0, std::move(o));
  }

  void channelwise(NodeId id, const onnx::NodeProto& n) {
    const ChannelLayout* in = layoutOf(n.input(0));
    std::string label = nodeLabel(n);
    for (int k = 1; k < n.input_size(); ++k)
      if (const auto* l = layoutOf(n.input(k))) block(*l, strCat("used as a parameter of ", n.op_type(), " '", label, "'"));
    if (!in) return;
    const std::string& op = n.op_type();
    if (op == "BatchNormalization" || op == "InstanceNormalization") {
      if (in->axis != 1) return block(*in, strCat(op, " '", label, "' normalises another axis than the channels"));
      int last = op == "BatchNormalization" ? 4 : 2;
      for (int k = 1; k <= last; ++k) {
        auto d = k < n.input_size() ? weightDims(n.input(k)) : std::vector<int64_t>{};
        if (d.size() != 1 || d[0] != static_cast<int64_t>(in->atoms.size()))
          return block(*in, strCat(op, " '", label, "' has computed or misshapen parameters"));
      }
      for (int k = 1; k < n.output_size(); ++k)
        if (!n.output(k).empty()) return block(*in, strCat(op, " '", label, "' is in training mode"));
      out_.uses.push_back({SliceRole::PerChannelParams, id, 1, 0, *in});
    }
    if (op == "MaxPool" && n.output_size() > 1 && !n.output(1).empty())
      return block(*in, strCat("MaxPool '", label, "' returns indices, which encode the channel count"));
    ChannelLayout o = *in;
    setOutput(n, 0, o);
    if (op == "Dropout" && n.output_size() > 1) setOutput(n, 1, o);
  }

  // Add/Sub/Mul/...: tracked operands are joined channel by channel; constants along the channel
  // axis are sliced with them; anything else that varies along the channels blocks the group.
  void joining(NodeId id, const onnx::NodeProto& n) {
    std::string label = nodeLabel(n);
    const ChannelLayout* first = nullptr;
    int out_rank = 0;
    for (const auto& in : n.input()) {
      const ValueShape* s = shapeOf(in);
      const ChannelLayout* l = layoutOf(in);
      int r = l && l->rank ? l->rank : s ? static_cast<int>(s->dims.size()) : -1;
      if (r < 0) return blockInputs(n, strCat(n.op_type(), " '", label, "' has an operand of unknown rank"));
      out_rank = std::max(out_rank, r);
      if (l && !first) first = l;
    }
    // The channel axis counted from the end, which broadcasting aligns.
    int from_end = first->rank - first->axis;
    for (int k = 0; k < n.input_size(); ++k) {
      const std::string& in = n.input(k);
      if (in.empty()) continue;
      if (const ChannelLayout* l = layoutOf(in)) {
        if (l->rank - l->axis != from_end || l->atoms.size() != first->atoms.size())
          return blockInputs(n, strCat(n.op_type(), " '", label, "' joins tensors whose channels do not line up"));
        continue;
      }
      const ValueShape* s = shapeOf(in);
      int axis = static_cast<int>(s->dims.size()) - from_end;
      if (axis < 0) continue;  // broadcast along the channels
      int64_t d = s->dims[static_cast<size_t>(axis)];
      if (d == 1) continue;
      if (d == static_cast<int64_t>(first->atoms.size()) && g_.isWeight(in)) {
        out_.uses.push_back({SliceRole::ChannelConstant, id, k, axis, *first});
        continue;
      }
      return blockInputs(n, strCat(n.op_type(), " '", label, "' joins the channels with '", in, "', whose channels cannot be pruned"));
    }
    for (const auto& in : n.input()) {
      const ChannelLayout* l = layoutOf(in);
      if (!l || l == first) continue;
      for (size_t i = 0; i < l->atoms.size(); ++i) {
        int32_t a = first->atoms[i], b = l->atoms[i];
        if ((a < 0) != (b < 0))
          return blockInputs(n, strCat(n.op_type(), " '", label, "' joins prunable channels with fixed ones"));
        if (a >= 0) join(a, b);
      }
    }
    ChannelLayout o = *first;
    o.rank = out_rank;
    o.axis = out_rank - from_end;
    setOutput(n, 0, std::move(o));
  }

  void concat(const onnx::NodeProto& n) {
    std::string label = nodeLabel(n);
    const ChannelLayout* first = nullptr;
    for (const auto& in : n.input())
      if (!first) first = layoutOf(in);
    int rank = first->rank;
    int64_t axis = attrInt(n, "axis", 1);
    if (rank <= 0) return blockInputs(n, strCat("Concat '", label, "' has inputs of unknown rank"));
    if (axis < 0) axis += rank;
    if (axis != first->axis) return blockInputs(n, strCat("Concat '", label, "' concatenates along another axis than the channels"));
    ChannelLayout o{first->axis, rank, {}};
    for (const auto& in : n.input()) {
      if (const ChannelLayout* l = layoutOf(in)) {
        if (l->axis != first->axis || l->rank != rank)
          return blockInputs(n, strCat("Concat '", label, "' mixes channel layouts"));
        o.atoms.insert(o.atoms.end(), l->atoms.begin(), l->atoms.end());
        continue;
      }
      const ValueShape* s = shapeOf(in);
      if (!s || static_cast<int>(s->dims.size()) != rank || s->dims[static_cast<size_t>(axis)] < 0)
        return blockInputs(n, strCat("Concat '", label, "' has an input '", in, "' with unknown channel count"));
      o.atoms.insert(o.atoms.end(), static_cast<size_t>(s->dims[static_cast<size_t>(axis)]), -1);
    }
    setOutput(n, 0, std::move(o));
  }

  // Every channel becomes a block of `inner` consecutive features (C x H x W -> C*H*W).
  static ChannelLayout expand(const ChannelLayout& in, int64_t inner, int rank) {
    ChannelLayout o{1, rank, {}};
    o.atoms.reserve(in.atoms.size() * static_cast<size_t>(inner));
    for (int32_t a : in.atoms)
      for (int64_t i = 0; i < inner; ++i) o.atoms.push_back(a);
    return o;
  }

  void flatten(const onnx::NodeProto& n) {
    const ChannelLayout* in = layoutOf(n.input(0));
    std::string label = nodeLabel(n);
    const ValueShape* s = shapeOf(n.input(0));
    int64_t axis = attrInt(n, "axis", 1);
    int rank = in->rank ? in->rank : s ? static_cast<int>(s->dims.size()) : 0;
    if (axis < 0) axis += rank;
    if (in->axis != 1 || axis != 1 || !s) return block(*in, strCat("Flatten '", label, "' folds the channels with another axis"));
    int64_t inner = product(s->dims, 2);
    if (inner <= 0) return block(*in, strCat("Flatten '", label, "' has unknown spatial dims"));
    setOutput(n, 0, expand(*in, inner, 2));
  }

  void reshape(NodeId id, const onnx::NodeProto& n) {
    const ChannelLayout* in = layoutOf(n.input(0));
    std::string label = nodeLabel(n);
    if (const auto* l = n.input_size() > 1 ? layoutOf(n.input(1)) : nullptr) block(*l, "used as a Reshape shape");
    const ValueShape* si = shapeOf(n.input(0));
    const ValueShape* so = shapeOf(n.output(0));
    auto target = n.input_size() > 1 ? weightDims(n.input(1)) : std::vector<int64_t>{};
    if (n.input_size() < 2 || !g_.isWeight(n.input(1)) || target.size() != 1)
      return block(*in, strCat("Reshape '", label, "' has a computed shape"));
    if (!si || !so || in->axis != 1 || si->dims.size() < 2 || so->dims.size() < 2)
      return block(*in, strCat("Reshape '", label, "' has unknown shapes"));
    auto channels = static_cast<int64_t>(in->atoms.size());
    int64_t inner = product(si->dims, 2);
    int64_t out1 = so->dims[1];
    bool batch_kept = si->dims[0] == so->dims[0] || si->dims[0] < 0 || so->dims[0] < 0;
    if (inner > 0 && batch_kept && so->dims.size() == 2 && out1 == channels * inner) {
      out_.uses.push_back({SliceRole::ReshapeShape, id, 1, 1, expand(*in, inner, 2), inner});
      return setOutput(n, 0, expand(*in, inner, 2));
    }
    if (inner > 0 && batch_kept && out1 == channels && product(so->dims, 2) == inner) {
      ChannelLayout o = *in;
      o.rank = static_cast<int>(so->dims.size());
      out_.uses.push_back({SliceRole::ReshapeShape, id, 1, 1, o, 1});
      return setOutput(n, 0, std::move(o));
    }
    block(*in, strCat("Reshape '", label, "' mixes the channel axis with others"));
  }

  void softmax(const onnx::NodeProto& n) {
    const ChannelLayout* in = layoutOf(n.input(0));
    int64_t axis = attrInt(n, "axis", -1);
    if (axis < 0) axis += in->rank;
    // Before opset 13 Softmax flattens from `axis` on, so any axis at or before the channels reads them.
    if (in->rank <= 0 || axis <= in->axis)
      return block(*in, strCat(n.op_type(), " '", nodeLabel(n), "' normalises over the channels"));
    setOutput(n, 0, *in);
  }

  // The axes a Reduce*/Squeeze/Unsqueeze works on, from its attribute or constant input 1; nullopt
  // when they cannot be known statically.
  std::optional<std::vector<int64_t>> axesOf(const onnx::NodeProto& n) const {
    if (const auto* a = findAttr(n, "axes")) return std::vector<int64_t>(a->ints().begin(), a->ints().end());
    if (n.input_size() < 2 || n.input(1).empty()) return std::vector<int64_t>{};
    if (!g_.isWeight(n.input(1))) return std::nullopt;
    auto t = g_.readWeight(n.input(1));
    if (!t || (t->dtype() != DType::Int64 && t->dtype() != DType::Int32)) return std::nullopt;
    std::vector<int64_t> axes;
    for (float v : t->toFloats()) axes.push_back(static_cast<int64_t>(v));
    return axes;
  }

  // Reductions and (un)squeezes over other axes keep the channels; the channel axis may move.
  void axesOp(const onnx::NodeProto& n) {
    const ChannelLayout* in = layoutOf(n.input(0));
    std::string label = nodeLabel(n);
    const std::string& op = n.op_type();
    auto axes = axesOf(n);
    if (!axes || in->rank <= 0) return block(*in, strCat(op, " '", label, "' has axes or a rank that are not known"));
    bool unsqueeze = op == "Unsqueeze";
    int rank_after = in->rank + (unsqueeze ? static_cast<int>(axes->size()) : 0);
    int ref_rank = unsqueeze ? rank_after : in->rank;
    std::set<int64_t> set;
    for (int64_t a : *axes) set.insert(a < 0 ? a + ref_rank : a);
    if (op == "Squeeze" && set.empty()) {  // squeezes every size-1 dim: read them from the shapes
      const ValueShape* s = shapeOf(n.input(0));
      if (!s) return block(*in, strCat("Squeeze '", label, "' has unknown shapes"));
      for (size_t i = 0; i < s->dims.size(); ++i)
        if (s->dims[i] == 1) set.insert(static_cast<int64_t>(i));
    }
    ChannelLayout o = *in;
    if (unsqueeze) {
      int pos = 0, seen = -1;
      for (; pos < rank_after; ++pos)
        if (!set.count(pos) && ++seen == in->axis) break;
      o.axis = pos;
      o.rank = rank_after;
      return setOutput(n, 0, std::move(o));
    }
    bool reduce = op != "Squeeze";
    if (reduce && set.empty() && attrInt(n, "noop_with_empty_axes", 0) == 0)
      return block(*in, strCat(op, " '", label, "' reduces over every axis"));
    if (set.count(in->axis)) return block(*in, strCat(op, " '", label, "' works on the channel axis"));
    if (!reduce || attrInt(n, "keepdims", 1) == 0) {
      int before = 0;
      for (int64_t a : set) before += a < in->axis;
      o.axis = in->axis - before;
      o.rank = in->rank - static_cast<int>(set.size());
    }
    setOutput(n, 0, std::move(o));
  }

  void finish() {
    auto atoms = static_cast<int32_t>(out_.atom_source_.size());
    for (int32_t a = 0; a < atoms; ++a) out_.class_parent_[a] = findClass(a);
    std::map<int, int> group_of_root;
    for (size_t s = 0; s < sources_.size(); ++s) {
      int root = findSource(static_cast<int>(s));
      auto [it, fresh] = group_of_root.emplace(root, static_cast<int>(out_.groups.size()));
      if (fresh) out_.groups.emplace_back();
      out_.groups[it->second].sources.push_back(sources_[s]);
    }
    out_.atom_group_.resize(static_cast<size_t>(atoms));
    for (int32_t a = 0; a < atoms; ++a) {
      int g = group_of_root.at(findSource(source_index_of_atom_[a]));
      out_.atom_group_[a] = g;
      if (out_.class_parent_[a] == a) out_.groups[g].classes.push_back(a);
    }
    for (const auto& use : out_.uses) {
      if (use.role != SliceRole::ConsumerConv && use.role != SliceRole::ConsumerGemm && use.role != SliceRole::ConsumerMatMul) continue;
      std::set<int> seen;
      for (int32_t a : use.layout.atoms)
        if (a >= 0 && seen.insert(out_.atom_group_[a]).second) {
          auto& c = out_.groups[out_.atom_group_[a]].consumers;
          if (std::find(c.begin(), c.end(), use.node) == c.end()) c.push_back(use.node);
        }
    }
    for (const auto& [atom, reason] : blocks_) {
      auto& g = out_.groups[out_.atom_group_[atom]];
      g.blocked = true;
      if (std::find(g.reasons.begin(), g.reasons.end(), reason) == g.reasons.end()) g.reasons.push_back(reason);
    }
  }
};

ChannelGroups analyzeChannelGroups(const Graph& graph, const ShapeMap& shapes) {
  return ChannelGroupBuilder(graph, shapes).build();
}

}  // namespace dnnc

namespace dnnc {

Expected<ChannelGroups> ChannelGroupsAnalysis::run(const Model& model, AnalysisManager& am) const {
  DNNC_ASSIGN(const ResolvedShapes* shapes, am.get(model, ShapeAnalysis{inputs}));
  // Graph indexes a mutable proto; the analysis only reads through it (no mutating method is called),
  // which saves copying every weight of the pipeline's model.
  const Graph graph(const_cast<onnx::GraphProto&>(model.graph()), model.base_dir.empty() ? "." : model.base_dir);
  return analyzeChannelGroups(graph, shapes->shapes);
}

}  // namespace dnnc
