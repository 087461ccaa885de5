// The op table against ONNX's own op schemas: every name is an ONNX op, and the executor never requires
// more inputs than the ONNX spec does at any opset (else it would refuse valid models).
#include <catch2/catch.hpp>
#include <onnx/defs/schema.h>

#include <string>

#include "lib/ir/op_traits.h"

using namespace dnnc;

namespace {
// Ops in the table newer than the ONNX release the tests build against (1.12: opset 17).
bool newerThanOnnx(std::string_view op) { return op == "Gelu" || op == "Mish"; }
constexpr int kMaxOpset = 17;
}  // namespace

TEST_CASE("every op in the table is an ONNX op of the default domain", "[op_traits]") {
  for (const OpTraits& t : opTable()) {
    const std::string op(t.name);
    if (newerThanOnnx(op)) continue;
    INFO(op);
    CHECK(onnx::OpSchemaRegistry::Schema(op, kMaxOpset, "") != nullptr);
  }
}

TEST_CASE("required inputs never exceed the ONNX schema's, and change where the schema does", "[op_traits]") {
  for (const OpTraits& t : opTable()) {
    const std::string op(t.name);
    if (newerThanOnnx(op)) continue;
    for (int opset = 1; opset <= kMaxOpset; ++opset) {
      const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(op, opset, "");
      if (!schema) continue;
      INFO(op << " at opset " << opset);
      CHECK(requiredInputs(op, opset) <= schema->min_input());
    }
    if (t.inputs_since > 1) {  // an input that became required: ONNX made it so at that opset
      INFO(op << " from opset " << t.inputs_since);
      const onnx::OpSchema* now = onnx::OpSchemaRegistry::Schema(op, int(t.inputs_since), "");
      const onnx::OpSchema* before = onnx::OpSchemaRegistry::Schema(op, int(t.inputs_since) - 1, "");
      REQUIRE(now);
      CHECK(now->since_version() == t.inputs_since);
      CHECK(now->min_input() == t.required_inputs);
      if (before) CHECK(before->min_input() < t.required_inputs);
    }
  }
}

TEST_CASE("lookups: listed ops, unknown ops, opset-dependent inputs", "[op_traits]") {
  CHECK(findOpTraits("Conv") != nullptr);
  CHECK(findOpTraits("Det") == nullptr);
  CHECK(layerRule("LSTM") == LayerRule::Recurrent);
  CHECK(layerRule("Relu") == LayerRule::None);
  CHECK(requiredInputs("Reshape", 4) == 1);  // Reshape-1 takes its shape as an attribute
  CHECK(requiredInputs("Reshape", 5) == 2);
  CHECK(requiredInputs("Det", 13) == 1);
}
