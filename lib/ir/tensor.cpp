#include "lib/ir/tensor.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "lib/ir/external_data.h"

namespace dnnc {

Expected<int64_t> checkedNumel(std::span<const int64_t> dims, const std::string& what) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) return Error(Exit::Input, what, " has a negative dimension ", d);
    if (d != 0 && n > kMaxTensorElements / d)
      return Error(Exit::Input, what, " declares more than 2^36 elements (absurd dims)");
    n *= d;
  }
  return n;
}

Tensor::Tensor(DType dtype, std::vector<int64_t> dims) : dtype_(dtype), dims_(std::move(dims)) {
  auto n = checkedNumel(dims_, "tensor");
  DNNC_CHECK(n.ok(), n.ok() ? "" : n.error().message());
  numel_ = *n;
  DNNC_CHECK(dtypeSize(dtype) > 0, "unsupported dtype ", dtypeName(dtype));
  bytes_.assign(static_cast<size_t>(numel_) * dtypeSize(dtype), std::byte{0});
}

namespace {

template <class T>
void convertTo(const Tensor& t, std::vector<float>& out) {
  const T* p = t.data<T>();
  for (int64_t i = 0; i < t.numel(); ++i) out[i] = static_cast<float>(p[i]);
}

template <class T>
void convertFrom(std::span<const float> v, Tensor& t) {
  T* p = t.data<T>();
  for (size_t i = 0; i < v.size(); ++i) {
    if constexpr (std::is_integral_v<T>) {
      double r = std::nearbyint(static_cast<double>(v[i]));
      r = std::min<double>(std::max<double>(r, static_cast<double>(std::numeric_limits<T>::lowest())),
                           static_cast<double>(std::numeric_limits<T>::max()));
      p[i] = static_cast<T>(r);
    } else {
      p[i] = static_cast<T>(v[i]);
    }
  }
}

}  // namespace

std::vector<float> Tensor::toFloats() const {
  std::vector<float> out(static_cast<size_t>(numel_));
  switch (dtype_) {
    case DType::Float: std::memcpy(out.data(), bytes_.data(), bytes_.size()); break;
    case DType::Double: convertTo<double>(*this, out); break;
    case DType::Int8: convertTo<int8_t>(*this, out); break;
    case DType::Uint8: case DType::Bool: {
      auto p = reinterpret_cast<const uint8_t*>(bytes_.data());
      for (int64_t i = 0; i < numel_; ++i) out[i] = p[i];
      break;
    }
    case DType::Int16: convertTo<int16_t>(*this, out); break;
    case DType::Int32: convertTo<int32_t>(*this, out); break;
    case DType::Int64: convertTo<int64_t>(*this, out); break;
    case DType::Uint32: convertTo<uint32_t>(*this, out); break;
    case DType::Uint64: convertTo<uint64_t>(*this, out); break;
    case DType::Uint16: convertTo<uint16_t>(*this, out); break;
    case DType::Float16: case DType::Bfloat16: {
      auto p = reinterpret_cast<const uint16_t*>(bytes_.data());
      for (int64_t i = 0; i < numel_; ++i) out[i] = dtype_ == DType::Float16 ? halfToFloat(p[i]) : bfloat16ToFloat(p[i]);
      break;
    }
    default: DNNC_CHECK(false, "toFloats on ", dtypeName(dtype_));
  }
  return out;
}

Tensor Tensor::fromFloats(std::span<const float> values, std::vector<int64_t> dims, DType dtype) {
  Tensor t(dtype, std::move(dims));
  DNNC_CHECK(static_cast<int64_t>(values.size()) == t.numel());
  switch (dtype) {
    case DType::Float: std::memcpy(t.bytes_.data(), values.data(), t.bytes_.size()); break;
    case DType::Double: convertFrom<double>(values, t); break;
    case DType::Int8: convertFrom<int8_t>(values, t); break;
    case DType::Uint8: convertFrom<uint8_t>(values, t); break;
    case DType::Int16: convertFrom<int16_t>(values, t); break;
    case DType::Uint16: convertFrom<uint16_t>(values, t); break;
    case DType::Int32: convertFrom<int32_t>(values, t); break;
    case DType::Int64: convertFrom<int64_t>(values, t); break;
    case DType::Uint32: convertFrom<uint32_t>(values, t); break;
    case DType::Uint64: convertFrom<uint64_t>(values, t); break;
    case DType::Float16: case DType::Bfloat16: {
      auto p = reinterpret_cast<uint16_t*>(t.bytes_.data());
      for (size_t i = 0; i < values.size(); ++i)
        p[i] = dtype == DType::Float16 ? floatToHalf(values[i]) : floatToBfloat16(values[i]);
      break;
    }
    default: DNNC_CHECK(false, "fromFloats to ", dtypeName(dtype));
  }
  return t;
}

