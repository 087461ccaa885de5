// prune-structured: remove whole filters (output channels) of Conv/Gemm/MatMul layers, or whole input
// channels of the layers that read them, so that tensors physically shrink (fewer params and MACs,
// faster in any runtime), unlike masks.
// Before: Conv(W[64,C,3,3]) -> BN(64) -> Relu -> Conv(W2[K,64,3,3])
// After:  Conv(W[32,C,3,3]) -> BN(32) -> Relu -> Conv(W2[K,32,3,3])     (sparsity=0.5)
// The channel dependency analysis (lib/analysis/channel_groups) decides what must shrink together:
// channels joined by a residual Add form one group pruned as a unit (ranked by the summed norms),
// Concat offsets indices per input, depthwise convs follow their input channels, Flatten/Reshape map a
// channel to a block of features (and hard-coded Reshape sizes are rewritten). Groups that reach a
// graph output or an op the analysis cannot follow are skipped with the reason in the report, so graph
// outputs keep their shapes.
// Params: sparsity (fraction of each group's channels to remove, in [0,1)), layer-sparsity
//   ('name=0.3,other*=0.6'), granularity=filter (rank by the producing layers' filters; names are the
//   producers) | channel (rank by the consuming layers' input-channel slices; names are the consumers),
//   criterion=l1|l2|obd, skip (comma-separated globs), round (keep channel counts multiples of N),
//   calib-samples (criterion=obd: samples of the calibration data for the Hessian diagonal).
// criterion=obd ranks a slice by its OBD saliency, the sum of h_kk w_k^2 / 2 over its weights, with the
// loss Hessian's diagonal from the cached train::HessianDiag analysis (LeCun, Denker, Solla 1989), on the
// command's --data.
// Ref: Li, Kadav, Durdanovic, Samet, Graf, "Pruning Filters for Efficient ConvNets", ICLR 2017 (L1);
//      He, Zhang, Sun, "Channel Pruning for Accelerating Very Deep Neural Networks", ICCV 2017.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "lib/analysis/channel_groups.h"
#include "lib/analysis/layer_names.h"
#include "lib/analysis/layer_table.h"
#include "lib/ir/graph.h"
#include "lib/ir/node.h"
#include "lib/ir/shapes.h"
#include "lib/pass/pass.h"
#include "passes/registry.h"
#include "lib/prune/magnitude.h"
#include "lib/support/glob.h"
#include "lib/train/hessian_diag.h"

namespace dnnc {

namespace {

// How a layer ranks its filters or channels: every weight element of a slice adds a term, and the
// slice's score is finish(sum of terms). L1 and L2 are built in. A saliency criterion (OBD:
// h_kk * w_k^2 / 2 with the Hessian diagonal of the same weight, looked up by weight name and flat
// index) implements this interface and is chosen in makeCriterion.
class SliceCriterion {
 public:
  virtual ~SliceCriterion() = default;
  virtual double term(const std::string& weight, size_t flat_index, float w) const = 0;
  virtual double finish(double sum) const { return sum; }
  // Whether a filter followed by a BatchNormalization is scored as fold-bn would scale it (see bnScale).
  virtual bool scalesByBatchNorm() const { return true; }
  // Whether the criterion can score this weight (a saliency needs its Hessian diagonal).
  virtual bool knows(const std::string& weight) const { return true; }
};

class L1Criterion : public SliceCriterion {
 public:
  double term(const std::string&, size_t, float w) const override { return std::abs(static_cast<double>(w)); }
};

class L2Criterion : public SliceCriterion {
 public:
  double term(const std::string&, size_t, float w) const override { return static_cast<double>(w) * w; }
  double finish(double sum) const override { return std::sqrt(sum); }
};

// OBD saliency h_kk w_k^2 / 2 per weight. The Hessian is taken with respect to the weight as stored, so
// a following BatchNormalization's scaling is already in it: no BN rescaling.
class ObdCriterion : public SliceCriterion {
 public:
  explicit ObdCriterion(const train::HessianDiag& h) : h_(h) {}
  double term(const std::string& weight, size_t flat_index, float w) const override {
    // Called for every weight element, a layer's in a row: look the diagonal up once per layer.
    if (!last_ || weight != last_name_) last_name_ = weight, last_ = h_.find(weight);
    return 0.5 * static_cast<double>((*last_)[flat_index]) * w * w;
  }
  bool scalesByBatchNorm() const override { return false; }
  bool knows(const std::string& weight) const override { return h_.find(weight) != nullptr; }

