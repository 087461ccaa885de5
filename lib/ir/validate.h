// Is a model a well-formed ONNX graph? Checked once, when a model is loaded, so that an invalid input is
// reported as such (exit 3, naming the node or value) instead of surfacing later as a failure of dnnc.
//
// Structure, in the main graph and in every subgraph (If/Loop/Scan bodies may read values of the
// graphs enclosing them):
//  - every value is defined once: graph inputs are unique, initializers are unique (one may share a
//    graph input's name: it is that input's default), and no node writes a value that is an input, an
//    initializer, another node's output or a value of an enclosing graph;
//  - every node input and every graph output is defined; graph outputs are listed once;
//  - the nodes form no cycle (counting the values a node's subgraphs read as inputs of that node).
// Nodes that are merely listed out of topological order are put in order (stably), as ONNX Runtime
// does when it loads such a model; onnx::checker alone would reject them.
//
// Then onnx::checker, on the graph as it is: external tensors are not read (their files were already
// checked by the tensor validation in onnx_io), nothing is copied. Where this ONNX release's checker is
// stricter than ONNX Runtime, dnnc follows the runtime: graph inputs and outputs may lack a type or
// shape, the graph may be unnamed, metadata keys may repeat; and a model newer than the checker (IR
// version or an ai.onnx / ai.onnx.ml opset it does not know) is not judged by it, only by the
// structural checks above.
#pragma once
#include <string>

#include "lib/ir/model.h"
#include "lib/support/error.h"

namespace dnnc {

// The load-time check: structure (putting out-of-order nodes in order), then onnx::checker.
// Errors are Exit::Input, one line, naming the node or value, e.g.
//   node 'n3' (Relu) reads 'x9', which no node, input or initializer defines
Status validateModel(Model& model);

// The same checks without changing the model (a node out of order is an error): what dnnc's own
// output must pass before it is saved. Errors are Exit::Input; callers that check dnnc's output
// report them as Exit::Internal.
Status checkModelStructure(const Model& model);

// onnx::checker as dnnc applies it (the relaxations above); base_dir resolves external data.
Status runOnnxChecker(const Model& model);

}  // namespace dnnc
