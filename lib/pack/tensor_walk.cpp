#include "lib/pack/tensor_walk.h"

namespace dnnc::pack {

namespace {

void walkGraph(onnx::GraphProto& g, std::vector<onnx::TensorProto*>& out);

void walkNode(onnx::NodeProto& n, std::vector<onnx::TensorProto*>& out) {
  for (auto& a : *n.mutable_attribute()) {
    if (a.has_t()) out.push_back(a.mutable_t());
    for (auto& t : *a.mutable_tensors()) out.push_back(&t);
    if (a.has_sparse_tensor()) {
      out.push_back(a.mutable_sparse_tensor()->mutable_values());
      out.push_back(a.mutable_sparse_tensor()->mutable_indices());
    }
    if (a.has_g()) walkGraph(*a.mutable_g(), out);
    for (auto& g : *a.mutable_graphs()) walkGraph(g, out);
  }
}

void walkGraph(onnx::GraphProto& g, std::vector<onnx::TensorProto*>& out) {
  for (auto& t : *g.mutable_initializer()) out.push_back(&t);
  for (auto& s : *g.mutable_sparse_initializer()) {
    out.push_back(s.mutable_values());
    out.push_back(s.mutable_indices());
  }
  for (auto& n : *g.mutable_node()) walkNode(n, out);
}

}  // namespace

std::vector<onnx::TensorProto*> allTensors(onnx::ModelProto& model) {
  std::vector<onnx::TensorProto*> out;
  if (model.has_graph()) walkGraph(*model.mutable_graph(), out);
  for (auto& f : *model.mutable_functions())
    for (auto& n : *f.mutable_node()) walkNode(n, out);
  for (auto& ti : *model.mutable_training_info()) {
    if (ti.has_initialization()) walkGraph(*ti.mutable_initialization(), out);
    if (ti.has_algorithm()) walkGraph(*ti.mutable_algorithm(), out);
  }
  return out;
}

}  // namespace dnnc::pack
