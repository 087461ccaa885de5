// Input data for the executor: arrays from .npy, .npz (stored or deflated members) and ONNX TensorProto
// .pb files, read in batches along axis 0, converted to the model input's type and preprocessed per
// channel. A .npy file (or a stored .npz member) is read batch by batch from disk, so a 60,000-image
// set never sits in memory whole; deflated .npz members and .pb files are decoded into memory once.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lib/exec/executor.h"
#include "lib/ir/tensor.h"
#include "lib/support/error.h"

namespace dnnc {

// An array read in blocks of rows (entries along axis 0).
class ArraySource {
 public:
  virtual ~ArraySource() = default;
  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& dims() const { return dims_; }
  int64_t rows() const { return dims_.empty() ? 1 : dims_[0]; }
  // Bytes of one row.
  size_t rowBytes() const;
  // "'x.npy'", "'x.npz' member 'images'": for messages.
  const std::string& what() const { return what_; }
  // Copies rows [first, first + count) into dst (raw little-endian, C order).
  virtual Status readRows(int64_t first, int64_t count, std::byte* dst) = 0;

 protected:
  DType dtype_ = DType::Undefined;
  std::vector<int64_t> dims_;
  std::string what_;
};

// path: x.npy, x.pb, or x.npz with `member` naming the array ("" for an archive holding one array;
// "x.npz:name" works too). The file's type comes from its contents, not its name.
Expected<std::unique_ptr<ArraySource>> openArray(const std::string& path, const std::string& member = "");
// Member names of an .npz (without ".npy"), in archive order.
Expected<std::vector<std::string>> npzMembers(const std::string& path);

// x' = (x * scale - mean[c]) / std[c] on float inputs; c is the channel (axis 1 of the batch). mean and
// std hold one value (all channels) or one per channel; empty means 0 and 1.
struct Preprocess {
  float scale = 1.0f;
  std::vector<float> mean, std;
  bool identity() const { return scale == 1.0f && mean.empty() && std.empty(); }
};

// Batches for one model input.
class BatchLoader {
 public:
  // Checks the array against the input (rank, static dims after the batch dim, convertible type) and
  // the preprocessing against the channel count.
  static Expected<std::unique_ptr<BatchLoader>> create(std::unique_ptr<ArraySource> source, const ValueInfo& input,
                                                       const Preprocess& preprocess = {});
  int64_t samples() const { return source_->rows(); }
  int64_t position() const { return next_; }
  // The next min(batch, remaining) samples, in the input's dtype; false when all were read.
  Expected<bool> next(int64_t batch, Tensor& out);
  void rewind() { next_ = 0; }
  const ArraySource& source() const { return *source_; }

 private:
  std::unique_ptr<ArraySource> source_;
  ValueInfo input_;
  Preprocess pre_;
  int64_t next_ = 0;
  int64_t channels_ = 1, inner_ = 1;  // per sample: channel count and elements per channel
  std::vector<std::byte> raw_;
};

// What the CLI's --data, --scale, --mean and --std say.
struct DataOptions {
  std::string path;  // x.npy, x.npz[:member], x.pb
  float scale = 1.0f;
  std::string mean, std;  // "" or "v" or "v1,v2,..."
};
// Opens the data for a model input, with preprocessing.
Expected<std::unique_ptr<BatchLoader>> openData(const DataOptions& options, const ValueInfo& input);

// Class labels: a 1-D integer array (or [N, 1]); float arrays must hold whole numbers.
Expected<std::vector<int64_t>> readLabels(const std::string& path, const std::string& member = "");

// Parses "0.5" or "0.485,0.456,0.406" (for --mean, --std).
Expected<std::vector<float>> parseFloatList(const std::string& text, const std::string& what);

}  // namespace dnnc
