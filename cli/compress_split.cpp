// Seeded train/validation split of .npy files: see compress_split.h.
#include "cli/compress_split.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <random>

#include "lib/exec/npy.h"

namespace dnnc::cli {

namespace {

// Rows `rows` (sorted) of t, as a new tensor.
Tensor takeRows(const Tensor& t, const std::vector<int64_t>& rows) {
  std::vector<int64_t> dims = t.dims();
  const size_t row_bytes = t.sizeBytes() / size_t(dims[0]);
  dims[0] = int64_t(rows.size());
  Tensor out(t.dtype(), dims);
  for (size_t i = 0; i < rows.size(); ++i)
    std::memcpy(out.rawData() + i * row_bytes, t.rawData() + size_t(rows[i]) * row_bytes, row_bytes);
  return out;
}

}  // namespace

Expected<SplitFiles> splitTrainingData(const std::string& data, const std::string& labels, int64_t val_samples,
                                       uint64_t seed, const std::string& dir) {
  namespace fs = std::filesystem;
  SplitFiles f{.train_data = (fs::path(dir) / "train_images.npy").string(),
               .train_labels = (fs::path(dir) / "train_labels.npy").string(),
               .val_data = (fs::path(dir) / "val_images.npy").string(),
               .val_labels = (fs::path(dir) / "val_labels.npy").string()};
  DNNC_ASSIGN(Tensor x, readNpy(data));
  DNNC_ASSIGN(Tensor y, readNpy(labels));
  if (x.rank() < 1 || y.rank() < 1 || x.dims()[0] != y.dims()[0])
    return Error(Exit::Input, "cannot split '", data, "': its ", x.rank() ? x.dims()[0] : 0, " samples and the ",
                 y.rank() ? y.dims()[0] : 0, " labels of '", labels, "' do not match");
  const int64_t n = x.dims()[0];
  if (n < val_samples + 64)
    return Error(Exit::Input, "cannot split '", data, "': ", n, " samples are too few to hold out ", val_samples,
                 " and train on the rest")
        .withHint("give --val-data and --val-labels");
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<int64_t> val(order.begin(), order.begin() + val_samples), train(order.begin() + val_samples, order.end());
  std::sort(val.begin(), val.end());
  std::sort(train.begin(), train.end());
  f.train_samples = int64_t(train.size());
  f.val_samples = val_samples;
  const std::vector<std::pair<std::string, Tensor>> files = {{f.train_data, takeRows(x, train)},
                                                             {f.train_labels, takeRows(y, train)},
                                                             {f.val_data, takeRows(x, val)},
                                                             {f.val_labels, takeRows(y, val)}};
  // A resumed search writes the same split again, byte for byte.
  for (const auto& [path, tensor] : files) DNNC_TRY(writeNpy(path, tensor));
  return f;
}

}  // namespace dnnc::cli
