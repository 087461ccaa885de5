// Independent references for the zoo pipeline test (zoo_pipeline_test.cpp), written without dnnc's lib/:
// ONNX Runtime runs a model (int64 inputs fed through a Cast, since the ORT runner feeds float32), and the
// MACs of every Conv/ConvTranspose/Gemm/MatMul/LSTM/GRU/RNN node are counted with textbook formulas from
// the tensor shapes ONNX Runtime actually produces (the layers' inputs and outputs exposed as extra graph
// outputs of a copy of the model).
#pragma once
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

namespace dnnc::test::zoo {

// A model input as the tests feed it: float values (integer ids stored as floats) and their shape.
struct Feed {
  std::vector<float> values;
  std::vector<int64_t> dims;
};

// The ModelProto of an .onnx file (protobuf only; no dnnc validation).
onnx::ModelProto readModelProto(const std::string& path);

// `path` itself, or a copy written into `scratch` whose non-float graph inputs are float inputs cast to the
// declared type (ONNX Runtime's runner here feeds float32 only).
std::string ortReadyPath(const std::string& path, const std::string& scratch);

struct OrtRun {
  bool ok = false;
  std::string error;
  std::vector<std::vector<float>> outputs;  // the graph outputs, in order
  std::vector<std::vector<int64_t>> shapes;
};
// ONNX Runtime on `path` (made ort-ready) with one input.
OrtRun runOrtOn(const std::string& path, const Feed& input, const std::string& scratch);

// One MAC layer of the reference count.
struct LayerMacs {
  std::string label;  // node name, or its first output when unnamed (as `dnnc info` labels layers)
  std::string op;
  int64_t macs = -1;  // -1: a shape the formula needs was not produced
};

struct MacReference {
  bool ok = false;
  std::string error;
  std::vector<LayerMacs> layers;               // graph order
  std::vector<std::vector<float>> outputs;     // the model's own graph outputs, from the same run
  std::vector<std::vector<int64_t>> shapes;
};

// Runs ONNX Runtime on a copy of the model at `path` that also outputs every MAC layer's activation inputs
// and outputs, and counts each layer's MACs from those shapes.
MacReference referenceMacs(const std::string& path, const Feed& input, const std::string& scratch);

// Largest |a - b| over the largest |b|; +inf when the sizes differ, 0 when both are all zero.
double relativeMaxError(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace dnnc::test::zoo
