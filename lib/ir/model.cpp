#include "lib/ir/model.h"

namespace dnnc {

int64_t Model::opsetVersion() const {
  for (const auto& op : proto.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx") return op.version();
  return 0;
}

}  // namespace dnnc
