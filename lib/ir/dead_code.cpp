#include "lib/ir/dead_code.h"

#include <algorithm>
#include <set>

#include "lib/ir/node.h"

namespace dnnc {

std::vector<std::string> eraseDeadNodes(Graph& graph) {
  // Walks back from the graph outputs; everything not reached is dead.
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
    removed.push_back(nodeLabel(graph.node(id)));
    graph.erase(id);
  }
  return removed;
}

std::vector<std::string> eraseUnusedInitializers(onnx::GraphProto& g, const Graph& graph,
                                                 const std::vector<std::string>* among) {
  std::set<std::string> used(graph.capturedBySubgraphs().begin(), graph.capturedBySubgraphs().end());
  for (const auto& n : g.node())
    for (const auto& i : n.input()) used.insert(i);
  for (const auto& o : g.output()) used.insert(o.name());
  for (const auto& in : g.input()) used.insert(in.name());
  std::vector<std::string> removed;
  auto* inits = g.mutable_initializer();
  for (int i = inits->size() - 1; i >= 0; --i) {
    const std::string& name = inits->Get(i).name();
    if (used.count(name) || (among && std::find(among->begin(), among->end(), name) == among->end())) continue;
    removed.insert(removed.begin(), inits->Get(i).name());
    inits->DeleteSubrange(i, 1);
  }
  return removed;
}

}  // namespace dnnc
