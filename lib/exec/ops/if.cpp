// If: runs then_branch or else_branch by a one-element bool condition and returns the taken branch's
// outputs. Each branch runs in an Executor of its own, built when this node is (so a branch with an op
// dnnc cannot run fails the model up front, naming it). Values a branch reads from the enclosing scope
// (captures) reach this kernel as extra inputs after the condition (see subgraphCaptures); in the
// branch they are graph inputs, or initializers when they are constants of the enclosing graph.
// torch writes If for rank checks whose condition is known only at run time (nn.LocalResponseNorm).
#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <set>

#include "lib/exec/executor.h"
#include "lib/exec/ops/common.h"
#include "lib/ir/graph.h"

namespace dnnc {
namespace {

struct Branch {
  Model model;
  std::vector<int> capture_inputs;  // this kernel's input index of each of the branch's graph inputs
  std::unique_ptr<Executor> exec;
};

struct IfKernel {
  std::shared_ptr<Branch> then_branch, else_branch;

  Status run(KernelContext& ctx) {
    const Value& c = ctx.input(0);
    if (c.numel() != 1) return ctx.error("the condition must hold one element, got ", dimsToString(c.dims));
    bool cond = false;
    if (c.dtype == DType::Bool) cond = *static_cast<const uint8_t*>(c.data) != 0;
    else if (dtypeSize(c.dtype) && c.dtype != DType::Float16 && c.dtype != DType::Bfloat16) cond = ops::scalarAsFloat(c) != 0;
    else return ctx.error("the condition must be bool, got ", dtypeName(c.dtype));
    Branch& b = cond ? *then_branch : *else_branch;
    if (b.exec->threads() != ctx.threads()) {  // built with one thread; rebuilt once for the caller's count
      auto exec = Executor::create(b.model, {.threads = ctx.threads(), .sparse = ctx.sparseMode()});
      if (!exec) return std::move(exec).error().context(ctx.where() + ": ");
      b.exec = std::move(*exec);
    }
    std::vector<Tensor> held;
    held.reserve(b.capture_inputs.size());
    for (int i : b.capture_inputs) held.push_back(ctx.input(i).toTensor());
    std::vector<const Tensor*> inputs;
    for (const Tensor& t : held) inputs.push_back(&t);
    auto outs = b.exec->run(inputs);
    Eigen::setNbThreads(ctx.threads());  // the branch's run set it for itself
    if (!outs) return std::move(outs).error().context(strCat(ctx.where(), ": ", cond ? "then" : "else", "_branch: "));
    if (static_cast<int>(outs->size()) != ctx.numOutputs())
      return ctx.error(cond ? "then" : "else", "_branch has ", outs->size(), " outputs, the node ", ctx.numOutputs());
    for (int k = 0; k < ctx.numOutputs(); ++k) {
      const Tensor& t = (*outs)[k];
      if (!ctx.wantsOutput(k)) continue;
      Value& y = ctx.output(k, t.dtype(), t.dims());
      if (t.sizeBytes()) std::memcpy(y.data, t.rawData(), t.sizeBytes());
    }
    return {};
  }
};

Expected<std::shared_ptr<Branch>> makeBranch(const NodeInfo& info, const char* name,
                                             const std::vector<std::string>& captures) {
  const onnx::AttributeProto* a = info.attr(name);
  if (!a || !a->has_g()) return info.error("missing the '", name, "' graph attribute");
  auto b = std::make_shared<Branch>();
  b->model.source = strCat(info.where(), " ", name);
  auto* opset = b->model.proto.add_opset_import();
  opset->set_domain("");
  opset->set_version(info.opset());
  b->model.proto.set_ir_version(8);
  onnx::GraphProto& g = *b->model.proto.mutable_graph();
  g = a->g();
  if (g.input_size() != 0) return info.error(name, " declares inputs; If branches take none");
  std::set<std::string> reads;
  collectCapturedNames(g, reads);
  for (const auto& name_read : reads) {
    auto it = std::find(captures.begin(), captures.end(), name_read);
    DNNC_CHECK(it != captures.end(), info.where(), ": capture '", name_read, "' not among the node's captures");
    const int input = info.numInputs() + static_cast<int>(it - captures.begin());
    if (const Tensor* t = info.constant(input)) {  // a constant of the enclosing graph stays one
      onnx::TensorProto* init = g.add_initializer();
      init->set_name(name_read);
      writeTensor(*t, *init);
      continue;
    }
    onnx::ValueInfoProto* in = g.add_input();
    in->set_name(name_read);
    in->mutable_type()->mutable_tensor_type()->set_elem_type(0);  // any type, any shape
    b->capture_inputs.push_back(input);
  }
  auto exec = Executor::create(b->model, {.threads = 1});
  if (!exec) return std::move(exec).error().context(strCat(info.where(), ": ", name, ": "));
  b->exec = std::move(*exec);
  return b;
}

}  // namespace

Expected<std::unique_ptr<Kernel>> makeIf(const NodeInfo& info) {
  const std::vector<std::string> captures = subgraphCaptures(info.node());
  IfKernel k;
  DNNC_ASSIGN(k.then_branch, makeBranch(info, "then_branch", captures));
  DNNC_ASSIGN(k.else_branch, makeBranch(info, "else_branch", captures));
  if (k.then_branch->model.graph().output_size() != info.numOutputs() ||
      k.else_branch->model.graph().output_size() != info.numOutputs())
    return info.error("the branches must each have the node's ", info.numOutputs(), " outputs");
  return makeKernel(std::move(k));
}

}  // namespace dnnc
