// Bad input: each case gets one line "dnnc: ...", the right exit code, no crash, and no output file.
#include <catch2/catch.hpp>
#include <filesystem>

#include "test/support/test_support.h"

using namespace dnnc::test;

namespace {

int lineCount(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

// The first stderr line is the error; a second may only be a hint.
void requireCleanError(const CommandResult& r, int code, const std::string& needle) {
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == code);
  CHECK(r.err.rfind("dnnc: ", 0) == 0);
  CHECK(r.err.find(needle) != std::string::npos);
  CHECK(lineCount(r.err) <= 2);
  if (lineCount(r.err) == 2) CHECK(r.err.find("\nhint: ") != std::string::npos);
  CHECK(r.out.empty());
}

std::string tinyModel() {
  return modelFromText(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[1, 4] x) => (float[1, 2] y) <float[2, 4] w = {1,2,3,4,5,6,7,8}> { y = Gemm <transB = 1> (x, w) })")
      .SerializeAsString();
}

}  // namespace

TEST_CASE("unreadable or non-ONNX inputs exit 3 with one line") {
  std::string dir = scratchDir("badinput");
  std::string good = tinyModel();
  writeBytes(dir + "/empty.onnx", "");
  writeBytes(dir + "/junk.onnx", std::string("\x89PNG\r\n\x1a\n not a model", 20));
  writeBytes(dir + "/truncated.onnx", good.substr(0, good.size() - 7));
  struct Case {
    std::string file, needle;
  };
  for (const auto& c : std::vector<Case>{{dir + "/missing.onnx", "no such file"},
                                         {dir + "/empty.onnx", "empty file"},
                                         {dir + "/junk.onnx", "not an ONNX model"},
                                         {dir + "/truncated.onnx", "not an ONNX model"},
                                         {dir, "is a directory"}}) {
    requireCleanError(runDnnc({"info", c.file}), 3, c.needle);
    requireCleanError(runDnnc({"run", c.file, "-o", dir + "/out.onnx", "--passes", "dce"}), 3, c.needle);
  }
  CHECK_FALSE(fileExists(dir + "/out.onnx"));
  CHECK(filesContaining(dir, ".tmp.").empty());
}

TEST_CASE("tensor data that does not match its dims exits 3") {
  std::string dir = scratchDir("baddims");
  auto make = [&](const std::string& name, auto mutate) {
    auto m = modelFromText(R"(
      <ir_version: 8, opset_import: ["" : 13]>
      g (float[1, 4] x) => (float[1, 2] y) <float[2, 4] w = {1,2,3,4,5,6,7,8}> { y = Gemm <transB = 1> (x, w) })");
    mutate(*m.mutable_graph()->mutable_initializer(0));
    writeBytes(dir + "/" + name, m.SerializeAsString());
    return dir + "/" + name;
  };
  auto short_raw = make("short.onnx", [](onnx::TensorProto& t) {
    t.clear_float_data();
    t.set_raw_data(std::string(12, '\0'));
  });
  auto huge = make("huge.onnx", [](onnx::TensorProto& t) {
    t.clear_dims();
    t.add_dims(int64_t{1} << 40);
  });
  auto negative = make("negative.onnx", [](onnx::TensorProto& t) { t.set_dims(0, -2); });
  requireCleanError(runDnnc({"info", short_raw}), 3, "raw_data holds 12 bytes");
  requireCleanError(runDnnc({"info", huge}), 3, "absurd dims");
  requireCleanError(runDnnc({"info", negative}), 3, "negative dimension");
  requireCleanError(runDnnc({"run", huge, "-o", dir + "/o.onnx", "--passes", "fold-bn"}), 3, "absurd dims");
  CHECK_FALSE(fileExists(dir + "/o.onnx"));
}

TEST_CASE("external data path traversal exits 3") {
  std::string dir = scratchDir("traversal");
  auto m = modelFromText(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[2] x) => (float[2] y) <float[2] b = {0, 0}> { y = Add (x, b) })");
  auto* t = m.mutable_graph()->mutable_initializer(0);
  t->clear_float_data();
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* e = t->add_external_data();
  e->set_key("location"), e->set_value("../../../../etc/passwd");
  writeBytes(dir + "/m.onnx", m.SerializeAsString());
  requireCleanError(runDnnc({"info", dir + "/m.onnx"}), 3, "contains '..'");
}

