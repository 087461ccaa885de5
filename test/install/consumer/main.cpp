// Loads an ONNX model through the installed libdnnc and prints its layer table's totals.
#include <iostream>

#include "lib/analysis/layer_table.h"
#include "lib/ir/onnx_io.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer MODEL.onnx\n";
    return 2;
  }
  auto model = dnnc::loadModel(argv[1]);
  if (!model) {
    std::cerr << "consumer: cannot load '" << argv[1] << "': " << model.error().message() << "\n";
    return static_cast<int>(model.error().code());
  }
  auto table = dnnc::buildLayerTable(*model);
  if (!table) {
    std::cerr << "consumer: cannot build the layer table: " << table.error().message() << "\n";
    return static_cast<int>(table.error().code());
  }
  std::cout << "layers " << table->layers.size() << "\n"
            << "params " << table->params << "\n"
            << "macs " << table->macs << "\n";
  return 0;
}
