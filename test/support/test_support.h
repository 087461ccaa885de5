// Helpers shared by the test binaries: running the dnnc binary, scratch folders, tiny models from
// ONNX text, and ONNX Runtime (npm onnxruntime-node) as the independent reference.
#pragma once
#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

namespace dnnc::test {

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
  long peak_rss_kb = 0;  // the process's peak resident memory (getrusage's ru_maxrss)
};

// Runs build/cli/dnnc with args; stdin_data is fed on standard input.
CommandResult runDnnc(const std::vector<std::string>& args, const std::string& stdin_data = "");
// Runs any program (argv[0] searched in PATH).
CommandResult runProgram(const std::vector<std::string>& argv, const std::string& stdin_data = "");

// A fresh empty folder under the build tree, unique per call.
std::string scratchDir(const std::string& tag);
std::string testData(const std::string& name);  // test/data/<name>
bool fileExists(const std::string& path);
std::string readBytes(const std::string& path);
void writeBytes(const std::string& path, const std::string& bytes);
// Files in dir whose name contains needle (to check that no temp/output file was left behind).
std::vector<std::string> filesContaining(const std::string& dir, const std::string& needle);

// A ModelProto from ONNX's textual syntax (onnx::OnnxParser); fails the test on a parse error.
onnx::ModelProto modelFromText(const std::string& text);

// An LSTM as PyTorch exports it (input 3, hidden 4, seeded weights): W [1,16,3] and R [1,16,4] are computed
// from the stored w_ih/w_hh by Slice/Concat/Unsqueeze (re-ordering the gates), 8 constant nodes in all.
// x is [5,1,3]. Without a classifier y is the LSTM's sequence [5,1,1,4]; with one, the last hidden state
// feeds a Gemm to 2 classes (y [1,2]).
onnx::ModelProto exportedLstm(bool with_classifier);

// ONNX Runtime through node: the onnxruntime-node module in ${DNNC_BINARY_DIR}/ort. Where it is missing, the
// check fails if npm is on PATH (`make test` installs it with npm) or DNNC_REQUIRE_ORT=1; otherwise (no npm,
// or DNNC_REQUIRE_ORT=0) this returns an empty string and the caller skips with a message.
std::string ortRunner();
// Runs a model in ONNX Runtime on float32 input arrays (one per graph input, in order) and returns
// every graph output flattened, in order.
struct OrtOutputs {
  bool ok = false;
  std::string error;
  std::vector<std::vector<float>> values;
  std::vector<std::vector<int64_t>> shapes;
};
OrtOutputs runOrt(const std::string& model_path, const std::vector<std::vector<float>>& inputs,
                  const std::vector<std::vector<int64_t>>& input_shapes);

// Reads a uint8/float32/int64 .npy (C order) as floats with its shape; for test fixtures.
std::vector<float> readNpyAsFloat(const std::string& path, std::vector<int64_t>& shape);
void writeNpyFloat(const std::string& path, const std::vector<float>& values, const std::vector<int64_t>& shape);

// The bundled Fashion-MNIST images, normalised as the models expect: (x/255 - 0.2860)/0.3530.
std::vector<float> fashionImages(int count, std::vector<int64_t>& shape);

}  // namespace dnnc::test
