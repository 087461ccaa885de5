// Value: a view of one tensor during execution (dtype, dims, data). The executor owns the memory;
// kernels read their inputs and write the outputs it hands them. Views are valid until the next run.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lib/ir/dtype.h"
#include "lib/ir/tensor.h"
#include "lib/support/check.h"

namespace dnnc {

struct Value {
  DType dtype = DType::Undefined;
  std::vector<int64_t> dims;
  void* data = nullptr;

  int rank() const { return static_cast<int>(dims.size()); }
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    return n;
  }
  size_t sizeBytes() const { return static_cast<size_t>(numel()) * dtypeSize(dtype); }
  template <class T> T* as() const {
    DNNC_CHECK(dtypeOf<T>() == dtype, "value is ", dtypeName(dtype), ", not ", dtypeName(dtypeOf<T>()));
    return static_cast<T*>(data);
  }
  template <class T> std::span<const T> span() const { return {as<T>(), static_cast<size_t>(numel())}; }
  // A copy of the values as an owning Tensor.
  Tensor toTensor() const;
};

// "[2,3,4] float32", for messages.
std::string describe(DType dtype, std::span<const int64_t> dims);
std::string dimsToString(std::span<const int64_t> dims);

}  // namespace dnnc
