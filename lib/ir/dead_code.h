// Dead code: nodes no graph output depends on, and initializers no node reads. Uses inside subgraphs
// (If/Loop/Scan bodies reading outer values) count as uses; subgraphs themselves are not cleaned. Graph
// inputs are never removed: they are the model's interface. Shared by the dce pass and the rewrites that
// leave nodes behind (fold-shapes).
#pragma once
#include <string>
#include <vector>

#include "lib/ir/graph.h"

namespace dnnc {

// Erases (tombstones) every node the graph outputs do not depend on; returns their labels in graph order.
// Call graph.compact() afterwards.
std::vector<std::string> eraseDeadNodes(Graph& graph);

// Removes the initializers that no live node, graph output or subgraph reads; returns their names. With
// `among`, only unread ones named there: a rewrite removes what it replaced and leaves the rest alone.
std::vector<std::string> eraseUnusedInitializers(onnx::GraphProto& g, const Graph& graph,
                                                 const std::vector<std::string>* among = nullptr);

}  // namespace dnnc
