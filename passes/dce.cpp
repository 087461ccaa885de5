// dce: remove nodes whose outputs nothing uses, then initializers no node reads.
// Before: nodes and weights left over by other rewrites. After: only what the graph outputs depend on.
// Uses inside subgraphs (If/Loop/Scan bodies reading outer values) count as uses; subgraphs themselves
// are not cleaned. Graph inputs are never removed: they are the model's interface.
#include <set>

#include "lib/ir/graph.h"
#include "lib/ir/node.h"
#include "lib/pass/pass.h"

namespace dnnc {

namespace {

class DeadCodeElimination : public Pass {
 public:
  Expected<PreservedAnalyses> run(Model& model, PassContext& ctx) override {
    Graph graph(model.graph(), model.base_dir);
    std::vector<std::string> removed_nodes = eraseDeadNodes(graph);
    DNNC_TRY(graph.compact());
    std::vector<std::string> removed_inits = eraseUnusedInitializers(model.graph(), graph);
    ctx.log->summary = {{"nodes_removed", removed_nodes.size()}, {"initializers_removed", removed_inits.size()}};
    if (!removed_nodes.empty()) ctx.log->rewrite("erase dead nodes", removed_nodes);
    if (!removed_inits.empty()) ctx.log->rewrite("erase unused initializers", removed_inits);
    if (removed_nodes.empty() && removed_inits.empty()) return PreservedAnalyses::all();
    return PreservedAnalyses::none();
  }

 private:
  // Walks back from the graph outputs; everything not reached is dead.
  static std::vector<std::string> eraseDeadNodes(Graph& graph) {
    std::set<std::string> live_values;
    for (const auto& o : graph.proto().output()) live_values.insert(o.name());
    for (const auto& c : graph.capturedBySubgraphs()) live_values.insert(c);
    std::vector<NodeId> order = graph.nodes();
    std::set<NodeId> live;
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      const auto& node = graph.node(*it);
      bool needed = false;
      for (const auto& o : node.output()) needed |= !o.empty() && live_values.count(o) > 0;
      if (!needed) continue;
      live.insert(*it);
      for (const auto& i : node.input()) live_values.insert(i);
    }
    std::vector<std::string> removed;
    for (NodeId id : order) {
      if (live.count(id)) continue;
      const auto& node = graph.node(id);
      removed.push_back(nodeLabel(node));
      graph.erase(id);
    }
    return removed;
  }

  static std::vector<std::string> eraseUnusedInitializers(onnx::GraphProto& g, const Graph& graph) {
    std::set<std::string> used(graph.capturedBySubgraphs().begin(), graph.capturedBySubgraphs().end());
    for (const auto& n : g.node())
      for (const auto& i : n.input()) used.insert(i);
    for (const auto& o : g.output()) used.insert(o.name());
    for (const auto& in : g.input()) used.insert(in.name());
    std::vector<std::string> removed;
    auto* inits = g.mutable_initializer();
    for (int i = inits->size() - 1; i >= 0; --i) {
      if (used.count(inits->Get(i).name())) continue;
      removed.insert(removed.begin(), inits->Get(i).name());
      inits->DeleteSubrange(i, 1);
    }
    return removed;
  }
};

}  // namespace

std::vector<ParamSpec> DeadCodeEliminationParams() { return {}; }
Expected<std::unique_ptr<Pass>> createDeadCodeElimination(const PassParams&) {
  return std::unique_ptr<Pass>(std::make_unique<DeadCodeElimination>());
}

}  // namespace dnnc
