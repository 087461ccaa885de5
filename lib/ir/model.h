// Model: an ONNX ModelProto plus where it came from. Wrapping the protobuf itself keeps every field
// a pass does not touch (metadata, opsets, doc strings, functions, unknown ops) exactly as it was.
#pragma once
#include <onnx/onnx_pb.h>

#include <string>

namespace dnnc {

struct Model {
  onnx::ModelProto proto;
  // Folder that external-data locations are relative to ("" for stdin or a model built in memory).
  std::string base_dir;
  // Path the model was read from, for messages ("-" for stdin).
  std::string source;

  onnx::GraphProto& graph() { return *proto.mutable_graph(); }
  const onnx::GraphProto& graph() const { return proto.graph(); }
  // The opset version of the default ONNX domain (0 if absent).
  int64_t opsetVersion() const;
};

}  // namespace dnnc