 private:
  const train::HessianDiag& h_;
  mutable std::string last_name_;
  mutable const std::vector<float>* last_ = nullptr;
};

std::unique_ptr<SliceCriterion> makeCriterion(const std::string& name) {
  if (name == "l2") return std::make_unique<L2Criterion>();
  return std::make_unique<L1Criterion>();
}

struct Options {
  std::optional<double> sparsity;
  std::vector<std::pair<std::string, double>> layer_sparsity;  // glob -> fraction, in the order given
  bool channel = false;                                         // granularity=channel
  std::string criterion = "l1";
  std::vector<std::string> skip;
  int64_t round = 1;
  int64_t calib_samples = 1000;  // criterion=obd
};

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    std::string item = s.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

Status checkFraction(double v, const std::string& what) {
  if (!(v >= 0.0 && v < 1.0))
    return Error(Exit::Usage, "prune-structured: ", what, " must be in [0,1), got ", formatDouble(v));
  return {};
}

struct PruneStructuredParams {
  std::optional<double> sparsity;
  std::optional<std::string> layer_sparsity, skip;
  std::string granularity, criterion;
  int64_t round = 1, calib_samples = 0;
  static const ParamFields<PruneStructuredParams>& fields();
};

Expected<Options> parseOptions(const PruneStructuredParams& p) {
  Options o;
  if (p.sparsity) {
    o.sparsity = *p.sparsity;
    DNNC_TRY(checkFraction(*o.sparsity, "sparsity"));
  }
  if (p.layer_sparsity) {
    DNNC_ASSIGN(o.layer_sparsity, parseLayerSparsity(*p.layer_sparsity));
    for (const auto& [name, v] : o.layer_sparsity) DNNC_TRY(checkFraction(v, strCat("layer-sparsity of '", name, "'")));
  }
  if (!o.sparsity && o.layer_sparsity.empty())
    return Error(Exit::Usage, "prune-structured: give sparsity=FRACTION or layer-sparsity='NAME=FRACTION,...'");
  o.channel = p.granularity == "channel";
  o.criterion = p.criterion;
  o.skip = splitList(p.skip.value_or(std::string()));
  o.round = p.round;
  o.calib_samples = p.calib_samples;
  if (o.calib_samples < 0) return Error(Exit::Usage, "prune-structured: calib-samples must be >= 0, got ", o.calib_samples);
  if (o.round < 1) return Error(Exit::Usage, "prune-structured: round must be at least 1, got ", o.round);
  return o;
}

// Every name the node's layer answers to (lib/analysis/layer_names.h).
std::vector<std::string> aliasesOf(const Graph& graph, NodeId id) {
  const auto& n = graph.node(id);
  return layerAliases(n, n.input_size() > 1 ? n.input(1) : "");
}

bool anyMatches(const std::string& pattern, const std::vector<std::string>& aliases) {
  return std::any_of(aliases.begin(), aliases.end(), [&](const std::string& a) { return globMatch(pattern, a); });
}

// A copy of t keeping only the given indices along axis (any dtype).
Tensor sliceAxis(const Tensor& t, int axis, const std::vector<int64_t>& keep) {
  std::vector<int64_t> dims = t.dims();
  auto outer = std::accumulate(dims.begin(), dims.begin() + axis, int64_t{1}, std::multiplies<>());
  auto inner = std::accumulate(dims.begin() + axis + 1, dims.end(), int64_t{1}, std::multiplies<>());
  int64_t n = dims[static_cast<size_t>(axis)];
  dims[static_cast<size_t>(axis)] = static_cast<int64_t>(keep.size());
  Tensor out(t.dtype(), dims);
  size_t row = static_cast<size_t>(inner) * dtypeSize(t.dtype());
  const std::byte* src = t.rawData();
  std::byte* dst = out.rawData();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k : keep) {
      std::copy_n(src + (static_cast<size_t>(o * n + k)) * row, row, dst);
      dst += row;
    }
  return out;
}

class PruneStructured : public Pass {
 public:
  explicit PruneStructured(Options o) : opt_(std::move(o)), criterion_(makeCriterion(opt_.criterion)) {}

