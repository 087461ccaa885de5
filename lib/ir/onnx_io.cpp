#include "lib/ir/onnx_io.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>

#include "lib/ir/external_data.h"
#include "lib/ir/model_file_parse.h"
#include "lib/ir/tensor.h"
#include "lib/ir/tensor_relocation.h"
#include "lib/ir/validate.h"
#include "lib/support/atomic_file.h"
#include "lib/support/sha256.h"

namespace dnnc {
namespace fs = std::filesystem;

namespace {

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

namespace {

Error notAModel(const std::string& source) {
  return Error(Exit::Input, "cannot load '", source, "': not an ONNX model (protobuf parse failed: truncated or not a ModelProto)");
}

// What a load checks once the protobuf is parsed.
Expected<Model> finishLoad(Model model) {
  const std::string& source = model.source;
  // Protobuf accepts many byte strings as a message made of unknown fields: require the essentials.
  if (!model.proto.has_graph() || model.proto.ir_version() <= 0)
    return Error(Exit::Input, "cannot load '", source, "': not an ONNX model (no ", model.proto.has_graph() ? "ir_version" : "graph", ")");
  Status st = validateTensors(model);
  if (st) st = validateModel(model);
  if (!st) return std::move(st).error().context(strCat("cannot load '", source, "': "));
  return model;
}

Expected<Model> parseStream(google::protobuf::io::ZeroCopyInputStream& raw, const std::string& source,
                            const std::string& base_dir) {
  Model model;
  model.source = source;
  model.base_dir = base_dir;
  google::protobuf::io::CodedInputStream coded(&raw);
  coded.SetTotalBytesLimit(INT32_MAX);
  if (!model.proto.ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage()) return notAModel(source);
  return finishLoad(std::move(model));
}

std::string baseDirOf(const std::string& path) {
  std::string base_dir = path == "-" ? std::string(".") : fs::path(path).parent_path().string();
  return base_dir.empty() ? "." : base_dir;
}

// A regular file, parsed from its descriptor as it is read.
Expected<Model> loadModelFile(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return Error(Exit::Input, "cannot read '", path, "': no such file");
  if (fs::is_directory(path, ec)) return Error(Exit::Input, "cannot read '", path, "': is a directory");
  const auto size = fs::file_size(path, ec);
  if (ec) return Error(Exit::Input, "cannot read '", path, "': ", ec.message());
  if (size == 0) return Error(Exit::Input, "cannot load '", path, "': empty file (expected an ONNX model)");
  if (size > static_cast<uintmax_t>(INT32_MAX))
    return Error(Exit::Input, "cannot load '", path, "': larger than protobuf's 2 GiB limit")
        .withHint("store the weights as external data");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error(Exit::Input, "cannot read '", path, "': ", std::strerror(errno));
  google::protobuf::io::FileInputStream raw(fd);
  raw.SetCloseOnDelete(true);
  // Large weights are read into strings of their final size (model_file_parse.h); what that walk does not
  // understand, protobuf parses (and names the error of).
  {
    Model direct;
    direct.source = path;
    direct.base_dir = baseDirOf(path);
    int read_errno = 0;
    switch (parseModelFileDirect(fd, size, direct.proto, read_errno)) {
      case DirectParse::Parsed: return finishLoad(std::move(direct));
      case DirectParse::ReadError: return Error(Exit::Input, "cannot read '", path, "': ", std::strerror(read_errno));
      case DirectParse::NotPlain: break;
    }
  }
  auto model = parseStream(raw, path, baseDirOf(path));
  if (!model && raw.GetErrno() != 0) return Error(Exit::Input, "cannot read '", path, "': ", std::strerror(raw.GetErrno()));
  return model;
}

}  // namespace

Expected<Model> parseModel(const std::string& bytes, const std::string& source, const std::string& base_dir) {
  if (bytes.empty()) return Error(Exit::Input, "cannot load '", source, "': empty file (expected an ONNX model)");
  google::protobuf::io::ArrayInputStream raw(bytes.data(), static_cast<int>(bytes.size()));
  return parseStream(raw, source, base_dir);
}

Expected<Model> loadModel(const std::string& path) {
  if (path != "-") return loadModelFile(path);
  DNNC_ASSIGN(std::string bytes, readFile(path));
  if (bytes.size() > static_cast<size_t>(INT32_MAX))
    return Error(Exit::Input, "cannot load '", path, "': larger than protobuf's 2 GiB limit")
        .withHint("store the weights as external data");
  return parseModel(bytes, path, baseDirOf(path));
}

Expected<LoadedModel> loadModelWithDigest(const std::string& path) {
  if (path == "-") {
    DNNC_ASSIGN(std::string bytes, readFile(path));
    if (bytes.size() > static_cast<size_t>(INT32_MAX))
      return Error(Exit::Input, "cannot load '", path, "': larger than protobuf's 2 GiB limit")
          .withHint("store the weights as external data");
    DNNC_ASSIGN(Model model, parseModel(bytes, path, baseDirOf(path)));
    return LoadedModel{std::move(model), sha256Hex(bytes), static_cast<int64_t>(bytes.size())};
  }
  DNNC_ASSIGN(Model model, loadModelFile(path));
  DNNC_ASSIGN(std::string digest, sha256FileHex(path));
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return LoadedModel{std::move(model), std::move(digest), static_cast<int64_t>(size)};
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

bool hasExternalTensors(const Model& model) {
  bool found = false;
  forEachTensor(const_cast<onnx::GraphProto&>(model.graph()), [&](onnx::TensorProto& t) { found = found || isExternal(t); });
  return found;
}

// Serializes straight into the file: no second copy of the weights in memory. Deterministic, as
// serializeModel, so the bytes are the same.
Status writeModelFile(const onnx::ModelProto& proto, const std::string& path) {
  return writeFileAtomic(path, [&](int fd) -> Status {
    google::protobuf::io::FileOutputStream raw(fd);
    bool ok;
    {
      google::protobuf::io::CodedOutputStream coded(&raw);
      coded.SetSerializationDeterministic(true);
      proto.SerializeToCodedStream(&coded);
      ok = !coded.HadError();
    }
    ok = raw.Flush() && ok;
    if (!ok) return Error(Exit::Output, "cannot write '", path, "': ", std::strerror(raw.GetErrno()));
    return {};
  });
}

}  // namespace

Status saveModel(const Model& input, const std::string& path, const SaveOptions& options) {
  if (options.external_data && path == "-") return Error(Exit::Usage, "--external-data needs an output file, not stdout");
  if (options.check) {
    Status st = checkModel(input);
    if (!st) return Error(Exit::Internal, "dnnc produced an invalid model (a bug in dnnc): ", st.error().message());
  }
  // What is written differs from the model in memory (tensors moved out to OUT.data, or external tensors
  // read in so that the output does not depend on the input's folder): the model is edited in place for
  // the time of the write and restored by `relocation`, so it stays logically const.
  Model& model = const_cast<Model&>(input);
  TensorRelocation relocation(model);
  if (options.external_data) {
    DNNC_TRY(relocation.externalize(path + ".data", fs::path(path).filename().string() + ".data",
                                    options.external_threshold_bytes));
  } else if (hasExternalTensors(model)) {
    DNNC_TRY(relocation.inlineExternal());
  }
  if (model.proto.ByteSizeLong() > static_cast<size_t>(INT32_MAX))
    return Error(Exit::Output, "cannot write '", path, "': the model is over protobuf's 2 GiB limit")
        .withHint("use --external-data");
  return writeModelFile(model.proto, path);
}

}  // namespace dnnc
