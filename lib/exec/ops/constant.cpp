// Constant: folded when the executor is built (evalConstantNode); it never runs per call.
#include "lib/exec/ops/common.h"

namespace dnnc {

Expected<Tensor> evalConstantNode(const NodeInfo& info) {
  const auto& node = info.node();
  if (node.attribute_size() != 1) return info.error("expected exactly one value attribute, got ", node.attribute_size());
  const auto& a = node.attribute(0);
  if (a.name() == "value") {
    auto t = readTensor(a.t(), "");
    if (!t) return info.error(t.error().message());
    return std::move(*t);
  }
  if (a.name() == "value_float") return Tensor::fromFloats(std::vector<float>{a.f()}, {});
  if (a.name() == "value_floats") {
    std::vector<float> v(a.floats().begin(), a.floats().end());
    return Tensor::fromFloats(v, {static_cast<int64_t>(v.size())});
  }
  if (a.name() == "value_int" || a.name() == "value_ints") {
    std::vector<int64_t> v;
    if (a.name() == "value_int") v.push_back(a.i());
    else v.assign(a.ints().begin(), a.ints().end());
    Tensor t(DType::Int64, a.name() == "value_int" ? std::vector<int64_t>{} : std::vector<int64_t>{static_cast<int64_t>(v.size())});
    for (size_t i = 0; i < v.size(); ++i) t.data<int64_t>()[i] = v[i];
    return t;
  }
  return info.error("attribute '", a.name(), "' (strings, sparse tensors) is not supported");
}

namespace {
struct ConstantKernel {
  Tensor value;
  Status run(KernelContext& ctx) {
    Value& y = ctx.output(0, value.dtype(), value.dims());
    if (value.sizeBytes()) std::memcpy(y.data, value.rawData(), value.sizeBytes());
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeConstant(const NodeInfo& info) {
  DNNC_ASSIGN(Tensor t, evalConstantNode(info));
  return makeKernel(ConstantKernel{std::move(t)});
}

}  // namespace dnnc
