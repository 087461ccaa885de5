// Constant folding: evaluates the nodes whose inputs are all constants (initializers that are not graph
// inputs, or results folded before them) and stores their results as initializers, as onnxsim does. What
// it makes visible: weights an exporter computes in the graph (PyTorch's LSTM export slices and
// re-concatenates W and R into ONNX's gate order; Constant nodes; a Transpose of a weight).
// Left alone, by design: the compressed forms dnnc and others write (DequantizeLinear/QuantizeLinear,
// Gather lookups in stored float tables (codebooks, embeddings, position-bias tables), integer Casts that
// widen indices: folding them would undo the compression or add parameters, and any
// fold that would grow the model's bytes is refused for the same reason), random ops, nodes with
// subgraphs, other domains.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "lib/ir/graph.h"
#include "lib/ir/model.h"
#include "lib/support/error.h"

namespace dnnc {

struct ConstantFolding {
  std::vector<std::string> folded;                            // node labels, in graph order
  std::vector<std::pair<std::string, std::string>> skipped;  // node label, why it stayed
  std::vector<std::string> initializers_removed;              // read only by folded nodes
};

Expected<ConstantFolding> foldConstants(Model& model);

// Whether `value` is computed from stored constants only, by nodes foldConstants folds: a weight an export
// computes in the graph (the Transpose of a Linear's weight, an LSTM's re-ordered gates). False for a
// stored weight itself and for compressed forms.
bool foldsToConstant(const Graph& graph, const std::string& value);

}  // namespace dnnc