  Expected<PreservedAnalyses> run(Model& model, PassContext& ctx) override {
    if (opt_.criterion == "obd") DNNC_TRY(useObd(model, ctx));
    DNNC_ASSIGN(const LayerTable* table_before, ctx.analyses.get(model, LayerTableAnalysis{ctx.input_shapes}));
    const LayerTable before = *table_before;
    DNNC_ASSIGN(const ChannelGroups* groups, ctx.analyses.get(model, ChannelGroupsAnalysis{ctx.input_shapes}));
    // A copy: once the graph is rewritten the cache is invalidated (below), and the groups still used.
    const ChannelGroups cg = *groups;
    Graph graph(model.graph(), model.base_dir);
    DNNC_TRY(checkNames(graph));

    for (const auto& [id, why] : cg.fixed_layers) ctx.log->skip(nodeLabel(graph.node(id)), why);
    std::vector<char> pruned(static_cast<size_t>(cg.atomCount()), 0);
    int64_t groups_pruned = 0, channels_before = 0, channels_removed = 0;
    for (const auto& group : cg.groups) {
      DNNC_ASSIGN(int64_t removed, planGroup(graph, cg, group, pruned, ctx));
      if (removed > 0) {
        ++groups_pruned;
        channels_before += static_cast<int64_t>(group.classes.size());
        channels_removed += removed;
      }
    }
    // A depthwise Conv follows the channels of the group it reads: named when that group stays whole.
    for (const auto& use : cg.uses) {
      if (use.role != SliceRole::Depthwise) continue;
      bool shrinks = false;
      for (int32_t a : use.layout.atoms) shrinks = shrinks || pruned[static_cast<size_t>(a)];
      if (!shrinks) ctx.log->skip(nodeLabel(graph.node(use.node)), "depthwise Conv on channels that are not pruned");
    }
    if (groups_pruned == 0) {
      ctx.log->summary = summary(cg, 0, 0, 0, before, before);
      // A target that no group can take is not reached: say so instead of writing the model unchanged.
      if (eligible_ == 0)
        return Error(Exit::Target, "prune-structured: no ", opt_.channel ? "channel" : "filter",
                     " group of this model can be pruned (", cg.groups.size(), " groups, each blocked or skipped: ",
                     firstReasons(*ctx.log), ")")
            .withHint("prune single weights instead (--granularity element), or see the skipped list with --json");
      return PreservedAnalyses::all();
    }
    for (const auto& use : cg.uses) DNNC_TRY(apply(graph, use, pruned));
    dropStaleValueInfo(graph, cg, pruned);
    ctx.analyses.invalidate(PreservedAnalyses::none());
    DNNC_ASSIGN(const LayerTable* after, ctx.analyses.get(model, LayerTableAnalysis{ctx.input_shapes}));
    ctx.log->summary = summary(cg, groups_pruned, channels_before, channels_removed, before, *after);
    return PreservedAnalyses::none();
  }

 private:
  Options opt_;
  std::unique_ptr<SliceCriterion> criterion_;
  int eligible_ = 0;  // groups not blocked, skipped or without consumers (counted by planGroup)

  // The first few skip reasons of the log, for an error message.
  static std::string firstReasons(const PassLog& log) {
    std::string out;
    size_t n = 0;
    for (const auto& s : log.skipped) {
      if (n++ == 3) return out + "; ...";
      out += (out.empty() ? "" : "; ") + s["node"].get<std::string>() + ": " + s["reason"].get<std::string>();
    }
    return out.empty() ? "no Conv, Gemm or MatMul layer" : out;
  }