MatrixMapF Tensor::asMatrix() {
  int64_t rows = dims_.empty() ? 1 : dims_[0];
  int64_t cols = rows == 0 ? 0 : numel_ / rows;
  return MatrixMapF(data<float>(), rows, cols);
}

ConstMatrixMapF Tensor::asMatrix() const {
  int64_t rows = dims_.empty() ? 1 : dims_[0];
  int64_t cols = rows == 0 ? 0 : numel_ / rows;
  return ConstMatrixMapF(data<float>(), rows, cols);
}

int64_t Tensor::countNonzero() const {
  if (dtype_ == DType::Float) {
    int64_t n = 0;
    for (float v : span<float>()) n += v != 0.0f;
    return n;
  }
  int64_t n = 0;
  for (float v : toFloats()) n += v != 0.0f;
  return n;
}

Expected<int64_t> protoNumel(const onnx::TensorProto& proto) {
  std::vector<int64_t> dims(proto.dims().begin(), proto.dims().end());
  return checkedNumel(dims, strCat("tensor '", proto.name(), "'"));
}

namespace {

// Copies a typed repeated field into the tensor, converting the wire type to the element type.
template <class Field, class T>
Status copyTyped(const Field& field, Tensor& t, const std::string& name, const char* field_name) {
  if (static_cast<int64_t>(field.size()) != t.numel())
    return Error(Exit::Input, "tensor '", name, "': ", field_name, " holds ", field.size(), " values, its dims need ",
                 t.numel());
  T* p = t.data<T>();
  for (int i = 0; i < field.size(); ++i) p[i] = static_cast<T>(field.Get(i));
  return {};
}

// int32_data carries int8/uint8/int16/uint16/bool/float16/bfloat16 as well, one value (or bit pattern) per entry.
Status copyInt32Field(const onnx::TensorProto& proto, Tensor& t) {
  const auto& f = proto.int32_data();
  if (static_cast<int64_t>(f.size()) != t.numel())
    return Error(Exit::Input, "tensor '", proto.name(), "': int32_data holds ", f.size(), " values, its dims need ",
                 t.numel());
  size_t es = dtypeSize(t.dtype());
  for (int i = 0; i < f.size(); ++i) {
    uint32_t v = static_cast<uint32_t>(f.Get(i));
    std::memcpy(t.rawData() + static_cast<size_t>(i) * es, &v, es);  // little-endian: low bytes first
  }
  return {};
}

}  // namespace

