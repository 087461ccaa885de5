// Counting a stored weight's nonzeros where the model holds it.
#pragma once
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <optional>

namespace dnnc {

// Tensor::countNonzero of a float32 tensor stored inline as raw_data, counted where the proto holds it
// (reading a 411 MB weight into a Tensor to count it doubled it); nullopt when it is stored otherwise.
std::optional<int64_t> countNonzeroInPlace(const onnx::TensorProto& proto);

}  // namespace dnnc
