// Element types dnnc reads and writes, mapped onto ONNX's TensorProto data types.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace dnnc {

enum class DType : int {
  Undefined = 0,
  Float = 1,
  Uint8 = 2,
  Int8 = 3,
  Uint16 = 4,
  Int16 = 5,
  Int32 = 6,
  Int64 = 7,
  Bool = 9,
  Float16 = 10,
  Double = 11,
  Uint32 = 12,
  Uint64 = 13,
  Bfloat16 = 16,
};

// Bytes per element, or 0 for types dnnc does not hold in memory (string, complex).
size_t dtypeSize(DType t);
std::string dtypeName(DType t);
bool isFloating(DType t);
// From a TensorProto::DataType value; Undefined for unsupported ones.
DType dtypeFromOnnx(int onnx_type);

// IEEE half <-> float, exact for every finite half and with correct rounding on the way back.
float halfToFloat(uint16_t h);
uint16_t floatToHalf(float f);
// bfloat16 <-> float: the upper half of the float's bits. floatToBfloat16 rounds to nearest even (NaN stays
// NaN); floatToBfloat16Truncated drops the low bits, as ONNX's Cast reference (and test data) does.
float bfloat16ToFloat(uint16_t b);
uint16_t floatToBfloat16(float f);
uint16_t floatToBfloat16Truncated(float f);

template <class T> constexpr DType dtypeOf();
template <> constexpr DType dtypeOf<float>() { return DType::Float; }
template <> constexpr DType dtypeOf<double>() { return DType::Double; }
template <> constexpr DType dtypeOf<int8_t>() { return DType::Int8; }
template <> constexpr DType dtypeOf<uint8_t>() { return DType::Uint8; }
template <> constexpr DType dtypeOf<int16_t>() { return DType::Int16; }
template <> constexpr DType dtypeOf<uint16_t>() { return DType::Uint16; }
template <> constexpr DType dtypeOf<int32_t>() { return DType::Int32; }
template <> constexpr DType dtypeOf<int64_t>() { return DType::Int64; }
template <> constexpr DType dtypeOf<uint32_t>() { return DType::Uint32; }
template <> constexpr DType dtypeOf<uint64_t>() { return DType::Uint64; }

}  // namespace dnnc