  // criterion=obd: the Hessian diagonal of the model as it enters the pass, on the command's --data
  // (the first calib-samples of it).
  Status useObd(const Model& model, PassContext& ctx) {
    if (!ctx.calibration)
      return Error(Exit::Usage, "prune-structured: criterion=obd ranks by the loss Hessian on calibration data")
          .withHint("give --data X (dnnc prune --obd, or dnnc run --data X)");
    train::CalibrationSpec spec{ctx.calibration->data, ctx.calibration->limit};
    if (opt_.calib_samples > 0) spec.limit = spec.limit > 0 ? std::min(spec.limit, opt_.calib_samples) : opt_.calib_samples;
    DNNC_ASSIGN(const train::HessianDiag* h, train::hessianDiagAnalysis(model, ctx, spec));
    criterion_ = std::make_unique<ObdCriterion>(*h);
    return {};
  }

  // Names in layer-sparsity and skip must name nodes of this graph (globs must match at least one).
  Status checkNames(const Graph& graph) const {
    std::vector<std::string> patterns = opt_.skip;
    for (const auto& [name, v] : opt_.layer_sparsity) patterns.push_back(name);
    LayerSelector selector = LayerSelector::of(patterns, "prune-structured");
    std::vector<std::string> known;
    for (NodeId id : graph.nodes()) {
      auto aliases = aliasesOf(graph, id);
      selector.matches(aliases);
      known.insert(known.end(), aliases.begin(), aliases.end());
    }
    return selector.checkAllMatched(known, "");
  }

  std::vector<std::string> labels(const Graph& graph, const std::vector<NodeId>& ids) const {
    std::vector<std::string> out;
    for (NodeId id : ids) out.push_back(nodeLabel(graph.node(id)));
    return out;
  }

