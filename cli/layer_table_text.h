// The layer table as `dnnc info` prints it: one row per layer, totals, sparsity, opset and I/O.
#pragma once
#include <string>

#include "lib/analysis/layer_table.h"

namespace dnnc::cli {

std::string formatLayerTable(const LayerTable& table);

}  // namespace dnnc::cli
