// Reading and writing .onnx files. Loading validates what dnnc relies on (a graph, tensor data that
// matches its dims, safe external data, a well-formed graph that onnx::checker accepts: validate.h)
// without rejecting anything it merely does not understand.
#pragma once
#include <string>

#include "lib/ir/model.h"
#include "lib/support/error.h"

namespace dnnc {

// path "-" reads stdin.
Expected<Model> loadModel(const std::string& path);
// Parses an in-memory ModelProto; base_dir resolves external data.
Expected<Model> parseModel(const std::string& bytes, const std::string& source, const std::string& base_dir);

// A model with what reports record of its file: SHA-256 and size.
struct LoadedModel {
  Model model;
  std::string sha256;
  int64_t size_bytes = 0;
};
// Loads as loadModel does ("-": stdin). A file is parsed as it is read and hashed in a second pass,
// so its bytes are never held in memory beside the parsed model.
Expected<LoadedModel> loadModelWithDigest(const std::string& path);

struct SaveOptions {
  // Write initializers of at least external_threshold_bytes to "<out>.data" beside the model.
  bool external_data = false;
  size_t external_threshold_bytes = 1024;
  // Run checkModel first; a failure is a bug in dnnc (Exit::Internal).
  bool check = true;
};

// Atomically writes the model to path ("-" writes stdout). Tensors the input kept as external data
// are read into the file unless options.external_data is set.
Status saveModel(const Model& model, const std::string& path, const SaveOptions& options = {});

// What dnnc's own output must pass (Exit::Internal otherwise): the structural checks of a load, with
// nodes out of order an error, and onnx::checker as a load applies it (lib/ir/validate.h). The message
// names the failing node or value.
Status checkModel(const Model& model);

// Serialises exactly (deterministic field order), for hashing and round-trip comparison.
std::string serializeModel(const onnx::ModelProto& proto);

}  // namespace dnnc
