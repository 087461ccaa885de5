// External data: tensors stored outside the .onnx file (ONNX's `location`, `offset`, `length` keys),
// always relative to the model's folder. A location may never reach outside that folder.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lib/support/error.h"

namespace onnx {
class TensorProto;
}

namespace dnnc {

struct ExternalDataRef {
  std::string location;
  int64_t offset = 0;
  int64_t length = -1;  // -1: to the end of the file
};

bool isExternal(const onnx::TensorProto& proto);
Expected<ExternalDataRef> parseExternalData(const onnx::TensorProto& proto);

// The file a location names, after rejecting absolute paths, '..' components and symlinks
// that resolve outside base_dir.
Expected<std::string> resolveExternalPath(const std::string& base_dir, const std::string& location);

// Validates a reference fully: the path, and offset/length within the file's size.
Status validateExternalData(const onnx::TensorProto& proto, const std::string& base_dir);

// Reads exactly expected_bytes bytes of a validated reference.
Expected<std::vector<std::byte>> readExternalData(const onnx::TensorProto& proto, const std::string& base_dir,
                                                  size_t expected_bytes);

}  // namespace dnnc
