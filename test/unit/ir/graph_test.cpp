#include <catch2/catch.hpp>

#include "lib/ir/graph.h"
#include "lib/ir/onnx_io.h"
#include "test/support/test_support.h"

using namespace dnnc;
using namespace dnnc::test;

namespace {
onnx::ModelProto chain() {
  return modelFromText(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[1, 4] x) => (float[1, 2] y) <float[2, 4] w = {1,2,3,4,5,6,7,8}>
    {
      c = Constant <value = float[2] {0.5, -0.5}> ()
      h = Gemm <transB = 1> (x, w, c)
      r = Relu (h)
      y = Identity (r)
    })");
}
}  // namespace

TEST_CASE("Graph indexes producers, consumers and both kinds of weights") {
  auto m = chain();
  Graph g(*m.mutable_graph());
  REQUIRE(g.producer("h").has_value());
  CHECK(g.node(*g.producer("h")).op_type() == "Gemm");
  CHECK(g.consumers("h").size() == 1);
  CHECK(g.consumers("x").size() == 1);
  CHECK(g.isWeight("w"));
  CHECK(g.isWeight("c"));  // a Constant node counts as a weight
  CHECK_FALSE(g.isWeight("x"));
  CHECK(g.readWeight("c")->toFloats() == std::vector<float>{0.5f, -0.5f});
  CHECK(g.isGraphOutput("y"));
  CHECK(g.uniqueName("h") != "h");
}

TEST_CASE("erase tombstones and compact restores a topological order") {
  auto m = chain();
  Graph g(*m.mutable_graph());
  // Remove Identity: y now comes straight from Relu.
  NodeId id = *g.producer("y");
  NodeId relu = *g.producer("r");
  g.erase(id);
  g.node(relu).set_output(0, "y");
  CHECK(g.erased(id));
  CHECK(g.nodeCount() == 4);
  // Add a node at the end that must run before Relu: compact has to move it.
  onnx::NodeProto neg;
  neg.set_op_type("Neg");
  neg.add_input("h");
  neg.add_output("hn");
  g.addNode(neg);
  g.node(relu).set_input(0, "hn");
  g.reindex();
  REQUIRE(g.compact().ok());
  CHECK(g.nodeCount() == 4);
  std::vector<std::string> ops;
  for (NodeId n : g.nodes()) ops.push_back(g.node(n).op_type());
  CHECK(ops == std::vector<std::string>{"Constant", "Gemm", "Neg", "Relu"});
  Model model;
  model.proto = m;
  CHECK(checkModel(model).ok());
}

TEST_CASE("setWeight rewrites an initializer or a Constant in place") {
  auto m = chain();
  Graph g(*m.mutable_graph());
  g.setWeight("c", Tensor::fromFloats(std::vector<float>{1, 2}, {2}));
  g.setWeight("w", Tensor::fromFloats(std::vector<float>(8, 0.0f), {2, 4}));
  CHECK(g.readWeight("c")->toFloats() == std::vector<float>{1, 2});
  CHECK(g.readWeight("w")->countNonzero() == 0);
  std::string fresh = g.addInitializer("w", Tensor::fromFloats(std::vector<float>{3}, {1}));
  CHECK(fresh != "w");
  CHECK(g.isWeight(fresh));
}
