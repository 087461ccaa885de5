#include "lib/ir/nonzero_count.h"

#include <cstring>

#include "lib/ir/external_data.h"
#include "lib/ir/tensor.h"

namespace dnnc {

std::optional<int64_t> countNonzeroInPlace(const onnx::TensorProto& proto) {
  if (proto.data_type() != onnx::TensorProto::FLOAT || !proto.has_raw_data() || proto.has_segment() || isExternal(proto))
    return std::nullopt;
  auto numel = protoNumel(proto);
  const std::string& raw = proto.raw_data();
  if (!numel || raw.size() != size_t(*numel) * sizeof(float)) return std::nullopt;
  int64_t n = 0;
  for (size_t i = 0; i < raw.size(); i += sizeof(float)) {
    float v;
    std::memcpy(&v, raw.data() + i, sizeof v);  // raw_data is little-endian, as the host (Tensor's reader checks)
    n += v != 0.0f;
  }
  return n;
}

}  // namespace dnnc
