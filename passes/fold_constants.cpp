// fold-constants: evaluate the nodes whose inputs are all constants into initializers (onnxsim's constant
// folding; lib/exec/constant_folding.h says what it leaves alone and why). Before: weights an export
// computes, e.g. PyTorch's LSTM W and R sliced and re-concatenated into ONNX's gate order. After: plain
// initializers that prune, share and quantize see, and the nodes that computed them gone.
// Params: none.
#include "lib/exec/constant_folding.h"
#include "lib/pass/pass.h"
#include "passes/registry.h"

namespace dnnc {

namespace {

class FoldConstants : public Pass {
 public:
  Expected<PreservedAnalyses> run(Model& model, PassContext& ctx) override {
    DNNC_ASSIGN(ConstantFolding r, foldConstants(model));
    for (const auto& [node, why] : r.skipped) ctx.log->skip(node, why);
    ctx.log->summary = {{"folded_nodes", r.folded.size()}, {"initializers_removed", r.initializers_removed.size()}};
    if (r.folded.empty()) return PreservedAnalyses::all();
    ctx.log->rewrite("fold into constants", r.folded);
    return PreservedAnalyses::none();
  }
};

}  // namespace

using FoldConstantsParams = NoParams;

Expected<std::unique_ptr<Pass>> createFoldConstants(const NoParams&) {
  return std::unique_ptr<Pass>(std::make_unique<FoldConstants>());
}

DNNC_PASS_ENTRY(FoldConstants)

}  // namespace dnnc
