// dnnc info MODEL [--json]: the per-layer table (params, nonzeros, MACs, bytes), totals, opset and I/O.
#include <iostream>

#include "cli/command.h"
#include "cli/layer_table_text.h"
#include "lib/analysis/layer_table.h"
#include "lib/ir/onnx_io.h"
#include "lib/report/table.h"
#include "lib/support/atomic_file.h"
#include "lib/support/sha256.h"

namespace dnnc::cli {

namespace {

struct InfoOptions {
  std::string model;
  InputShapeOptions shapes;
  CommonOptions common;
};

int runInfo(const InfoOptions& o) {
  auto loaded = loadModelWithDigest(o.model);
  if (!loaded) return reportError("info", loaded.error());
  const Model* model = &loaded->model;
  auto input_shapes = o.shapes.resolve();
  if (!input_shapes) return reportError("info", input_shapes.error());
  auto table = buildLayerTable(*model, *input_shapes);
  if (!table) return reportError("info", table.error());
  if (!o.common.json.empty()) {
    Report report("info");
    report.addInput(o.model, loaded->sha256);
    report.root()["model"] = toJson(*table);
    report.root()["size_bytes"] = loaded->size_bytes;
    return emitJson("info", report, o.common);
  }
  std::cout << o.model << " (" << humanBytes(loaded->size_bytes) << ")\n\n" << formatLayerTable(*table);
  return 0;
}

}  // namespace

void setupInfo(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<InfoOptions>();
  auto* sub = app.add_subcommand("info", "Show a model's layers: weight shapes, params, nonzeros, MACs, bytes");
  sub->add_option("MODEL", o->model, "ONNX model ('-' for stdin)")->required();
  sub->add_option("--batch", o->shapes.batch, "Count MACs for this batch size (symbolic batch dims; default 1)")
      ->check(CLI::PositiveNumber);
  addInputShapeOption(sub, o->shapes);
  addCommonOptions(sub, o->common);
  commands.push_back({sub, [o] { return runInfo(*o); }});
}

}  // namespace dnnc::cli
