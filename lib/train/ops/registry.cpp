// Which ops have reverse rules: the Train column of the op table (lib/ir/ops.def).
#include "lib/train/ops/registry.h"

#include <algorithm>
#include <string_view>

namespace dnnc::train {

std::string dimsText(const std::vector<int64_t>& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? "," : "") + std::to_string(d[i]);
  return s + "]";
}

using Factory = Expected<std::unique_ptr<Op>> (*)(const onnx::NodeProto&, int64_t);

namespace {

// The ops with a Train rule in the op table (lib/ir/ops.def), sorted by name. Train(None) expands to
// makeNone: no entry.
constexpr Factory makeNone = nullptr;
struct Rule {
  std::string_view op;
  Factory factory;
};
constexpr Rule kAll[] = {
#define DNNC_TRAIN_Train(factory) make##factory
#define DNNC_OP(name, kernel, inputs, train, ...) {#name, DNNC_TRAIN_##train},
#include "lib/ir/ops.def"
#undef DNNC_OP
#undef DNNC_TRAIN_Train
};

const std::vector<Rule>& rules() {
  static const std::vector<Rule> trainable = [] {
    std::vector<Rule> r;
    for (const Rule& x : kAll)
      if (x.factory) r.push_back(x);
    return r;
  }();
  return trainable;
}

Factory findRule(std::string_view op) {
  const auto& r = rules();
  auto it = std::lower_bound(r.begin(), r.end(), op, [](const Rule& x, std::string_view name) { return x.op < name; });
  return it != r.end() && it->op == op ? it->factory : nullptr;
}

std::string trainableOps() {
  std::string list;
  for (const Rule& r : rules()) list += strCat(list.empty() ? "" : ", ", r.op);
  return list;
}

}  // namespace

Expected<std::unique_ptr<Op>> makeOp(const onnx::NodeProto& node, int64_t opset) {
  const std::string where = node.op_type() + " node '" + nodeLabel(node) + "'";
  Factory factory = isDefaultDomain(node) ? findRule(node.op_type()) : nullptr;
  if (!factory)
    return Error(Exit::Input, "no gradient for op '", node.op_type(), "' (", where, ")")
        .withHint("training supports " + trainableOps());
  DNNC_ASSIGN(auto op, factory(node, opset));
  op->where = where;
  return op;
}

}  // namespace dnnc::train
