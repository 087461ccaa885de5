// Static shapes of values: a map from value name to dtype and dims (-1 where unknown or symbolic).
// lib/analysis/shape_resolution fills it for a whole model.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "lib/ir/dtype.h"
#include "lib/ir/model.h"

namespace dnnc {

struct ValueShape {
  DType dtype = DType::Undefined;
  std::vector<int64_t> dims;  // -1 where unknown
  bool known_rank = false;
  std::vector<std::string> dim_params;  // symbolic names, "" where none
};

class ShapeMap {
 public:
  const ValueShape* find(const std::string& name) const {
    auto it = shapes_.find(name);
    return it == shapes_.end() ? nullptr : &it->second;
  }
  void set(const std::string& name, ValueShape s) { shapes_[name] = std::move(s); }
  const std::map<std::string, ValueShape>& all() const { return shapes_; }

 private:
  std::map<std::string, ValueShape> shapes_;
};

// A value's declared shape (ValueInfoProto), or a tensor's (TensorProto) dims and type.
ValueShape valueShapeOf(const onnx::ValueInfoProto& value);
ValueShape valueShapeOf(const onnx::TensorProto& tensor);

// Runs ONNX shape inference on a weight-free copy of the model; never fails: values it cannot infer
// are simply absent.
ShapeMap inferShapes(const Model& model);

std::string formatDims(const std::vector<int64_t>& dims);

}  // namespace dnnc
