// Channel dependency analysis for structured (filter/channel) pruning.
//
// Every output channel of a producing Conv, Gemm or MatMul (a "source") is an atom. Atoms flow along
// tensors: through BatchNormalization, elementwise activations, pools, Dropout/Identity, reductions
// and (un)squeezes over other axes, depthwise
// convs (which couple their input and output channels), Flatten/Reshape (each channel becomes a
// block of H*W features) and Concat (which offsets the channel indices per input), into the input
// channels of consuming Conv/Gemm/MatMul nodes. A residual Add (or Sub/Mul/... of same-shape
// operands) joins the atoms of its operands position by position into one class: a class is the unit
// that is pruned, and the sources linked by such joins form one dependency group that is pruned
// together. Anything the analysis cannot follow channel-wise (graph outputs, unknown ops, Softmax
// over channels, Reshapes that mix channels, grouped convs, ...) blocks the groups that reach it,
// with a reason; a blocked group is left alone, never half-pruned.
//
// The analysis only describes; passes/prune_structured.cpp ranks classes and rewrites tensors.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lib/ir/graph.h"
#include "lib/analysis/analysis_manager.h"
#include "lib/analysis/shape_resolution.h"
#include "lib/ir/shapes.h"

namespace dnnc {

// The channels of one tensor along `axis`: atoms[i] is the atom id of channel/feature i, or -1 for
// a channel that comes from outside every source and is never pruned (a Concat with a graph input).
struct ChannelLayout {
  int axis = 1;
  int rank = 0;  // rank of the tensor, 0 when unknown
  std::vector<int32_t> atoms;
};

// A node whose weight must be sliced when atoms are removed.
enum class SliceRole {
  SourceConv,       // Conv output filters: weight axis 0, bias axis 0
  SourceGemm,       // Gemm outputs: B axis 1 (axis 0 with transB), C along its last axis
  SourceMatMul,     // MatMul outputs: B (2-D) axis 1
  ConsumerConv,     // Conv input channels: weight axis 1
  ConsumerGemm,     // Gemm input features: B axis 0 (axis 1 with transB)
  ConsumerMatMul,   // MatMul input features: B (2-D) axis 0
  Depthwise,        // depthwise Conv: weight axis 0 and bias follow the output layout; group = channels
  PerChannelParams, // BatchNormalization / InstanceNormalization: inputs 1.. along axis 0
  ChannelConstant,  // a weight operand of an elementwise op that varies along the channel axis
  ReshapeShape,     // a Reshape whose shape constant hard-codes the channel (or feature) count
};

struct ChannelUse {
  SliceRole role;
  NodeId node;
  int input = 1;                // the input holding the weight to slice (ChannelConstant, ReshapeShape)
  int axis = 0;                 // ChannelConstant: the axis of the weight to slice; ReshapeShape: dim index
  ChannelLayout layout;         // the channels as this use sees them (output layout for sources)
  int64_t block = 1;            // ReshapeShape: features per channel position (H*W) — informational
};

struct ChannelGroup {
  std::vector<NodeId> sources;    // producing Conv/Gemm/MatMul nodes, graph order
  std::vector<NodeId> consumers;  // Conv/Gemm/MatMul nodes reading these channels (not depthwise)
  std::vector<int32_t> classes;   // class ids (see ChannelGroups::classOf), ascending
  bool blocked = false;
  std::vector<std::string> reasons;  // why it is blocked, first reason first
};

class ChannelGroups {
 public:
  std::vector<ChannelGroup> groups;  // in graph order of their first source
  std::vector<ChannelUse> uses;      // every weight to slice, in graph order
  std::map<std::string, ChannelLayout> layouts;  // tracked values -> their channels
  // Conv/Gemm/MatMul nodes whose own filters cannot be pruned (computed weights, grouped convs), why.
  std::vector<std::pair<NodeId, std::string>> fixed_layers;

  int32_t atomCount() const { return static_cast<int32_t>(atom_source_.size()); }
  // The class an atom belongs to (atoms joined by Add share a class).
  int32_t classOf(int32_t atom) const;
  // The group index of an atom's class.
  int groupOfAtom(int32_t atom) const;
  NodeId sourceOfAtom(int32_t atom) const { return atom_source_[static_cast<size_t>(atom)]; }
  // The atoms of a source's outputs, channel order.
  const std::vector<int32_t>& sourceAtoms(NodeId source) const { return source_atoms_.at(source); }

 private:
  friend class ChannelGroupBuilder;
  std::vector<NodeId> atom_source_;
  std::vector<int32_t> class_parent_;
  std::vector<int> atom_group_;
  std::map<NodeId, std::vector<int32_t>> source_atoms_;
};

// Analyses a graph (weights read through it, shapes from inferShapes). Never fails on odd graphs:
// what it cannot follow is blocked with a reason.
ChannelGroups analyzeChannelGroups(const Graph& graph, const ShapeMap& shapes);

// The channel groups of the pipeline's model behind the AnalysisManager (node ids index the model's
// graph in order, as a Graph over it does). Shapes come from ShapeAnalysis with the same inputs.
struct ChannelGroupsAnalysis {
  using Result = ChannelGroups;
  InputShapes inputs;
  std::string key() const { return inputs.key(); }
  Expected<ChannelGroups> run(const Model& model, AnalysisManager& am) const;
};


}  // namespace dnnc
