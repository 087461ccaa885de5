#include "lib/train/dataset.h"

#include <algorithm>
#include <set>

namespace dnnc::train {

Buf Dataset::batch(const std::vector<int64_t>& idx, int64_t first, int64_t count) const {
  std::vector<int64_t> dims = x.dims;
  dims[0] = count;
  Buf b(dims);
  const int64_t s = sampleSize();
  for (int64_t i = 0; i < count; ++i) std::copy_n(x.data() + idx[first + i] * s, s, b.data() + i * s);
  return b;
}

Expected<ValueInfo> dataInput(const Model& model) {
  std::set<std::string> inits;
  for (const auto& i : model.graph().initializer()) inits.insert(i.name());
  for (const auto& in : model.graph().input()) {
    if (inits.count(in.name())) continue;
    ValueInfo v;
    v.name = in.name();
    v.dtype = DType::Float;
    if (in.type().has_tensor_type() && in.type().tensor_type().has_shape()) {
      v.has_shape = true;
      for (const auto& d : in.type().tensor_type().shape().dim()) v.dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
    }
    if (in.type().has_tensor_type() && in.type().tensor_type().elem_type() != onnx::TensorProto::FLOAT)
      return Error(Exit::Input, "input '", v.name, "' is not float32; training needs a float32 input");
    return v;
  }
  return Error(Exit::Input, "the model has no data input");
}

Expected<Dataset> loadDataset(const Model& model, const DataOptions& data, const std::string& labels, int64_t limit) {
  DNNC_ASSIGN(ValueInfo input, dataInput(model));
  // The loader checks dims after the batch dim; a fixed batch dim would refuse other batch sizes.
  if (!input.dims.empty()) input.dims[0] = -1;
  DNNC_ASSIGN(auto loader, openData(data, input));
  Dataset d;
  const int64_t n = limit > 0 ? std::min(limit, loader->samples()) : loader->samples();
  if (n == 0) return Error(Exit::Input, "'", data.path, "' holds no samples");
  Tensor t;
  DNNC_ASSIGN(bool got, loader->next(n, t));
  if (!got) return Error(Exit::Input, "'", data.path, "' holds no samples");
  d.x.dims = t.dims();
  d.x.v = t.toFloats();
  if (!labels.empty()) {
    DNNC_ASSIGN(d.labels, readLabels(labels));
    if (static_cast<int64_t>(d.labels.size()) < n)
      return Error(Exit::Input, "'", labels, "' holds ", d.labels.size(), " labels for ", n, " samples");
    d.labels.resize(static_cast<size_t>(n));
  }
  return d;
}

}  // namespace dnnc::train
