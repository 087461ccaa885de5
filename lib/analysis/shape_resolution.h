// Shape resolution: the concrete shape of every tensor for given input shapes, including the shapes that
// ONNX shape inference alone cannot see (PyTorch writes channel shuffles, LRN, attention reshapes and
// Resize scales as small Shape/Gather/Concat/... subgraphs). Runs onnx shape inference, evaluates the
// shape-computing nodes whose inputs are known with the executor's kernels, folds their results in as
// constants, takes the branch of an If whose condition became known, and repeats to a fixed point.
//
// Symbolic dims of the graph inputs: `--input-shape name=dims` sets them; a symbolic leading (batch) dim
// defaults to `batch` (1 when 0); other unknown dims stay unknown and every shape that depends on them is
// unknown too (-1), never guessed.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lib/analysis/analysis_manager.h"
#include "lib/ir/model.h"
#include "lib/ir/shapes.h"
#include "lib/ir/tensor.h"
#include "lib/support/error.h"

namespace dnnc {

// What the user says about the graph inputs' shapes.
struct InputShapes {
  std::vector<std::pair<std::string, std::vector<int64_t>>> given;  // name -> dims, from --input-shape
  int64_t batch = 0;  // symbolic leading dim of every input; 0: 1

  // A stable text of the request, for caches and reports ("" when nothing was given).
  std::string key() const;
};

// Parses one `--input-shape` value: "name=1,3,224,224" (or "1,3,224,224" for a model's only input).
// Errors are Exit::Usage.
Expected<std::pair<std::string, std::vector<int64_t>>> parseInputShape(const std::string& text);

struct ResolvedShapes {
  ShapeMap shapes;
  // Graph inputs (not initializers) as resolved, in graph order; -1 where still unknown.
  std::vector<std::pair<std::string, std::vector<int64_t>>> inputs;
  int64_t batch = 1;  // the leading dim of the first input as resolved (the model's batch)
  // Values computed by folding (small integer tensors: shapes, indices, scales), by name.
  std::map<std::string, Tensor> folded;
  int folded_nodes = 0;  // shape-computing nodes evaluated
  int inlined_ifs = 0;   // If nodes replaced by their taken branch

  // Graph inputs with a dim still unknown, as "name [?,3,48,?]": where --input-shape would help.
  std::vector<std::string> unknownInputs() const;
};

// Fails (Exit::Usage) when `inputs` names a value that is not a graph input, or gives a shape that
// contradicts the model's static dims or rank. Never fails on what it cannot resolve: those values keep
// -1 dims (or are absent).
struct ResolveOptions {
  // Analyses take a symbolic batch as InputShapes::batch (1); a rewrite (fold-shapes) keeps it symbolic, so
  // nothing it folds depends on a batch size the model does not fix.
  bool substitute_batch = true;
};
Expected<ResolvedShapes> resolveShapes(const Model& model, const InputShapes& inputs = {},
                                       const ResolveOptions& options = {});

// The cached form: ctx.analyses.get(model, ShapeAnalysis{ctx.input_shapes}). Passes that change only
// weight values preserve it.
struct ShapeAnalysis {
  using Result = ResolvedShapes;
  InputShapes inputs;
  std::string key() const { return inputs.key(); }
  Expected<ResolvedShapes> run(const Model& model, AnalysisManager&) const { return resolveShapes(model, inputs); }
};

}  // namespace dnnc
