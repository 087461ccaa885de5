// The layer table behind `dnnc info`: per weighted node, its weights, params, nonzeros and MACs.
// MACs are for the whole batch the shapes carry, symbolic (batch) dimensions taken as 1 unless given.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lib/analysis/shape_resolution.h"
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
  int64_t macs = 0;  // 0 where unknown (see shaped)
  int64_t weight_bytes = 0;
  bool shaped = true;  // false: a Conv/Gemm/MatMul whose shapes could not be resolved (MACs unknown)
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
  int64_t batch = 1;  // the batch the MACs are counted for (symbolic batch dims taken as this)
  // Layers whose MACs are unknown (not in `macs`), and the inputs whose unknown dims caused it.
  std::vector<std::string> unshaped, unknown_inputs;
};

// The table for the given input shapes (symbolic batch dims: 1 unless given), or for shapes resolved already.
Expected<LayerTable> buildLayerTable(const Model& model, const InputShapes& input_shapes = {});
Expected<LayerTable> buildLayerTable(const Model& model, const ResolvedShapes& shapes);
// The cached form, on the shapes of ShapeAnalysis{inputs}. It reads weight values (nonzeros), so only
// passes that change nothing preserve it.
struct LayerTableAnalysis {
  using Result = LayerTable;
  InputShapes inputs;
  std::string key() const { return inputs.key(); }
  Expected<LayerTable> run(const Model& model, AnalysisManager& am) const;
};

// Whether MACs are counted for the node: Conv, ConvTranspose, Gemm, MatMul, LSTM, GRU or RNN of the default
// domain.
bool isMacLayer(const onnx::NodeProto& node);
// MACs of one node given shapes: 0 for ops that are not MAC layers, nullopt when a shape it needs is unknown.
std::optional<int64_t> nodeMacs(const onnx::NodeProto& node, const ShapeMap& shapes);

nlohmann::json toJson(const LayerTable& table);

}  // namespace dnnc
