#include "lib/ir/shapes.h"

#include <onnx/shape_inference/implementation.h>

namespace dnnc {

ValueShape valueShapeOf(const onnx::ValueInfoProto& vi) {
  ValueShape s;
  if (!vi.type().has_tensor_type()) return s;
  const auto& tt = vi.type().tensor_type();
  s.dtype = dtypeFromOnnx(tt.elem_type());
  if (!tt.has_shape()) return s;
  s.known_rank = true;
  for (const auto& d : tt.shape().dim()) {
    s.dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
    s.dim_params.push_back(d.has_dim_param() ? d.dim_param() : "");
  }
  return s;
}

ValueShape valueShapeOf(const onnx::TensorProto& t) {
  ValueShape s;
  s.dtype = dtypeFromOnnx(t.data_type());
  s.known_rank = true;
  s.dims.assign(t.dims().begin(), t.dims().end());
  s.dim_params.assign(s.dims.size(), "");
  return s;
}

ShapeMap inferShapes(const Model& model) {
  // Shape inference needs dims and small constants, not the weights: drop large payloads first.
  onnx::ModelProto copy;
  *copy.mutable_opset_import() = model.proto.opset_import();
  copy.set_ir_version(model.proto.ir_version());
  *copy.mutable_functions() = model.proto.functions();
  *copy.mutable_graph() = model.graph();
  for (auto& t : *copy.mutable_graph()->mutable_initializer()) {
    if (t.raw_data().size() > 4096 || t.float_data_size() > 1024) {
      t.clear_raw_data();
      t.clear_float_data();
      t.clear_external_data();
      t.clear_data_location();
      t.set_raw_data(std::string());  // shape inference reads dims and type only
    }
  }
  try {
    onnx::ShapeInferenceOptions opts(false, 0, true);
    onnx::shape_inference::InferShapes(copy, onnx::OpSchemaRegistry::Instance(), opts);
  } catch (const std::exception&) {
    // Partial results are still useful; what failed stays unknown.
  }
  ShapeMap out;
  const auto& g = copy.graph();
  for (const auto& t : model.graph().initializer()) {
    ValueShape s;
    s.dtype = dtypeFromOnnx(t.data_type());
    s.known_rank = true;
    s.dims.assign(t.dims().begin(), t.dims().end());
    s.dim_params.assign(s.dims.size(), "");
    out.set(t.name(), s);
  }
  for (const auto& vi : g.input()) out.set(vi.name(), valueShapeOf(vi));
  for (const auto& vi : g.value_info()) out.set(vi.name(), valueShapeOf(vi));
  for (const auto& vi : g.output()) out.set(vi.name(), valueShapeOf(vi));
  return out;
}

std::string formatDims(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ",";
    s += dims[i] < 0 ? std::string("?") : std::to_string(dims[i]);
  }
  return s + "]";
}

}  // namespace dnnc
