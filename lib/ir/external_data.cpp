#include "lib/ir/external_data.h"

#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>

namespace dnnc {
namespace fs = std::filesystem;

bool isExternal(const onnx::TensorProto& proto) {
  return proto.has_data_location() && proto.data_location() == onnx::TensorProto::EXTERNAL;
}

static Expected<int64_t> parseInt(const std::string& key, const std::string& text, const std::string& tensor) {
  try {
    size_t used = 0;
    long long v = std::stoll(text, &used);
    if (used != text.size() || v < 0) throw std::invalid_argument(text);
    return static_cast<int64_t>(v);
  } catch (const std::exception&) {
    return Error(Exit::Input, "tensor '", tensor, "': external data ", key, " '", text,
                 "' is not a non-negative integer");
  }
}

Expected<ExternalDataRef> parseExternalData(const onnx::TensorProto& proto) {
  ExternalDataRef ref;
  for (const auto& kv : proto.external_data()) {
    if (kv.key() == "location") {
      ref.location = kv.value();
    } else if (kv.key() == "offset") {
      DNNC_ASSIGN(ref.offset, parseInt("offset", kv.value(), proto.name()));
    } else if (kv.key() == "length") {
      DNNC_ASSIGN(ref.length, parseInt("length", kv.value(), proto.name()));
    }
  }
  if (ref.location.empty())
    return Error(Exit::Input, "tensor '", proto.name(), "': external data has no 'location'");
  return ref;
}

Expected<std::string> resolveExternalPath(const std::string& base_dir, const std::string& location) {
  fs::path loc(location);
  if (loc.is_absolute())
    return Error(Exit::Input, "external data location '", location, "' is absolute (expected a path relative to the model's folder)");
  for (const auto& part : loc)
    if (part == "..")
      return Error(Exit::Input, "external data location '", location, "' contains '..' (expected a path inside the model's folder)");
  fs::path base = base_dir.empty() ? fs::path(".") : fs::path(base_dir);
  std::error_code ec;
  fs::path real_base = fs::canonical(base, ec);
  if (ec) return Error(Exit::Input, "cannot resolve the model folder '", base.string(), "': ", ec.message());
  fs::path full = base / loc;
  fs::path real = fs::canonical(full, ec);
  if (ec) return Error(Exit::Input, "cannot open external data '", full.string(), "': ", ec.message());
  // A symlink may point anywhere: what counts is where it resolves.
  auto rel = real.lexically_relative(real_base);
  if (rel.empty() || *rel.begin() == "..")
    return Error(Exit::Input, "external data location '", location, "' resolves to '", real.string(),
                 "', outside the model's folder");
  if (!fs::is_regular_file(real, ec))
    return Error(Exit::Input, "external data '", full.string(), "' is not a regular file");
  return real.string();
}

Status validateExternalData(const onnx::TensorProto& proto, const std::string& base_dir) {
  DNNC_ASSIGN(auto ref, parseExternalData(proto));
  DNNC_ASSIGN(auto path, resolveExternalPath(base_dir, ref.location));
  std::error_code ec;
  auto size = static_cast<int64_t>(fs::file_size(path, ec));
  if (ec) return Error(Exit::Input, "cannot stat external data '", path, "': ", ec.message());
  if (ref.offset > size)
    return Error(Exit::Input, "tensor '", proto.name(), "': external data offset ", ref.offset, " is past the end of '",
                 ref.location, "' (", size, " bytes)");
  if (ref.length >= 0 && ref.length > size - ref.offset)
    return Error(Exit::Input, "tensor '", proto.name(), "': external data offset ", ref.offset, " + length ", ref.length,
                 " is past the end of '", ref.location, "' (", size, " bytes)");
  return {};
}

Expected<std::vector<std::byte>> readExternalData(const onnx::TensorProto& proto, const std::string& base_dir,
                                                  size_t expected_bytes) {
  DNNC_TRY(validateExternalData(proto, base_dir));
  DNNC_ASSIGN(auto ref, parseExternalData(proto));
  DNNC_ASSIGN(auto path, resolveExternalPath(base_dir, ref.location));
  auto size = static_cast<int64_t>(fs::file_size(path));
  int64_t available = ref.length >= 0 ? ref.length : size - ref.offset;
  if (available != static_cast<int64_t>(expected_bytes))
    return Error(Exit::Input, "tensor '", proto.name(), "': external data holds ", available, " bytes, its dims need ",
                 expected_bytes);
  std::ifstream in(path, std::ios::binary);
  in.seekg(ref.offset);
  std::vector<std::byte> bytes(expected_bytes);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(expected_bytes));
  if (!in) return Error(Exit::Input, "cannot read external data '", path, "'");
  return bytes;
}

}  // namespace dnnc
