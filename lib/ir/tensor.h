// Tensor: one place that handles dtypes, raw_data vs typed fields, external data and endianness.
// Weights are read from TensorProto (initializers or Constant nodes) into a Tensor, changed, and written back.
#pragma once
#include <Eigen/Core>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lib/ir/dtype.h"
#include "lib/support/check.h"
#include "lib/support/error.h"

namespace onnx {
class TensorProto;
}

namespace dnnc {

using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMapF = Eigen::Map<RowMatrixF>;
using ConstMatrixMapF = Eigen::Map<const RowMatrixF>;

// Largest tensor dnnc will allocate, in elements: far beyond any real weight, far below overflow.
constexpr int64_t kMaxTensorElements = int64_t{1} << 36;

// Product of dims, or an error for negative dims or a product past kMaxTensorElements.
Expected<int64_t> checkedNumel(std::span<const int64_t> dims, const std::string& what);

class Tensor {
 public:
  Tensor() = default;
  // Zero-filled. dims must already be validated (see checkedNumel).
  Tensor(DType dtype, std::vector<int64_t> dims);

  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& dims() const { return dims_; }
  int64_t numel() const { return numel_; }
  size_t sizeBytes() const { return bytes_.size(); }
  int rank() const { return static_cast<int>(dims_.size()); }

  template <class T> T* data() {
    DNNC_CHECK(dtypeOf<T>() == dtype_, "tensor is ", dtypeName(dtype_), ", not ", dtypeName(dtypeOf<T>()));
    return reinterpret_cast<T*>(bytes_.data());
  }
  template <class T> const T* data() const {
    DNNC_CHECK(dtypeOf<T>() == dtype_, "tensor is ", dtypeName(dtype_), ", not ", dtypeName(dtypeOf<T>()));
    return reinterpret_cast<const T*>(bytes_.data());
  }
  template <class T> std::span<T> span() { return {data<T>(), static_cast<size_t>(numel_)}; }
  template <class T> std::span<const T> span() const { return {data<T>(), static_cast<size_t>(numel_)}; }
  std::byte* rawData() { return bytes_.data(); }
  const std::byte* rawData() const { return bytes_.data(); }

  // Any numeric dtype as float values (float16/bfloat16/double/ints converted).
  std::vector<float> toFloats() const;
  // A float tensor converted to `dtype` (rounding for integers, IEEE for halves).
  static Tensor fromFloats(std::span<const float> values, std::vector<int64_t> dims, DType dtype = DType::Float);

  // A float tensor viewed as dims[0] x (product of the rest): a conv kernel [K,C,R,S] as K x CRS.
  MatrixMapF asMatrix();
  ConstMatrixMapF asMatrix() const;

  int64_t countNonzero() const;

 private:
  DType dtype_ = DType::Undefined;
  std::vector<int64_t> dims_;
  int64_t numel_ = 0;
  std::vector<std::byte> bytes_;
};

// Reads a TensorProto's values: raw_data, the typed fields, or external data relative to base_dir.
// Validates lengths against dims before allocating anything.
Expected<Tensor> readTensor(const onnx::TensorProto& proto, const std::string& base_dir);

// Writes values into proto as raw_data (little-endian), keeping its name and doc string.
void writeTensor(const Tensor& tensor, onnx::TensorProto& proto);

// The element count a TensorProto declares, validated.
Expected<int64_t> protoNumel(const onnx::TensorProto& proto);

}  // namespace dnnc

namespace dnnc {
// Checks that a TensorProto's stored data matches its dims (raw_data length, typed field count,
// external file range) without reading or allocating the values.
Status validateTensorData(const onnx::TensorProto& proto, const std::string& base_dir);
}  // namespace dnnc
