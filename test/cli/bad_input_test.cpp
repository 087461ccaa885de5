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