  // Chooses the classes of one group to remove; marks their atoms in `pruned`. Returns how many.
  Expected<int64_t> planGroup(const Graph& graph, const ChannelGroups& cg, const ChannelGroup& group,
                              std::vector<char>& pruned, PassContext& ctx) {
    std::vector<std::string> sources = labels(graph, group.sources);
    const std::vector<NodeId>& ranked = opt_.channel ? group.consumers : group.sources;
    // A group left alone names every source layer (each a node of the graph), the joined ones saying with what.
    auto skipGroup = [&](const std::string& why) {
      for (size_t i = 0; i < sources.size(); ++i)
        ctx.log->skip(sources[i], i == 0 ? why : strCat(why, " (its channels are joined with '", sources.front(), "')"));
    };
    if (group.blocked) {
      std::string why;
      for (const auto& r : group.reasons) why += (why.empty() ? "" : "; ") + r;
      skipGroup(why);
      return 0;
    }
    if (ranked.empty()) {
      skipGroup("no Conv, Gemm or MatMul reads these channels");
      return 0;
    }
    for (const auto& pat : opt_.skip)
      for (NodeId id : ranked)
        if (anyMatches(pat, aliasesOf(graph, id))) {
          skipGroup(strCat("'", nodeLabel(graph.node(id)), "' matches skip pattern '", pat, "'"));
          return 0;
        }
    ++eligible_;
    double sparsity = groupSparsity(graph, ranked);
    auto n = static_cast<int64_t>(group.classes.size());
    int64_t keep = keepCount(n, sparsity);
    if (keep >= n) return 0;

    DNNC_ASSIGN(std::vector<double> score, scoreClasses(graph, cg, group));
    std::vector<size_t> order(group.classes.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] < score[b]; });
    std::set<int32_t> drop;
    for (int64_t i = 0; i < n - keep; ++i) drop.insert(group.classes[order[static_cast<size_t>(i)]]);
    for (NodeId s : group.sources)
      for (int32_t a : cg.sourceAtoms(s))
        if (drop.count(cg.classOf(a))) pruned[static_cast<size_t>(a)] = 1;
    nlohmann::json details = {{"granularity", opt_.channel ? "channel" : "filter"},
                              {"criterion", opt_.criterion},
                              {"sparsity", sparsity},
                              {"channels_before", n},
                              {"channels_after", keep},
                              {"consumers", labels(graph, group.consumers)}};
    ctx.log->rewrite(opt_.channel ? "prune channels" : "prune filters", sources, details);
    return n - keep;
  }

  double groupSparsity(const Graph& graph, const std::vector<NodeId>& ids) const {
    std::optional<double> s;
    for (const auto& [pat, v] : opt_.layer_sparsity)
      for (NodeId id : ids)
        if (anyMatches(pat, aliasesOf(graph, id))) s = s ? std::min(*s, v) : v;  // several named layers: the gentlest wins
    return s ? *s : opt_.sparsity.value_or(0.0);
  }

  // Channels to keep out of n: at least one, and a multiple of `round` when one fits.
  int64_t keepCount(int64_t n, double sparsity) const {
    auto remove = static_cast<int64_t>(std::floor(sparsity * static_cast<double>(n) + 1e-9));
    int64_t keep = std::max<int64_t>(1, n - remove);
    if (opt_.round > 1) {
      int64_t up = (keep + opt_.round - 1) / opt_.round * opt_.round;
      keep = up <= n ? up : n;
    }
    return keep;
  }

  // The score of every class of the group (lower is pruned first): per layer, finish(sum of the
  // terms of the slices of that class), summed over the layers of the granularity.
  Expected<std::vector<double>> scoreClasses(const Graph& graph, const ChannelGroups& cg, const ChannelGroup& group) const {
    std::map<int32_t, size_t> index;
    for (size_t i = 0; i < group.classes.size(); ++i) index[group.classes[i]] = i;
    std::vector<double> score(group.classes.size(), 0.0);
    int gid = cg.groupOfAtom(group.classes.front());
    for (const auto& use : cg.uses) {
      bool source = use.role == SliceRole::SourceConv || use.role == SliceRole::SourceGemm || use.role == SliceRole::SourceMatMul;
      bool consumer = use.role == SliceRole::ConsumerConv || use.role == SliceRole::ConsumerGemm || use.role == SliceRole::ConsumerMatMul;
      if (opt_.channel ? !consumer : !source) continue;
      bool in_group = false;
      for (int32_t a : use.layout.atoms) in_group = in_group || (a >= 0 && cg.groupOfAtom(a) == gid);
      if (!in_group) continue;
      const std::string& wname = graph.node(use.node).input(use.input);
      if (!criterion_->knows(wname))
        return Error(Exit::Input, "prune-structured: no Hessian diagonal for '", wname, "' (not a trainable initializer)");
      DNNC_ASSIGN(Tensor w, graph.readWeight(wname));
      std::vector<float> v = w.toFloats();
      const auto& dims = w.dims();
      DNNC_ASSIGN(std::vector<float> bn, source && criterion_->scalesByBatchNorm()
                                             ? bnScale(graph, use.node, dims[static_cast<size_t>(use.axis)])
                                             : std::vector<float>{});
      auto outer = std::accumulate(dims.begin(), dims.begin() + use.axis, int64_t{1}, std::multiplies<>());
      auto inner = std::accumulate(dims.begin() + use.axis + 1, dims.end(), int64_t{1}, std::multiplies<>());
      int64_t n = dims[static_cast<size_t>(use.axis)];
      std::map<size_t, double> sums;  // class index -> sum of terms in this layer
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t k = 0; k < n; ++k) {
          int32_t a = use.layout.atoms[static_cast<size_t>(k)];
          if (a < 0 || cg.groupOfAtom(a) != gid) continue;
          size_t c = index.at(cg.classOf(a));
          size_t base = static_cast<size_t>((o * n + k) * inner);
          double s = 0;
          float f = bn.empty() ? 1.0f : bn[static_cast<size_t>(k)];
          for (int64_t i = 0; i < inner; ++i)
            s += criterion_->term(wname, base + static_cast<size_t>(i), f * v[base + static_cast<size_t>(i)]);
          sums[c] += s;
        }
      for (const auto& [c, s] : sums) score[c] += criterion_->finish(s);
    }
    return score;
  }

  // When a BatchNormalization directly follows a source, its output channel k is the filter scaled by
  // s_k = gamma_k / sqrt(var_k + eps) (as fold-bn would write it); the filter's own norm says little,
  // since BN renormalises it. Returns s, or nothing when no such BN follows.
  static Expected<std::vector<float>> bnScale(const Graph& graph, NodeId source, int64_t channels) {
    const std::string& out = graph.node(source).output(0);
    auto uses = graph.consumers(out);
    if (uses.size() != 1 || uses[0].input_index != 0 || graph.isGraphOutput(out)) return std::vector<float>{};
    const onnx::NodeProto& bn = graph.node(uses[0].node);
    if (bn.op_type() != "BatchNormalization" || bn.input_size() < 5 || !graph.isWeight(bn.input(1)) || !graph.isWeight(bn.input(4)))
      return std::vector<float>{};
    float eps = 1e-5f;
    for (const auto& a : bn.attribute())
      if (a.name() == "epsilon") eps = a.f();
    DNNC_ASSIGN(Tensor gamma, graph.readWeight(bn.input(1)));
    DNNC_ASSIGN(Tensor var, graph.readWeight(bn.input(4)));
    std::vector<float> g = gamma.toFloats(), v = var.toFloats(), s;
    if (static_cast<int64_t>(g.size()) != channels || v.size() != g.size()) return std::vector<float>{};
    for (size_t k = 0; k < g.size(); ++k) s.push_back(g[k] / std::sqrt(v[k] + eps));
    return s;
  }

  static std::vector<int64_t> kept(const ChannelLayout& layout, const std::vector<char>& pruned) {
    std::vector<int64_t> keep;
    for (size_t i = 0; i < layout.atoms.size(); ++i)
      if (layout.atoms[i] < 0 || !pruned[static_cast<size_t>(layout.atoms[i])]) keep.push_back(static_cast<int64_t>(i));
    return keep;
  }

  // Slices input k of a node along axis, in place when the node is the weight's only reader.
  static Status sliceInput(Graph& graph, NodeId id, int k, int axis, const std::vector<int64_t>& keep) {
    onnx::NodeProto& node = graph.node(id);
    if (k >= node.input_size() || node.input(k).empty()) return {};
    const std::string name = node.input(k);
    DNNC_ASSIGN(Tensor t, graph.readWeight(name));
    if (axis < 0) axis += t.rank();
    if (axis < 0 || axis >= t.rank() || t.dims()[static_cast<size_t>(axis)] == 1) return {};  // broadcast: nothing to cut
    Tensor cut = sliceAxis(t, axis, keep);
    if (graph.weightUseCount(name) <= 1 && !graph.isGraphInput(name)) {
      graph.setWeight(name, cut);
    } else {
      std::string fresh = graph.addInitializer(name + "_pruned", cut);
      graph.node(id).set_input(k, fresh);
      graph.reindex();
    }
    return {};
  }

  static void setGroupAttr(onnx::NodeProto& n, int64_t group) {
    for (auto& a : *n.mutable_attribute())
      if (a.name() == "group") return a.set_i(group);
    auto* a = n.add_attribute();
    a->set_name("group");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(group);
  }

  Status apply(Graph& graph, const ChannelUse& use, const std::vector<char>& pruned) const {
    std::vector<int64_t> keep = kept(use.layout, pruned);
    if (keep.size() == use.layout.atoms.size()) return {};
    switch (use.role) {
      case SliceRole::SourceConv:
        DNNC_TRY(sliceInput(graph, use.node, 1, 0, keep));
        return sliceInput(graph, use.node, 2, 0, keep);
      case SliceRole::SourceGemm:
        DNNC_TRY(sliceInput(graph, use.node, 1, use.axis, keep));
        return sliceInput(graph, use.node, 2, -1, keep);
      case SliceRole::SourceMatMul:
      case SliceRole::ConsumerConv:
      case SliceRole::ConsumerGemm:
      case SliceRole::ConsumerMatMul:
        return sliceInput(graph, use.node, 1, use.axis, keep);
      case SliceRole::Depthwise:
        DNNC_TRY(sliceInput(graph, use.node, 1, 0, keep));
        DNNC_TRY(sliceInput(graph, use.node, 2, 0, keep));
        {
          // group = input channels left = distinct kept atoms (each repeated `multiplier` times).
          std::set<int32_t> left;
          for (int64_t i : keep) left.insert(use.layout.atoms[static_cast<size_t>(i)]);
          setGroupAttr(graph.node(use.node), static_cast<int64_t>(left.size()));
        }
        return {};
      case SliceRole::PerChannelParams: {
        int last = graph.node(use.node).op_type() == "BatchNormalization" ? 4 : 2;
        for (int k = 1; k <= last; ++k) DNNC_TRY(sliceInput(graph, use.node, k, 0, keep));
        return {};
      }
      case SliceRole::ChannelConstant:
        return sliceInput(graph, use.node, use.input, use.axis, keep);
      case SliceRole::ReshapeShape: {
        onnx::NodeProto& node = graph.node(use.node);
        const std::string name = node.input(1);
        DNNC_ASSIGN(Tensor shape, graph.readWeight(name));
        if (shape.dtype() != DType::Int64 || shape.numel() <= use.axis) return {};
        if (shape.data<int64_t>()[use.axis] <= 0) return {};  // -1 (inferred) or 0 (copied) stay right
        shape.data<int64_t>()[use.axis] = static_cast<int64_t>(keep.size());
        if (graph.weightUseCount(name) <= 1 && !graph.isGraphInput(name)) {
          graph.setWeight(name, shape);
        } else {
          node.set_input(1, graph.addInitializer(name + "_pruned", shape));
          graph.reindex();
        }
        return {};
      }
    }
    return {};
  }

  // Declared shapes of shrunk intermediate values are now wrong: drop them (graph outputs never shrink).
  static void dropStaleValueInfo(Graph& graph, const ChannelGroups& cg, const std::vector<char>& pruned) {
    std::set<std::string> stale;
    for (const auto& [value, layout] : cg.layouts)
      if (kept(layout, pruned).size() != layout.atoms.size()) stale.insert(value);
    auto* vi = graph.proto().mutable_value_info();
    for (int i = vi->size() - 1; i >= 0; --i)
      if (stale.count(vi->Get(i).name())) vi->DeleteSubrange(i, 1);
  }

  static nlohmann::json summary(const ChannelGroups& cg, int64_t pruned_groups, int64_t channels_before,
                                int64_t channels_removed, const LayerTable& before, const LayerTable& after) {
    int64_t blocked = 0;
    for (const auto& g : cg.groups) blocked += g.blocked;
    return {{"groups", cg.groups.size()},
            {"groups_pruned", pruned_groups},
            {"groups_blocked", blocked},
            {"channels_before", channels_before},
            {"channels_removed", channels_removed},
            {"params_before", before.params},
            {"params_after", after.params},
            {"macs_before", before.macs},
            {"macs_after", after.macs}};
  }
};

}  // namespace

