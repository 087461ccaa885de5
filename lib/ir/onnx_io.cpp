#include "lib/ir/onnx_io.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <filesystem>
#include <functional>

#include "lib/ir/external_data.h"
#include "lib/ir/tensor.h"
#include "lib/ir/validate.h"
#include "lib/support/atomic_file.h"

namespace dnnc {
namespace fs = std::filesystem;

namespace {

// Visits every TensorProto that holds data in a graph: initializers and Constant values, in
// subgraphs too.
void forEachTensor(onnx::GraphProto& g, const std::function<void(onnx::TensorProto&)>& fn) {
  for (auto& t : *g.mutable_initializer()) fn(t);
  for (auto& node : *g.mutable_node()) {
    for (auto& attr : *node.mutable_attribute()) {
      if (attr.has_t()) fn(*attr.mutable_t());
      for (auto& t : *attr.mutable_tensors()) fn(t);
      if (attr.has_g()) forEachTensor(*attr.mutable_g(), fn);
      for (auto& sub : *attr.mutable_graphs()) forEachTensor(sub, fn);
    }
  }
}

Status validateTensors(Model& model) {
  Status result;
  forEachTensor(model.graph(), [&](onnx::TensorProto& t) {
    if (!result) return;
    Status st = validateTensorData(t, model.base_dir);
    if (!st) result = std::move(st);
  });
  return result;
}

}  // namespace

Expected<Model> parseModel(const std::string& bytes, const std::string& source, const std::string& base_dir) {
  if (bytes.empty()) return Error(Exit::Input, "cannot load '", source, "': empty file (expected an ONNX model)");
  Model model;
  model.source = source;
  model.base_dir = base_dir;
  google::protobuf::io::ArrayInputStream raw(bytes.data(), static_cast<int>(bytes.size()));
  google::protobuf::io::CodedInputStream coded(&raw);
  coded.SetTotalBytesLimit(INT32_MAX);
  if (!model.proto.ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage())
    return Error(Exit::Input, "cannot load '", source, "': not an ONNX model (protobuf parse failed: truncated or not a ModelProto)");
  // Protobuf accepts many byte strings as a message made of unknown fields: require the essentials.
  if (!model.proto.has_graph() || model.proto.ir_version() <= 0)
    return Error(Exit::Input, "cannot load '", source, "': not an ONNX model (no ", model.proto.has_graph() ? "ir_version" : "graph", ")");
  Status st = validateTensors(model);
  if (st) st = validateModel(model);
  if (!st) return std::move(st).error().context(strCat("cannot load '", source, "': "));
  return model;
}

Expected<Model> loadModel(const std::string& path) {
  DNNC_ASSIGN(std::string bytes, readFile(path));
  if (bytes.size() > static_cast<size_t>(INT32_MAX))
    return Error(Exit::Input, "cannot load '", path, "': larger than protobuf's 2 GiB limit")
        .withHint("store the weights as external data");
  std::string base_dir = path == "-" ? std::string(".") : fs::path(path).parent_path().string();
  if (base_dir.empty()) base_dir = ".";
  return parseModel(bytes, path, base_dir);
}

Status checkModel(const Model& model) {
  Status st = checkModelStructure(model);
  if (st) st = runOnnxChecker(model);
  if (!st) return Error(Exit::Internal, st.error().message());
  return {};
}

std::string serializeModel(const onnx::ModelProto& proto) {
  std::string out;
  google::protobuf::io::StringOutputStream raw(&out);
  google::protobuf::io::CodedOutputStream coded(&raw);
  coded.SetSerializationDeterministic(true);
  proto.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

namespace {

// Reads every external tensor into raw_data, so the output does not depend on the input's folder.
Status inlineExternalData(Model& model) {
  Status result;
  forEachTensor(model.graph(), [&](onnx::TensorProto& t) {
    if (!result || !isExternal(t)) return;
    auto tensor = readTensor(t, model.base_dir);
    if (!tensor) { result = std::move(tensor).error(); return; }
    writeTensor(*tensor, t);
  });
  return result;
}

// Moves large tensors to "<out>.data"; returns the bytes of that file.
std::string externalizeTensors(Model& model, const std::string& out_path, size_t threshold) {
  std::string blob;
  std::string location = fs::path(out_path).filename().string() + ".data";
  forEachTensor(model.graph(), [&](onnx::TensorProto& t) {
    if (!t.has_raw_data() || t.raw_data().size() < threshold) return;
    // Align each tensor to 64 bytes so readers can map it directly.
    while (blob.size() % 64) blob.push_back('\0');
    size_t offset = blob.size();
    blob += t.raw_data();
    t.clear_raw_data();
    t.set_data_location(onnx::TensorProto::EXTERNAL);
    auto add = [&](const char* k, const std::string& v) {
      auto* e = t.add_external_data();
      e->set_key(k);
      e->set_value(v);
    };
    add("location", location);
    add("offset", std::to_string(offset));
    add("length", std::to_string(blob.size() - offset));
  });
  return blob;
}

}  // namespace

Status saveModel(const Model& input, const std::string& path, const SaveOptions& options) {
  Model model = input;
  DNNC_TRY(inlineExternalData(model));
  if (options.check) {
    Status st = checkModel(model);
    if (!st) return Error(Exit::Internal, "dnnc produced an invalid model (a bug in dnnc): ", st.error().message());
  }
  if (options.external_data) {
    if (path == "-") return Error(Exit::Usage, "--external-data needs an output file, not stdout");
    std::string blob = externalizeTensors(model, path, options.external_threshold_bytes);
    DNNC_TRY(writeFileAtomic(path + ".data", blob));
  }
  if (model.proto.ByteSizeLong() > static_cast<size_t>(INT32_MAX))
    return Error(Exit::Output, "cannot write '", path, "': the model is over protobuf's 2 GiB limit")
        .withHint("use --external-data");
  return writeFileAtomic(path, serializeModel(model.proto));
}

}  // namespace dnnc
