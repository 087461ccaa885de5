#include "lib/exec/evaluate_node.h"

#include <set>
#include <span>

#include "lib/exec/executor.h"

namespace dnnc {

Expected<std::vector<Tensor>> evaluateNode(const onnx::NodeProto& node, const std::map<std::string, Tensor>& known,
                                           const onnx::ModelProto& context) {
  Model mini;
  mini.proto.set_ir_version(context.ir_version());
  *mini.proto.mutable_opset_import() = context.opset_import();
  auto* g = mini.proto.mutable_graph();
  *g->add_node() = node;
  std::set<std::string> added;
  for (const auto& in : node.input()) {
    if (in.empty() || !added.insert(in).second) continue;
    auto it = known.find(in);
    if (it == known.end()) return Error(Exit::Internal, "evaluateNode: no value for input '", in, "'");
    auto* t = g->add_initializer();
    writeTensor(it->second, *t);
    t->set_name(in);
  }
  for (const auto& out : node.output())
    if (!out.empty()) g->add_output()->set_name(out);
  DNNC_ASSIGN(auto exec, Executor::create(mini, {.threads = 1}));
  return exec->run(std::span<const Tensor* const>{});
}

}  // namespace dnnc
