// Graph: indexes over a GraphProto (producer and consumers of every value, initializers and Constant
// weights by name) and the mutations passes need. Node ids are positions in the GraphProto's node list;
// erase() tombstones a node and compact() removes tombstones and restores topological order, once per pass.
#pragma once
#include <onnx/onnx_pb.h>

#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "lib/ir/tensor.h"
#include "lib/support/error.h"

namespace dnnc {

using NodeId = int;

struct Use {
  NodeId node;
  int input_index;
};

class Graph {
 public:
  // Indexes g; base_dir resolves external data. The GraphProto must outlive the Graph.
  explicit Graph(onnx::GraphProto& g, std::string base_dir = ".");

  onnx::GraphProto& proto() { return *g_; }
  const onnx::GraphProto& proto() const { return *g_; }
  const std::string& baseDir() const { return base_dir_; }

  // --- nodes ---
  int nodeCount() const { return g_->node_size(); }
  onnx::NodeProto& node(NodeId id) { return *g_->mutable_node(id); }
  const onnx::NodeProto& node(NodeId id) const { return g_->node(id); }
  bool erased(NodeId id) const { return erased_.count(id) > 0; }
  // Live node ids in the order the graph lists them (ONNX requires that to be topological).
  std::vector<NodeId> nodes() const;
  std::optional<NodeId> producer(const std::string& value) const;
  // Uses by live nodes (not counting subgraph captures or graph outputs).
  std::vector<Use> consumers(const std::string& value) const;
  bool isGraphOutput(const std::string& value) const;
  bool isGraphInput(const std::string& value) const;
  // Names a subgraph (If/Loop/Scan body) reads from this graph's scope.
  const std::set<std::string>& capturedBySubgraphs() const { return captured_; }

  // --- weights: initializers, or Constant nodes as some exporters write them ---
  bool isWeight(const std::string& value) const;
  // The TensorProto holding a weight's data, or nullptr.
  const onnx::TensorProto* weightProto(const std::string& value) const;
  Expected<Tensor> readWeight(const std::string& value) const;
  // Replaces a weight's values in place (initializer or Constant), keeping its name.
  void setWeight(const std::string& value, const Tensor& t);
  // The values of a float32 weight stored as raw_data, to edit where they are (no copy; external data is
  // read in first and stays inline), or an empty span when it is stored otherwise (another dtype, typed
  // fields). Values written
  // through it are stored exactly as setWeight would store them with the same dims; call
  // weightEditedInPlace(value) after editing.
  std::span<float> floatWeightInPlace(const std::string& value);
  void weightEditedInPlace(const std::string& value);
  // Adds an initializer with a fresh name derived from base; returns the name.
  std::string addInitializer(const std::string& base, const Tensor& t);
  // How many live nodes read this weight (weights can be shared).
  int weightUseCount(const std::string& value) const;

  // --- mutation ---
  NodeId addNode(onnx::NodeProto node);
  void erase(NodeId id);
  void replaceAllUses(const std::string& from, const std::string& to);
  std::string uniqueName(const std::string& base);
  // Drops tombstones, unused Constant/initializer bookkeeping stays; re-sorts topologically.
  Status compact();
  // Rebuilds every index from the proto (after edits made through proto() directly).
  void reindex();

 private:
  onnx::GraphProto* g_;
  std::string base_dir_;
  onnx::TensorProto* mutableWeightProto(const std::string& value);
  void syncDeclaredInputShape(const std::string& value, const std::vector<int64_t>& dims);

  std::map<std::string, NodeId> producer_;
  std::map<std::string, std::vector<Use>> consumers_;
  std::map<std::string, int> initializer_;   // name -> index in g_->initializer
  std::map<std::string, NodeId> constant_;   // name -> Constant node holding a tensor value
  std::set<std::string> graph_outputs_, graph_inputs_, captured_, names_;
  std::set<NodeId> erased_;
  int next_name_ = 0;
};

// Names read by a node's subgraphs that those subgraphs do not define themselves.
void collectCapturedNames(const onnx::GraphProto& g, std::set<std::string>& out);

}  // namespace dnnc
