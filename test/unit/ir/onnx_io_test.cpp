#include <google/protobuf/util/message_differencer.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "lib/ir/onnx_io.h"
#include "lib/ir/tensor.h"
#include "test/support/test_support.h"

using namespace dnnc;
using namespace dnnc::test;
namespace fs = std::filesystem;

namespace {

// A small model with a bit of everything a pass does not touch.
onnx::ModelProto richModel() {
  auto m = modelFromText(R"(
    <ir_version: 8, opset_import: ["" : 13, "com.example" : 1], producer_name: "dnnc-test", producer_version: "9",
     doc_string: "a model doc", model_version: 3>
    agraph (float[N, 4] x) => (float[N, 3] y) <float[3, 4] w = {1,2,3,4,5,6,7,8,9,10,11,12}>
    {
      h = Gemm <transB = 1> (x, w)
      z = com.example.Mystery <alpha = 2.5> (h)
      y = Relu (z)
    })");
  auto* meta = m.add_metadata_props();
  meta->set_key("author"), meta->set_value("someone");
  auto* vi = m.mutable_graph()->add_value_info();
  vi->set_name("h");
  vi->mutable_type()->mutable_tensor_type()->set_elem_type(1);
  m.mutable_graph()->mutable_node(0)->set_doc_string("the gemm");
  return m;
}

onnx::ModelProto externalModel(const std::string& location, int64_t offset, int64_t length) {
  auto m = modelFromText(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[2] x) => (float[2] y) <float[2] b = {0, 0}> { y = Add (x, b) })");
  auto* t = m.mutable_graph()->mutable_initializer(0);
  t->clear_float_data();
  t->clear_raw_data();
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  auto add = [&](const char* k, const std::string& v) {
    auto* e = t->add_external_data();
    e->set_key(k), e->set_value(v);
  };
  add("location", location);
  if (offset >= 0) add("offset", std::to_string(offset));
  if (length >= 0) add("length", std::to_string(length));
  return m;
}

}  // namespace

TEST_CASE("load then save yields a message equal to the input") {
  std::string dir = scratchDir("roundtrip");
  onnx::ModelProto original = richModel();
  writeBytes(dir + "/in.onnx", original.SerializeAsString());
  auto model = loadModel(dir + "/in.onnx");
  REQUIRE(model.ok());
  SaveOptions opts;
  opts.check = false;  // the custom-domain op has no schema; the round trip is what is tested here
  REQUIRE(saveModel(*model, dir + "/out.onnx", opts).ok());
  onnx::ModelProto back;
  REQUIRE(back.ParseFromString(readBytes(dir + "/out.onnx")));
  std::string diff;
  google::protobuf::util::MessageDifferencer differ;
  differ.ReportDifferencesToString(&diff);
  CHECK(differ.Compare(original, back));
  INFO(diff);
  CHECK(filesContaining(dir, ".tmp.").empty());
}

TEST_CASE("the bundled models round-trip exactly") {
  for (const char* name : {"lenet300.onnx", "lenet5.onnx", "rescnn.onnx"}) {
    if (!fileExists(testData(name))) WARN("missing fixture " << name);
    if (!fileExists(testData(name))) continue;
    auto model = loadModel(testData(name));
    REQUIRE(model.ok());
    std::string dir = scratchDir("bundled");
    REQUIRE(saveModel(*model, dir + "/out.onnx").ok());
    onnx::ModelProto in, out;
    REQUIRE(in.ParseFromString(readBytes(testData(name))));
    REQUIRE(out.ParseFromString(readBytes(dir + "/out.onnx")));
    CHECK(google::protobuf::util::MessageDifferencer::Equals(in, out));
  }
}

TEST_CASE("external data is read relative to the model's folder") {
  std::string dir = scratchDir("external");
  float values[4] = {9, 9, 1.5f, -2.0f};
  writeBytes(dir + "/weights.bin", std::string(reinterpret_cast<const char*>(values), sizeof values));
  writeBytes(dir + "/model.onnx", externalModel("weights.bin", 8, 8).SerializeAsString());
  auto model = loadModel(dir + "/model.onnx");
  REQUIRE(model.ok());
  auto t = readTensor(model->graph().initializer(0), model->base_dir);
  REQUIRE(t.ok());
  CHECK(t->toFloats() == std::vector<float>{1.5f, -2.0f});

  SECTION("saving inlines it, or writes it beside the output with --external-data") {
    std::string out_dir = scratchDir("external-out");
    REQUIRE(saveModel(*model, out_dir + "/inline.onnx").ok());
    auto inlined = loadModel(out_dir + "/inline.onnx");
    REQUIRE(inlined.ok());
    CHECK(readTensor(inlined->graph().initializer(0), inlined->base_dir)->toFloats() == std::vector<float>{1.5f, -2.0f});
    SaveOptions ext;
    ext.external_data = true;
    ext.external_threshold_bytes = 1;
    REQUIRE(saveModel(*model, out_dir + "/ext.onnx", ext).ok());
    CHECK(fileExists(out_dir + "/ext.onnx.data"));
    auto reloaded = loadModel(out_dir + "/ext.onnx");
    REQUIRE(reloaded.ok());
    CHECK(reloaded->graph().initializer(0).data_location() == onnx::TensorProto::EXTERNAL);
    CHECK(readTensor(reloaded->graph().initializer(0), reloaded->base_dir)->toFloats() == std::vector<float>{1.5f, -2.0f});
  }
}

TEST_CASE("unsafe or inconsistent external data is rejected with a clear error") {
  std::string root = scratchDir("external-bad");
  std::string dir = root + "/model";
  fs::create_directories(dir);
  writeBytes(root + "/secret.bin", std::string(8, 'x'));
  writeBytes(dir + "/w.bin", std::string(8, '\0'));
  ::symlink((root + "/secret.bin").c_str(), (dir + "/link.bin").c_str());
  struct Case {
    std::string location;
    int64_t offset, length;
    const char* expect;
  };
  std::vector<Case> cases = {
      {root + "/secret.bin", -1, -1, "is absolute"},
      {"../secret.bin", -1, -1, "contains '..'"},
      {"link.bin", -1, -1, "outside the model's folder"},
      {"w.bin", 16, -1, "past the end"},
      {"w.bin", 4, 8, "past the end"},
      {"missing.bin", -1, -1, "cannot open external data"},
  };
  for (const auto& c : cases) {
    writeBytes(dir + "/m.onnx", externalModel(c.location, c.offset, c.length).SerializeAsString());
    auto model = loadModel(dir + "/m.onnx");
    INFO(c.location);
    REQUIRE_FALSE(model.ok());
    CHECK(model.error().code() == Exit::Input);
    CHECK_THAT(model.error().message(), Catch::Contains(c.expect));
  }
}

TEST_CASE("non-models are rejected with one clear reason") {
  std::string dir = scratchDir("notonnx");
  writeBytes(dir + "/empty.onnx", "");
  writeBytes(dir + "/text.onnx", "this is not a model at all\n");
  std::string good = richModel().SerializeAsString();
  writeBytes(dir + "/truncated.onnx", good.substr(0, good.size() / 2));
  CHECK_THAT(loadModel(dir + "/empty.onnx").error().message(), Catch::Contains("empty file"));
  CHECK_THAT(loadModel(dir + "/text.onnx").error().message(), Catch::Contains("not an ONNX model"));
  CHECK_THAT(loadModel(dir + "/truncated.onnx").error().message(), Catch::Contains("not an ONNX model"));
  CHECK_THAT(loadModel(dir + "/nothing-here.onnx").error().message(), Catch::Contains("no such file"));
}