const ParamFields<PruneStructuredParams>& PruneStructuredParams::fields() {
  using P = PruneStructuredParams;
  static const auto f =
      ParamFields<P>()
          .field("sparsity", &P::sparsity, "", "fraction of each group's filters/channels to remove, in [0,1)")
          .field("layer-sparsity", &P::layer_sparsity, "",
                 "per-layer fractions 'NAME=F,GLOB=F' or a YAML/JSON file (override sparsity)")
          .field("granularity", &P::granularity, "filter",
                 "filter: rank producers' filters; channel: rank consumers' input channels", {"filter", "channel"})
          .field("criterion", &P::criterion, "l1",
                 "l1/l2 norm, or obd saliency (Hessian on --data), ranks filters/channels (lowest removed first)",
                 {"l1", "l2", "obd"})
          .field("skip", &P::skip, "", "comma-separated globs of layer names to leave alone")
          .field("round", &P::round, "1", "keep channel counts multiples of N")
          .field("calib-samples", &P::calib_samples, "1000", "criterion=obd: samples of --data for the Hessian diagonal (0: all)");
  return f;
}

Expected<std::unique_ptr<Pass>> createPruneStructured(const PruneStructuredParams& params) {
  DNNC_ASSIGN(Options o, parseOptions(params));
  return std::unique_ptr<Pass>(std::make_unique<PruneStructured>(std::move(o)));
}

DNNC_PASS_ENTRY(PruneStructured)

}  // namespace dnnc