TEST_CASE("an unknown op passes through untouched") {
  std::string dir = scratchDir("unknownop");
  auto m = modelFromText(R"(
    <ir_version: 8, opset_import: ["" : 13, "com.vendor" : 1]>
    g (float[1, 4] x) => (float[1, 2] y) <float[2, 4] w = {1,2,3,4,5,6,7,8}>
    { h = com.vendor.FancyOp <mode = "fast"> (x)
      y = Gemm <transB = 1> (h, w) })");
  writeBytes(dir + "/in.onnx", m.SerializeAsString());
  auto info = runDnnc({"info", dir + "/in.onnx"});
  CHECK(info.exit_code == 0);
  auto r = runDnnc({"run", dir + "/in.onnx", "-o", dir + "/out.onnx", "--passes", "fold-bn,dce", "-q"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  onnx::ModelProto out;
  REQUIRE(out.ParseFromString(readBytes(dir + "/out.onnx")));
  REQUIRE(out.graph().node_size() == 2);
  CHECK(out.graph().node(0).domain() == "com.vendor");
  CHECK(out.graph().node(0).SerializeAsString() == m.graph().node(0).SerializeAsString());
}

TEST_CASE("an output equal to the input is refused without --force") {
  std::string dir = scratchDir("overwrite");
  std::string path = dir + "/m.onnx";
  writeBytes(path, tinyModel());
  std::string before = readBytes(path);
  requireCleanError(runDnnc({"run", path, "-o", path, "--passes", "dce"}), 2, "refusing to overwrite the input");
  requireCleanError(runDnnc({"run", path, "-o", dir + "/./m.onnx", "--passes", "dce"}), 2, "refusing to overwrite");
  CHECK(readBytes(path) == before);
  auto forced = runDnnc({"run", path, "-o", path, "--passes", "dce", "--force", "-q"});
  CHECK(forced.exit_code == 0);
}

TEST_CASE("usage errors exit 2 with a hint") {
  std::string dir = scratchDir("usage");
  writeBytes(dir + "/m.onnx", tinyModel());
  auto typo = runDnnc({"run", dir + "/m.onnx", "-o", dir + "/o.onnx", "--passes", "fold-nb"});
  requireCleanError(typo, 2, "unknown pass 'fold-nb'");
  CHECK(typo.err.find("did you mean 'fold-bn'?") != std::string::npos);
  requireCleanError(runDnnc({"run", dir + "/m.onnx", "-o", dir + "/o.onnx", "--passes", "dce(x=1"}), 2, "cannot parse pipeline");
  requireCleanError(runDnnc({"info"}), 2, "MODEL is required");
  requireCleanError(runDnnc({"frobnicate"}), 2, "frobnicate");
  CHECK_FALSE(fileExists(dir + "/o.onnx"));
}

TEST_CASE("an unwritable output exits 5 and leaves no temp file") {
  std::string dir = scratchDir("unwritable");
  writeBytes(dir + "/m.onnx", tinyModel());
  requireCleanError(runDnnc({"run", dir + "/m.onnx", "-o", dir + "/no/such/dir/o.onnx", "--passes", "dce"}), 5, "cannot write");
  CHECK(filesContaining(dir, ".tmp.").empty());
}

namespace {

// A graph from ONNX text with its nodes named in order (ONNX 1.12's text syntax has no node names).
std::string namedGraph(const std::string& graph, const std::vector<std::string>& names) {
  auto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>)" + graph);
  for (size_t i = 0; i < names.size(); ++i) m.mutable_graph()->mutable_node(static_cast<int>(i))->set_name(names[i]);
  return m.SerializeAsString();
}

// Class labels as an int64 .npy of shape [n].
void writeLabels(const std::string& path, const std::vector<int64_t>& labels) {
  std::string header = "{'descr': '<i8', 'fortran_order': False, 'shape': (" + std::to_string(labels.size()) + ",), }";
  header += std::string(64 - (10 + header.size() + 1) % 64, ' ') + "\n";
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  bytes += header;
  bytes.append(reinterpret_cast<const char*>(labels.data()), labels.size() * sizeof(int64_t));
  writeBytes(path, bytes);
}

}  // namespace

TEST_CASE("invalid graphs exit 3 naming the node or value, not blaming dnnc") {
  std::string dir = scratchDir("badgraph");
  struct Case {
    std::string file, graph;
    std::vector<std::string> names;
    std::string needle;
  };
  std::vector<Case> cases = {
      // The issue's cycle: the dead node makes dce rewrite the graph.
      {"cycle.onnx", "g (float[2] x) => (float[2] y) { a = Add (x, b)  b = Relu (a)  y = Relu (x)  d = Neg (x) }",
       {"n1", "n2", "n3", "dead"},
       "node 'n1' (Add) is on a cycle: it reads 'b' from node 'n2' (Relu), which reads 'a' from it"},
      {"dupout.onnx", "g (float[2] x) => (float[2] y) { h = Relu (x)  h = Neg (x)  y = Relu (h) }", {"n1", "n2", "n3"},
       "node 'n2' (Neg) writes 'h', which node 'n1' (Relu) also writes"},
      {"dupgraphout.onnx", "g (float[2] x) => (float[2] y, float[2] y) { y = Relu (x) }", {"n1"},
       "graph output 'y' is listed twice"},
      {"undefined.onnx", "g (float[2] x) => (float[2] y) { h = Relu (x)  y = Relu (x9) }", {"n1", "n3"},
       "node 'n3' (Relu) reads 'x9', which no node, input or initializer defines"},
      {"undefout.onnx", "g (float[2] x) => (float[2] y, float[2] z) { y = Relu (x) }", {"n1"},
       "graph output 'z' is not produced by any node, input or initializer"},
      {"checker.onnx", "g (float[2] x) => (float[2] y) { y = Relu <foo = 3> (x) }", {"n1"},
       "onnx::checker rejects node 'n1' (Relu): Unrecognized attribute: foo for operator Relu"},
  };
  for (const auto& c : cases) {
    writeBytes(dir + "/" + c.file, namedGraph(c.graph, c.names));
    INFO(c.file);
    requireCleanError(runDnnc({"info", dir + "/" + c.file}), 3, "dnnc: info: cannot load '" + dir + "/" + c.file + "': " + c.needle);
    requireCleanError(runDnnc({"run", dir + "/" + c.file, "-o", dir + "/out.onnx", "--passes", "dce"}), 3,
                      "dnnc: run: cannot load '" + dir + "/" + c.file + "': " + c.needle);
    CHECK_FALSE(fileExists(dir + "/out.onnx"));
  }
  CHECK(filesContaining(dir, ".tmp.").empty());
}

TEST_CASE("every command that reads a model refuses an invalid one with exit 3") {
  std::string dir = scratchDir("badgraph-all");
  std::string bad = dir + "/bad.onnx", out = dir + "/out";
  writeBytes(bad, namedGraph("g (float[1, 2] x) => (float[1, 2] y) { h = Relu (x)  y = Relu (x9) }", {"n1", "n3"}));
  std::string x = dir + "/x.npy", labels = dir + "/labels.npy";
  writeNpyFloat(x, {1, 2, 3, 4}, {2, 2});
  writeLabels(labels, {0, 1});
  const std::string needle = "cannot load '" + bad + "': node 'n3' (Relu) reads 'x9'";
  std::vector<std::vector<std::string>> commands = {
      {"info", bad},
      {"run", bad, "-o", out, "--passes", "dce"},
      {"prune", bad, "-o", out, "--sparsity", "0.5"},
      {"decompose", bad, "-o", out, "--method", "svd"},
      {"share", bad, "-o", out},
      {"quantize", bad, "-o", out},
      {"pack", bad, "-o", out},
      {"finetune", bad, "-o", out, "--data", x, "--labels", labels},
      {"adapt", bad, "-o", out, "--data", x, "--labels", labels},
      {"eval", bad, "--data", x, "--labels", labels},
      {"sensitivity", bad, "--data", x, "--labels", labels},
      {"stats", bad, "--data", x},
      {"infer", bad, "--data", x, "-o", out},
      {"energy", bad},
      {"compare", bad, bad, "--data", x},
      {"compress", bad, "-o", out, "--data", x, "--labels", labels, "--target", "size=2x", "--accuracy-budget", "1"},
  };
  for (const auto& args : commands) {
    INFO(args[0]);
    auto r = runDnnc(args);
    requireCleanError(r, 3, "dnnc: " + args[0] + ": ");
    CHECK(r.err.find(needle) != std::string::npos);
    CHECK_FALSE(fileExists(out));
    CHECK_FALSE(fileExists(out + ".onnx"));
  }
}

TEST_CASE("nodes merely out of order load, as in ONNX Runtime, and are saved in order") {
  std::string dir = scratchDir("outoforder");
  writeBytes(dir + "/in.onnx", namedGraph("g (float[2] x) => (float[2] y) { y = Relu (h)  h = Neg (x) }", {"n2", "n1"}));
  CHECK(runDnnc({"info", dir + "/in.onnx"}).exit_code == 0);
  auto r = runDnnc({"run", dir + "/in.onnx", "-o", dir + "/out.onnx", "--passes", "dce", "-q"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  onnx::ModelProto out;
  REQUIRE(out.ParseFromString(readBytes(dir + "/out.onnx")));
  REQUIRE(out.graph().node_size() == 2);
  CHECK(out.graph().node(0).name() == "n1");
  CHECK(out.graph().node(1).name() == "n2");
}
