#include "cli/layer_table_text.h"

#include "lib/ir/shapes.h"
#include "lib/report/table.h"
#include "lib/support/error.h"

namespace dnnc::cli {

std::string formatLayerTable(const LayerTable& t) {
  TextTable table({"layer", "op", "weight shape", "params", "nonzero", "MACs", "weight bytes"});
  table.alignRight({3, 4, 5, 6});
  for (const auto& l : t.layers)
    table.addRow({l.name, l.op, l.weight_shape.empty() ? "-" : formatDims(l.weight_shape), withThousands(l.params),
                  withThousands(l.nonzero_params), l.shaped ? withThousands(l.macs) : "?", humanBytes(l.weight_bytes)});
  table.addSeparator();
  const std::string macs_total = withThousands(t.macs) + (t.unshaped.empty() ? "" : " + ?");
  table.addRow({"total", "", "", withThousands(t.params), withThousands(t.nonzero_params), macs_total,
                humanBytes(t.weight_bytes)});
  std::string out = table.render();
  auto describe = [](const IoValue& v) {
    std::string dims = "[";
    for (size_t i = 0; i < v.dims.size(); ++i) {
      if (i) dims += ",";
      if (v.dims[i] >= 0) dims += std::to_string(v.dims[i]);
      else dims += (i < v.dim_params.size() && !v.dim_params[i].empty()) ? v.dim_params[i] : "?";
    }
    return strCat("  ", v.name, ": ", v.dtype, " ", dims, "]\n");
  };
  out += strCat("\nsparsity: ", t.params ? strCat(formatFixed(100.0 * (1.0 - double(t.nonzero_params) / double(t.params)), 2), " %") : "-",
                "   MACs: ", humanCount(t.macs), "   params: ", humanCount(t.params), "\n");
  if (!t.unshaped.empty()) {
    out += strCat("MACs unknown for ", t.unshaped.size(), " layer", t.unshaped.size() == 1 ? "" : "s",
                  " whose shapes depend on unknown input dims");
    for (const auto& in : t.unknown_inputs) out += strCat(" (", in, ")");
    out += ": give --input-shape NAME=DIMS\n";
  }
  out += strCat("opset ", t.opset, ", IR version ", t.ir_version, ", ", t.nodes, " nodes",
                t.producer.empty() ? "" : ", produced by " + t.producer, "\n");
  out += "inputs:\n";
  for (const auto& v : t.inputs) out += describe(v);
  out += "outputs:\n";
  for (const auto& v : t.outputs) out += describe(v);
  return out;
}

}  // namespace dnnc::cli
