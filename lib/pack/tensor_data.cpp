#include "lib/pack/tensor_data.h"

#include <bit>
#include <cstring>

#include "lib/ir/dtype.h"
#include "lib/ir/tensor.h"
#include "lib/support/check.h"

namespace dnnc::pack {

namespace {

using TP = onnx::TensorProto;

// How many data fields hold anything.
int filledFields(const TP& t) {
  return int(t.has_raw_data()) + int(t.float_data_size() > 0) + int(t.int32_data_size() > 0) + int(t.int64_data_size() > 0) +
         int(t.double_data_size() > 0) + int(t.uint64_data_size() > 0) + int(t.string_data_size() > 0);
}

// The typed field an ONNX data type uses, and its element width there.
std::optional<Layout> typedLayout(int data_type) {
  switch (data_type) {
    case TP::FLOAT: return Layout{Field::Float, 4, 0};
    case TP::INT32: case TP::INT16: case TP::INT8: case TP::UINT16: case TP::UINT8: case TP::BOOL:
    case TP::FLOAT16: case TP::BFLOAT16:
      return Layout{Field::Int32, 4, 0};
    case TP::INT64: return Layout{Field::Int64, 8, 0};
    case TP::DOUBLE: return Layout{Field::Double, 8, 0};
    case TP::UINT32: case TP::UINT64: return Layout{Field::Uint64, 8, 0};
    default: return std::nullopt;
  }
}

template <class R>
std::span<const uint8_t> bytesOf(const R& field) {  // little-endian hosts only (checked below)
  return {reinterpret_cast<const uint8_t*>(field.data()), size_t(field.size()) * sizeof(*field.data())};
}

template <class R>
void release(R* field) {
  R empty;
  field->Swap(&empty);
}

template <class T, class R>
void putRepeated(R* field, std::span<const uint8_t> bytes) {
  size_t n = bytes.size() / sizeof(T);
  field->Resize(int(n), T{});
  if (n) std::memcpy(field->mutable_data(), bytes.data(), bytes.size());
}

}  // namespace

const char* fieldName(Field f) {
  switch (f) {
    case Field::Raw: return "raw_data";
    case Field::Float: return "float_data";
    case Field::Int32: return "int32_data";
    case Field::Int64: return "int64_data";
    case Field::Double: return "double_data";
    case Field::Uint64: return "uint64_data";
  }
  return "?";
}

std::optional<Layout> extractableLayout(const TP& t) {
  static_assert(std::endian::native == std::endian::little, "pack assumes a little-endian host");
  if (t.data_location() == TP::EXTERNAL || t.external_data_size() > 0 || filledFields(t) != 1) return std::nullopt;
  auto numel = protoNumel(t);
  if (!numel) return std::nullopt;
  if (t.has_raw_data()) {
    size_t w = dtypeSize(dtypeFromOnnx(t.data_type()));
    if (w == 0 || t.raw_data().size() != uint64_t(*numel) * w) return std::nullopt;
    return Layout{Field::Raw, unsigned(w), uint64_t(*numel)};
  }
  auto typed = typedLayout(t.data_type());
  if (!typed) return std::nullopt;
  uint64_t n = 0;
  switch (typed->field) {
    case Field::Float: n = uint64_t(t.float_data_size()); break;
    case Field::Int32: n = uint64_t(t.int32_data_size()); break;
    case Field::Int64: n = uint64_t(t.int64_data_size()); break;
    case Field::Double: n = uint64_t(t.double_data_size()); break;
    case Field::Uint64: n = uint64_t(t.uint64_data_size()); break;
    case Field::Raw: break;
  }
  if (n == 0 || n != uint64_t(*numel)) return std::nullopt;  // data in another field than the type's
  typed->count = n;
  return typed;
}

std::span<const uint8_t> dataBytes(const TP& t, const Layout& layout) {
  switch (layout.field) {
    case Field::Raw: return {reinterpret_cast<const uint8_t*>(t.raw_data().data()), t.raw_data().size()};
    case Field::Float: return bytesOf(t.float_data());
    case Field::Int32: return bytesOf(t.int32_data());
    case Field::Int64: return bytesOf(t.int64_data());
    case Field::Double: return bytesOf(t.double_data());
    case Field::Uint64: return bytesOf(t.uint64_data());
  }
  return {};
}

void releaseData(TP& t, const Layout& layout) {
  switch (layout.field) {
    case Field::Raw:
      std::string().swap(*t.mutable_raw_data());
      t.clear_raw_data();
      return;
    case Field::Float: return release(t.mutable_float_data());
    case Field::Int32: return release(t.mutable_int32_data());
    case Field::Int64: return release(t.mutable_int64_data());
    case Field::Double: return release(t.mutable_double_data());
    case Field::Uint64: return release(t.mutable_uint64_data());
  }
}

Expected<Layout> expectedLayout(const TP& t, Field field) {
  if (filledFields(t) != 0 || t.data_location() == TP::EXTERNAL || t.external_data_size() > 0)
    return Error(Exit::Input, "tensor '", t.name(), "' already holds data in the model section");
  DNNC_ASSIGN(int64_t numel, protoNumel(t));
  Layout l;
  if (field == Field::Raw) {
    size_t w = dtypeSize(dtypeFromOnnx(t.data_type()));
    if (w == 0) return Error(Exit::Input, "tensor '", t.name(), "' has data type ", t.data_type(), ", which pack never extracts");
    l = Layout{Field::Raw, unsigned(w), 0};
  } else {
    auto typed = typedLayout(t.data_type());
    if (!typed || typed->field != field)
      return Error(Exit::Input, "tensor '", t.name(), "' of data type ", t.data_type(), " cannot hold ", fieldName(field));
    l = *typed;
  }
  l.count = uint64_t(numel);
  return l;
}

void putData(TP& t, const Layout& layout, std::span<const uint8_t> bytes) {
  DNNC_CHECK(bytes.size() == layout.bytes());
  switch (layout.field) {
    // assign, not set_raw_data(ptr, size): that builds a temporary string and copies it again.
    case Field::Raw: t.mutable_raw_data()->assign(reinterpret_cast<const char*>(bytes.data()), bytes.size()); break;
    case Field::Float: putRepeated<float>(t.mutable_float_data(), bytes); break;
    case Field::Int32: putRepeated<int32_t>(t.mutable_int32_data(), bytes); break;
    case Field::Int64: putRepeated<int64_t>(t.mutable_int64_data(), bytes); break;
    case Field::Double: putRepeated<double>(t.mutable_double_data(), bytes); break;
    case Field::Uint64: putRepeated<uint64_t>(t.mutable_uint64_data(), bytes); break;
  }
}

}  // namespace dnnc::pack
