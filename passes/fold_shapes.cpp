// fold-shapes: write the shape subgraphs an exporter leaves in the graph as the constants they compute, as
// onnxsim does. Before: Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains, If nodes on a rank check.
// After: Reshape(x, constant), the taken branch of each If inlined, and the dead nodes gone.
// Requires: nothing; symbolic input dims stay symbolic (what depends on them is left alone) unless the
// command's --input-shape fixes them, in which case the written model's inputs take those dims too.
// Params: none. Uses lib/analysis/shape_resolution's folding, evaluated with the executor's kernels.
#include <set>

#include "lib/analysis/shape_resolution.h"
#include "lib/ir/dead_code.h"
#include "lib/ir/graph.h"
#include "lib/ir/node.h"
#include "lib/pass/pass.h"
#include "passes/registry.h"

namespace dnnc {

namespace {

class FoldShapes : public Pass {
 public:
  Expected<PreservedAnalyses> run(Model& model, PassContext& ctx) override {
    DNNC_ASSIGN(ResolvedShapes r, resolveShapes(model, ctx.input_shapes, {.substitute_batch = false}));
    int inlined = 0;
    while (inlineIfs(model, r.folded, *ctx.log)) ++inlined;
    const int removed = foldNodes(model, r.folded, *ctx.log);
    if (!ctx.input_shapes.given.empty()) fixInputs(model, r);
    // Nodes that only fed what is now constant, and the initializers left unread.
    Graph graph(model.graph(), model.base_dir);
    const int dead = static_cast<int>(eraseDeadNodes(graph).size());
    DNNC_TRY(graph.compact());
    eraseUnusedInitializers(model.graph(), graph);
    ctx.log->summary = {{"folded_nodes", removed}, {"inlined_ifs", inlined}, {"dead_nodes", dead}};
    if (removed == 0 && inlined == 0 && dead == 0 && ctx.input_shapes.given.empty()) return PreservedAnalyses::all();
    return PreservedAnalyses::none();
  }

 private:
  // Inlines the first If whose condition is known; false when there is none left.
  static bool inlineIfs(Model& model, const std::map<std::string, Tensor>& folded, PassLog& log) {
    auto& nodes = *model.graph().mutable_node();
    for (int i = 0; i < nodes.size(); ++i) {
      const onnx::NodeProto& node = nodes.Get(i);
      if (node.op_type() != "If" || !isDefaultDomain(node) || node.input_size() < 1) continue;
      auto cond = folded.find(node.input(0));
      if (cond == folded.end() || cond->second.numel() != 1) continue;
      const bool then = cond->second.toFloats()[0] != 0;
      const onnx::AttributeProto* branch = findAttr(node, then ? "then_branch" : "else_branch");
      if (!branch || !branch->has_g() || branch->g().output_size() != node.output_size()) continue;
      onnx::GraphProto body = branch->g();
      onnx::NodeProto taken = node;
      google::protobuf::RepeatedPtrField<onnx::NodeProto> replacement;
      for (auto& n : *body.mutable_node()) *replacement.Add() = std::move(n);
      for (int k = 0; k < taken.output_size(); ++k) {
        onnx::NodeProto identity;
        identity.set_op_type("Identity");
        identity.set_name(nodeLabel(taken) + "/taken_branch_output_" + std::to_string(k));
        identity.add_input(body.output(k).name());
        identity.add_output(taken.output(k));
        *replacement.Add() = std::move(identity);
      }
      for (auto& t : *body.mutable_initializer()) *model.graph().add_initializer() = std::move(t);
      google::protobuf::RepeatedPtrField<onnx::NodeProto> rebuilt;
      for (int k = 0; k < nodes.size(); ++k) {
        if (k != i) {
          *rebuilt.Add() = std::move(*nodes.Mutable(k));
          continue;
        }
        for (auto& n : replacement) *rebuilt.Add() = std::move(n);
      }
      nodes = std::move(rebuilt);
      log.rewrite(strCat("inline the ", then ? "then" : "else", " branch of If"), {nodeLabel(taken)});
      return true;
    }
    return false;
  }

  // Nodes whose every output was folded become initializers; returns how many.
  static int foldNodes(Model& model, const std::map<std::string, Tensor>& folded, PassLog& log) {
    auto& g = model.graph();
    std::set<std::string> initializers;
    for (const auto& t : g.initializer()) initializers.insert(t.name());
    google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
    std::vector<std::string> names;
    for (auto& node : *g.mutable_node()) {
      bool all = node.output_size() > 0;
      for (const auto& o : node.output()) all = all && (o.empty() || folded.count(o));
      if (!all) {
        *kept.Add() = std::move(node);
        continue;
      }
      for (const auto& o : node.output()) {
        if (o.empty() || initializers.count(o)) continue;
        auto* t = g.add_initializer();
        writeTensor(folded.at(o), *t);
        t->set_name(o);
        initializers.insert(o);
      }
      names.push_back(nodeLabel(node));
    }
    *g.mutable_node() = std::move(kept);
    if (!names.empty()) log.rewrite("fold into constants", names);
    return static_cast<int>(names.size());
  }

  // The graph inputs take the dims the command's --input-shape gave.
  static void fixInputs(Model& model, const ResolvedShapes& r) {
    for (auto& vi : *model.graph().mutable_input())
      for (const auto& [name, dims] : r.inputs)
        if (vi.name() == name && vi.type().has_tensor_type()) {
          auto* shape = vi.mutable_type()->mutable_tensor_type()->mutable_shape();
          shape->clear_dim();
          for (int64_t d : dims) {
            auto* dim = shape->add_dim();
            if (d >= 0) dim->set_dim_value(d);
          }
        }
  }
};

}  // namespace

using FoldShapesParams = NoParams;

Expected<std::unique_ptr<Pass>> createFoldShapes(const NoParams&) {
  return std::unique_ptr<Pass>(std::make_unique<FoldShapes>());
}

DNNC_PASS_ENTRY(FoldShapes)

}  // namespace dnnc
