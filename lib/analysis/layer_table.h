// The layer table behind `dnnc info`: per weighted node, its weights, params, nonzeros and MACs.
// MACs are per inference with symbolic (batch) dimensions taken as 1.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lib/ir/model.h"
#include "lib/ir/shapes.h"
#include "lib/support/error.h"

namespace dnnc {

struct LayerRow {
  std::string name;  // node name (or its first output when the node has no name)
  std::string op;
  std::vector<int64_t> weight_shape;  // the main weight (input 1 of Conv/Gemm/MatMul, else the first)
  int64_t params = 0;
  int64_t nonzero_params = 0;
  int64_t macs = 0;
  int64_t weight_bytes = 0;
};

struct IoValue {
  std::string name;
  std::string dtype;
  std::vector<int64_t> dims;
  std::vector<std::string> dim_params;
};

struct LayerTable {
  std::vector<LayerRow> layers;
  int64_t params = 0, nonzero_params = 0, macs = 0, weight_bytes = 0;
  int64_t opset = 0;
  int64_t ir_version = 0;
  std::string producer;
  int64_t nodes = 0;
  std::vector<IoValue> inputs, outputs;
};

Expected<LayerTable> buildLayerTable(const Model& model);
// MACs of one node given shapes (0 for ops that are not Conv/ConvTranspose/Gemm/MatMul).
int64_t nodeMacs(const onnx::NodeProto& node, const ShapeMap& shapes);

nlohmann::json toJson(const LayerTable& table);
std::string formatLayerTable(const LayerTable& table);

}  // namespace dnnc
