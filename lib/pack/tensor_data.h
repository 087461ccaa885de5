// The data of one TensorProto as a flat array of fixed-width little-endian elements: what pack takes
// out of the protobuf and codes, and what unpack puts back, into the very field it came from, so the
// round trip is exact as a protobuf message.
#pragma once
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "lib/support/error.h"

namespace dnnc::pack {

// The TensorProto field that held the data.
enum class Field : uint8_t { Raw = 0, Float = 1, Int32 = 2, Int64 = 3, Double = 4, Uint64 = 5 };
inline constexpr uint8_t kFieldCount = 6;
const char* fieldName(Field f);

struct Layout {
  Field field = Field::Raw;
  unsigned width = 0;  // bytes per element: 1, 2, 4 or 8
  uint64_t count = 0;  // elements
  uint64_t bytes() const { return uint64_t(width) * count; }
};

// Where t's data is and its element layout, or nullopt when pack leaves t inside the protobuf
// (external data, strings, complex and 4/8-bit float types, data in more than one field, or
// lengths that do not match the dims).
std::optional<Layout> extractableLayout(const onnx::TensorProto& t);
// t's data where t holds it, as count * width little-endian bytes.
std::span<const uint8_t> dataBytes(const onnx::TensorProto& t, const Layout& layout);
// Clears the field and frees its storage (clear_raw_data and Clear keep the capacity).
void releaseData(onnx::TensorProto& t, const Layout& layout);
// The layout a section with this field must have for the stripped tensor t; errors (Exit::Input) for
// a field t's type cannot use, or t already holding data.
Expected<Layout> expectedLayout(const onnx::TensorProto& t, Field field);
// Puts bytes (layout.bytes() of them) back into t's field.
void putData(onnx::TensorProto& t, const Layout& layout, std::span<const uint8_t> bytes);

}  // namespace dnnc::pack
