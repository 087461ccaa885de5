// dce: remove nodes whose outputs nothing uses, then initializers no node reads (lib/ir/dead_code.h).
// Before: nodes and weights left over by other rewrites. After: only what the graph outputs depend on.
// Uses inside subgraphs (If/Loop/Scan bodies reading outer values) count as uses; subgraphs themselves
// are not cleaned. Graph inputs are never removed: they are the model's interface.
#include "lib/ir/dead_code.h"
#include "lib/ir/graph.h"
#include "lib/pass/pass.h"
#include "passes/registry.h"

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
};

}  // namespace

using DeadCodeEliminationParams = NoParams;

Expected<std::unique_ptr<Pass>> createDeadCodeElimination(const NoParams&) {
  return std::unique_ptr<Pass>(std::make_unique<DeadCodeElimination>());
}

DNNC_PASS_ENTRY(DeadCodeElimination)

}  // namespace dnnc
