// Executor: forward inference of an ONNX graph on the CPU, float32 compute (int64 for shape tensors).
//
//   DNNC_ASSIGN(auto exec, Executor::create(model, {.threads = 2}));
//   DNNC_ASSIGN(auto outputs, exec->run({&input}));          // graph outputs, in graph order
//
// create() checks every node before any work: an op dnnc cannot run, or an attribute value it does not
// handle, is an Exit::Input error naming the op and the node. Buffers are planned once per input shape
// (and fetch list) from the lifetimes seen in the first run, then reused from one arena; intermediates
// die after their last reader. Initializers and Constant outputs are read once, at create(), and so are
// nodes whose inputs are all constants (a shared weight's Gather(codebook, indices), a dequantized or
// transposed weight): they run once there, their outputs become constants, and the constants only they
// read are freed (a fetch of one is a usage error).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "lib/exec/sparse_mode.h"
#include "lib/exec/value.h"
#include "lib/ir/model.h"
#include "lib/ir/tensor.h"
#include "lib/support/error.h"

namespace dnnc {

struct ExecOptions {
  int threads = 0;  // 0: all cores (OpenMP's default)
  // Pruned Conv/Gemm/MatMul weights (initializers with many zeros) run on CSR kernels where that is
  // faster (Auto: per layer, from the measured dense-vs-CSR crossover), never, or always.
  SparseMode sparse = SparseMode::Auto;
};

// A graph input or output as declared: dims of -1 are symbolic or unknown.
struct ValueInfo {
  std::string name;
  DType dtype = DType::Undefined;
  std::vector<int64_t> dims;
  bool has_shape = false;  // false: the model declares no shape at all
};

// Sees every node as it runs. Values are valid only during the call.
class NodeObserver {
 public:
  virtual ~NodeObserver() = default;
  // Before node `index` (graph order) runs; inputs[i] is nullptr for an absent optional input.
  virtual void beforeNode(int index, const onnx::NodeProto& node, std::span<const Value* const> inputs) {}
  // After it ran; outputs[i] is nullptr for an output the node did not produce. An observer may write
  // the output values in place (a simulation of approximate hardware: later nodes read what it wrote);
  // with an observer the executor fuses no nodes (a view, e.g. a Reshape's output, still shares its input's buffer).
  virtual void afterNode(int index, const onnx::NodeProto& node, std::span<const Value* const> outputs) {}
};

struct ExecRunOptions {
  // Values to return, by name: graph outputs, intermediates, inputs or initializers. Empty: the graph outputs.
  std::vector<std::string> fetch;
  NodeObserver* observer = nullptr;
  // When set: resized to the graph's node count and filled with each node's wall time in seconds (0 for
  // nodes not run, folded at build, or passed through after a producer fused them). Unlike an observer,
  // it leaves the fusions on, so it times what a plain run does.
  std::vector<double>* node_seconds = nullptr;
};

class Executor {
 public:
  static Expected<std::unique_ptr<Executor>> create(const Model& model, const ExecOptions& options = {});
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Graph inputs that are not initializers, in graph order: what run() takes.
  const std::vector<ValueInfo>& inputs() const;
  const std::vector<ValueInfo>& outputs() const;
  // Whether `name` is a value of the graph (input, initializer, node output).
  bool hasValue(const std::string& name) const;
  // Whether `name` is known before running (an initializer or a Constant output).
  bool isConstant(const std::string& name) const;
  // The graph's nodes (graph order, Constant nodes included; they are folded at create()), inputs and
  // outputs. Initializers are not kept here: the executor holds them as tensors.
  const onnx::GraphProto& graph() const;
  int threads() const;

  // inputs: one per inputs() entry, in that order; dtype and static dims are checked.
  // Returns the fetched values (ExecRunOptions::fetch, or the graph outputs) in order.
  Expected<std::vector<Tensor>> run(std::span<const Tensor* const> inputs, const ExecRunOptions& options = {});
  Expected<std::vector<Tensor>> run(std::initializer_list<const Tensor*> inputs, const ExecRunOptions& options = {}) {
    return run(std::span<const Tensor* const>(inputs.begin(), inputs.size()), options);
  }

  // Bytes of the planned arena for the last plan used (0 before the first run), for memory reports.
  size_t arenaBytes() const;
  // Bytes held by initializers and folded constants.
  size_t constantBytes() const;
  // For each node whose kernel chooses between implementations (Conv, Gemm, MatMul: "dense gemm",
  // "dense row", "csr"), its name and what it ran in the last run that reached it; graph order.
  std::vector<std::pair<std::string, std::string>> kernelChoices() const;

  class Impl;

 private:
  explicit Executor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dnnc
