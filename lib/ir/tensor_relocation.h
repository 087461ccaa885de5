// Moving a model's tensor bytes between memory and files for the time of a save. A save writes a model
// that differs from the one in memory (large tensors moved out to OUT.data, or tensors the input kept as
// external data read in); doing that on a copy of the model held its weights twice, and the .data file
// built as one string a third time. TensorRelocation edits the model in place instead and puts every
// tensor back as it was when it is destroyed, so a save costs one tensor's bytes beyond the model.
#pragma once
#include <onnx/onnx_pb.h>

#include <functional>
#include <string>
#include <vector>

#include "lib/ir/model.h"
#include "lib/support/error.h"

namespace dnnc {

// Visits every TensorProto that holds data in a graph: initializers and Constant values, in subgraphs
// too, in a fixed order (so a .data file's layout is deterministic).
void forEachTensor(onnx::GraphProto& g, const std::function<void(onnx::TensorProto&)>& fn);

class TensorRelocation {
 public:
  explicit TensorRelocation(Model& model) : model_(model) {}
  ~TensorRelocation();
  TensorRelocation(const TensorRelocation&) = delete;
  TensorRelocation& operator=(const TensorRelocation&) = delete;

  // Reads every external tensor into raw_data.
  Status inlineExternal();

  // Writes every tensor of at least threshold bytes (raw_data, or external data read one tensor at a
  // time) to data_path atomically, 64-byte aligned so readers can map it, and points the tensor at it
  // under the name location. Smaller external tensors are read in.
  Status externalize(const std::string& data_path, const std::string& location, size_t threshold);

 private:
  // An inline tensor whose raw_data was moved out (swapped, not copied).
  struct MovedOut {
    onnx::TensorProto* tensor;
    std::string raw;
  };
  // An external tensor whose reference was replaced; it holds no data, so keeping it whole is cheap.
  struct Replaced {
    onnx::TensorProto* tensor;
    onnx::TensorProto original;
  };
  Status readIn(onnx::TensorProto& t);

  Model& model_;
  std::vector<MovedOut> moved_out_;
  std::vector<Replaced> replaced_;
};

}  // namespace dnnc
