// The kernel interface: one class per ONNX op (lib/exec/ops/<op>.cpp), created once per node when the
// Executor is built (attributes parsed and checked there, so a bad model fails before any work), and
// run once per call with a KernelContext that hands out inputs and planned output buffers.
#pragma once
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "lib/exec/sparse_mode.h"
#include "lib/exec/value.h"
#include "lib/ir/tensor.h"
#include "lib/support/error.h"

namespace dnnc {

// What a kernel factory sees: the node, the opset, and the inputs known before running (initializers
// and Constant outputs).
class NodeInfo {
 public:
  NodeInfo(const onnx::NodeProto& node, int64_t opset, std::vector<const Tensor*> constants)
      : node_(node), opset_(opset), constants_(std::move(constants)) {}

  const onnx::NodeProto& node() const { return node_; }
  const std::string& op() const { return node_.op_type(); }
  int64_t opset() const { return opset_; }
  int numInputs() const { return node_.input_size(); }
  int numOutputs() const { return node_.output_size(); }
  bool hasInput(int i) const { return i < node_.input_size() && !node_.input(i).empty(); }
  // The input's value when known before running, else nullptr.
  const Tensor* constant(int i) const { return i < static_cast<int>(constants_.size()) ? constants_[i] : nullptr; }

  const onnx::AttributeProto* attr(const std::string& name) const;
  bool hasAttr(const std::string& name) const { return attr(name) != nullptr; }
  int64_t attrInt(const std::string& name, int64_t fallback) const;
  float attrFloat(const std::string& name, float fallback) const;
  std::string attrString(const std::string& name, const std::string& fallback) const;
  std::vector<int64_t> attrInts(const std::string& name) const;  // empty when absent
  std::vector<float> attrFloats(const std::string& name) const;

  // Error(Exit::Input, "<Op> node '<name>': ", args...).
  template <class... Args>
  Error error(const Args&... args) const { return Error(Exit::Input, where(), ": ", args...); }
  std::string where() const;

 private:
  const onnx::NodeProto& node_;
  int64_t opset_;
  std::vector<const Tensor*> constants_;
};

class ExecState;

// What a kernel sees while running.
class KernelContext {
 public:
  KernelContext(ExecState& state, int node) : state_(state), node_(node) {}

  int numInputs() const;
  bool hasInput(int i) const;
  const Value& input(int i) const;
  int numOutputs() const;
  // Whether anything reads output i; kernels may skip computing optional outputs nobody reads.
  bool wantsOutput(int i) const;

  // A fresh buffer for output i (contents undefined).
  Value& output(int i, DType dtype, std::span<const int64_t> dims);
  Value& output(int i, DType dtype, std::initializer_list<int64_t> dims) {
    return output(i, dtype, std::span<const int64_t>(dims.begin(), dims.size()));
  }
  // Output i written over input j when that is safe (j dies here, same byte size); else a fresh buffer.
  // The kernel must work either way (elementwise kernels reading and writing index k in step do).
  Value& outputInPlace(int i, int j, DType dtype, std::span<const int64_t> dims);
  // Output i is input j's data with new dims (no copy): Reshape, Flatten, Squeeze, Identity.
  Value& outputAlias(int i, int j, std::span<const int64_t> dims);
  Value& outputAlias(int i, int j, std::initializer_list<int64_t> dims) {
    return outputAlias(i, j, std::span<const int64_t>(dims.begin(), dims.size()));
  }

  // Whether this kernel may apply ReLU to output 0 itself: output 0's only reader is a Relu node and
  // nothing else sees the value (not fetched, no NodeObserver). A true answer records that the kernel
  // does so (it must then rectify output 0); the Relu passes the value through without a second pass.
  bool fuseRelu();
  // Whether input i was already rectified by its producer (see fuseRelu).
  bool inputRectified(int i) const;
  // The BatchNormalization that is output 0's only reader, as y = x * scale + shift per channel
  // (scale[0..C) then shift[C..2C)), when this kernel may apply it itself: the BN runs in inference mode
  // on constant parameters of `channels` channels, and output 0 is fetched by nobody (same conditions as
  // fuseRelu). A non-null answer records that the kernel does so (it must then write scale * y + shift);
  // the BatchNormalization passes the value through. Call before fuseRelu, which then looks past the BN.
  const float* fuseBatchNorm(int64_t channels);
  // Whether input i was already normalized by its producer (see fuseBatchNorm).
  bool inputNormalized(int i) const;
  // The bounds of the Clip that is output 0's only reader (past a BatchNormalization fuseBatchNorm took,
  // as fuseRelu looks), when this kernel may clamp output 0 to [lo, hi] itself: the Clip's bounds are
  // constants and nothing else sees the value (same conditions as fuseRelu). A true answer records that
  // the kernel does so; the Clip passes the value through (ReLU6 after a convolution costs no pass).
  bool fuseClip(float& lo, float& hi);
  // Whether input i was already clamped by its producer (see fuseClip).
  bool inputClipped(int i) const;
  // Whether this kernel, an activation f of input 0 (Sigmoid, HardSigmoid), may write x * f(x) instead:
  // output 0's only reader is a Mul of it by this node's own input x (SiLU, hard swish, as exported), and
  // nothing else sees the value (same conditions as fuseRelu). A true answer records that the kernel does
  // so; the Mul then passes the value through, and the gated activation costs one pass, not two.
  bool fuseGate();
  // Whether input i already holds x * f(x) (see fuseGate).
  bool inputGated(int i) const;

  // The executor's choice for pruned weights (ExecOptions::sparse).
  SparseMode sparseMode() const;
  // Records which implementation this node ran ("dense gemm", "csr", ...): Executor::kernelChoices().
  void noteKernel(const char* choice);

  // Per-call scratch memory, reused across nodes and calls. Valid until the next scratch() call.
  float* scratch(size_t floats);
  int threads() const;

  template <class... Args>
  Error error(const Args&... args) const { return Error(Exit::Input, where(), ": ", args...); }
  std::string where() const;

 private:
  ExecState& state_;
  int node_;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual Status run(KernelContext& ctx) = 0;
};

using KernelFactory = Expected<std::unique_ptr<Kernel>> (*)(const NodeInfo& info);

// The ops with a Kernel in the op table (lib/ir/ops.def). nullptr for ops dnnc cannot execute. (How many
// inputs an op requires: requiredInputs in lib/ir/op_traits.h, the same table.)
KernelFactory findKernel(const std::string& op_type);
// Every op the executor runs, sorted.
std::vector<std::string> supportedOps();
// Names the node's subgraphs (If branches) read from the enclosing scope, sorted. The executor appends
// them to the node's inputs after the declared ones, so that they are computed before the node runs and
// live until it has: KernelContext::input(numDeclared + k) is capture k.
std::vector<std::string> subgraphCaptures(const onnx::NodeProto& node);

// A kernel from a lambda-like class with a run(KernelContext&) member.
template <class K>
Expected<std::unique_ptr<Kernel>> makeKernel(K kernel) {
  struct Impl : Kernel {
    K k;
    explicit Impl(K kk) : k(std::move(kk)) {}
    Status run(KernelContext& ctx) override { return k.run(ctx); }
  };
  return std::unique_ptr<Kernel>(new Impl(std::move(kernel)));
}

}  // namespace dnnc