Expected<Tensor> readTensor(const onnx::TensorProto& proto, const std::string& base_dir) {
  DType dtype = dtypeFromOnnx(proto.data_type());
  if (dtype == DType::Undefined)
    return Error(Exit::Input, "tensor '", proto.name(), "': unsupported data type ", proto.data_type());
  if (proto.has_segment())
    return Error(Exit::Input, "tensor '", proto.name(), "': segmented tensors are not supported");
  DNNC_ASSIGN(int64_t numel, protoNumel(proto));
  const size_t bytes = static_cast<size_t>(numel) * dtypeSize(dtype);
  std::vector<int64_t> dims(proto.dims().begin(), proto.dims().end());

  // Check the stored length before allocating, so absurd dims never reach the allocator.
  if (isExternal(proto)) {
    DNNC_ASSIGN(auto data, readExternalData(proto, base_dir, bytes));
    Tensor t(dtype, dims);
    std::memcpy(t.rawData(), data.data(), bytes);
    return t;
  }
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != bytes)
      return Error(Exit::Input, "tensor '", proto.name(), "': raw_data holds ", proto.raw_data().size(),
                   " bytes, its dims ", numel, " x ", dtypeName(dtype), " need ", bytes);
    Tensor t(dtype, dims);
    std::memcpy(t.rawData(), proto.raw_data().data(), bytes);
    return t;
  }
  int64_t stored = 0;
  switch (dtype) {
    case DType::Float: stored = proto.float_data_size(); break;
    case DType::Double: stored = proto.double_data_size(); break;
    case DType::Int64: stored = proto.int64_data_size(); break;
    case DType::Uint32: case DType::Uint64: stored = proto.uint64_data_size(); break;
    default: stored = proto.int32_data_size(); break;
  }
  if (stored != numel)
    return Error(Exit::Input, "tensor '", proto.name(), "': holds ", stored, " values, its dims need ", numel);
  Tensor t(dtype, dims);
  switch (dtype) {
    case DType::Float: DNNC_TRY((copyTyped<decltype(proto.float_data()), float>(proto.float_data(), t, proto.name(), "float_data"))); break;
    case DType::Double: DNNC_TRY((copyTyped<decltype(proto.double_data()), double>(proto.double_data(), t, proto.name(), "double_data"))); break;
    case DType::Int64: DNNC_TRY((copyTyped<decltype(proto.int64_data()), int64_t>(proto.int64_data(), t, proto.name(), "int64_data"))); break;
    case DType::Uint32: DNNC_TRY((copyTyped<decltype(proto.uint64_data()), uint32_t>(proto.uint64_data(), t, proto.name(), "uint64_data"))); break;
    case DType::Uint64: DNNC_TRY((copyTyped<decltype(proto.uint64_data()), uint64_t>(proto.uint64_data(), t, proto.name(), "uint64_data"))); break;
    case DType::Int32: DNNC_TRY((copyTyped<decltype(proto.int32_data()), int32_t>(proto.int32_data(), t, proto.name(), "int32_data"))); break;
    default: DNNC_TRY(copyInt32Field(proto, t)); break;
  }
  return t;
}

void writeTensor(const Tensor& tensor, onnx::TensorProto& proto) {
  proto.clear_float_data();
  proto.clear_double_data();
  proto.clear_int32_data();
  proto.clear_int64_data();
  proto.clear_uint64_data();
  proto.clear_string_data();
  proto.clear_external_data();
  proto.clear_data_location();
  proto.clear_dims();
  for (int64_t d : tensor.dims()) proto.add_dims(d);
  proto.set_data_type(static_cast<int>(tensor.dtype()));
  proto.set_raw_data(reinterpret_cast<const char*>(tensor.rawData()), tensor.sizeBytes());
}

}  // namespace dnnc

namespace dnnc {

Status validateTensorData(const onnx::TensorProto& proto, const std::string& base_dir) {
  DNNC_ASSIGN(int64_t numel, protoNumel(proto));
  DType dtype = dtypeFromOnnx(proto.data_type());
  if (dtype == DType::Undefined) return {};  // strings, complex: carried through untouched
  const size_t bytes = static_cast<size_t>(numel) * dtypeSize(dtype);
  if (isExternal(proto)) {
    DNNC_TRY(validateExternalData(proto, base_dir));
    DNNC_ASSIGN(auto ref, parseExternalData(proto));
    if (ref.length >= 0 && static_cast<size_t>(ref.length) != bytes)
      return Error(Exit::Input, "tensor '", proto.name(), "': external data length ", ref.length,
                   " does not match its dims (", bytes, " bytes)");
    return {};
  }
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != bytes)
      return Error(Exit::Input, "tensor '", proto.name(), "': raw_data holds ", proto.raw_data().size(),
                   " bytes, its dims ", numel, " x ", dtypeName(dtype), " need ", bytes);
    return {};
  }
  int64_t stored = 0;
  switch (dtype) {
    case DType::Float: stored = proto.float_data_size(); break;
    case DType::Double: stored = proto.double_data_size(); break;
    case DType::Int64: stored = proto.int64_data_size(); break;
    case DType::Uint32: case DType::Uint64: stored = proto.uint64_data_size(); break;
    default: stored = proto.int32_data_size(); break;
  }
  if (stored != numel)
    return Error(Exit::Input, "tensor '", proto.name(), "': holds ", stored, " values, its dims need ", numel);
  return {};
}

}  // namespace dnnc
