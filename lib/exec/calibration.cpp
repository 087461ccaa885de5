#include "lib/exec/calibration.h"

#include <algorithm>

#include "lib/exec/executor.h"

namespace dnnc {

Expected<CalibrationSet> loadCalibrationSet(const Model& model, const Calibration& c) {
  DNNC_ASSIGN(auto exec, Executor::create(model, {.threads = 1}));
  if (exec->inputs().size() != 1)
    return Error(Exit::Input, "calibration data feeds models with exactly one input; the model has ",
                 exec->inputs().size());
  DNNC_ASSIGN(auto loader, openData(c.data, exec->inputs()[0]));
  int64_t batch = c.batch > 0 ? c.batch : 64;
  if (const auto& d = exec->inputs()[0].dims; !d.empty() && d[0] > 0) batch = d[0];  // a fixed batch dim wins
  int64_t wanted = c.limit > 0 ? std::min(c.limit, loader->samples()) : loader->samples();
  CalibrationSet set;
  while (set.samples < wanted) {
    Tensor t;
    DNNC_ASSIGN(bool more, loader->next(std::min(batch, wanted - set.samples), t));
    if (!more) break;
    set.samples += t.dims()[0];
    set.batches.push_back(std::move(t));
  }
  if (set.samples == 0) return Error(Exit::Input, "calibration data '", c.data.path, "' holds no samples");
  if (!c.labels.empty()) {
    DNNC_ASSIGN(auto labels, readLabels(c.labels));
    if (static_cast<int64_t>(labels.size()) < set.samples)
      return Error(Exit::Input, "labels '", c.labels, "' hold ", labels.size(), " entries for ", set.samples,
                   " samples of '", c.data.path, "'");
    labels.resize(set.samples);
    set.labels = std::move(labels);
  }
  return set;
}

CalibrationSet selectSamples(const CalibrationSet& set, std::span<const int64_t> rows, int64_t batch) {
  CalibrationSet out;
  if (set.batches.empty() || rows.empty()) return out;
  // Where each sample is: its batch and its row in it.
  std::vector<std::pair<size_t, int64_t>> at;
  for (size_t b = 0; b < set.batches.size(); ++b)
    for (int64_t r = 0; r < set.batches[b].dims()[0]; ++r) at.emplace_back(b, r);
  const Tensor& first = set.batches.front();
  const size_t sample_bytes = first.sizeBytes() / static_cast<size_t>(std::max<int64_t>(1, first.dims()[0]));
  batch = std::max<int64_t>(1, batch);
  for (size_t i = 0; i < rows.size(); i += static_cast<size_t>(batch)) {
    const int64_t n = std::min<int64_t>(batch, static_cast<int64_t>(rows.size() - i));
    std::vector<int64_t> dims = first.dims();
    dims[0] = n;
    Tensor t(first.dtype(), dims);
    for (int64_t j = 0; j < n; ++j) {
      const auto [b, r] = at[static_cast<size_t>(rows[i + static_cast<size_t>(j)])];
      std::copy_n(set.batches[b].rawData() + static_cast<size_t>(r) * sample_bytes, sample_bytes,
                  t.rawData() + static_cast<size_t>(j) * sample_bytes);
      if (!set.labels.empty()) out.labels.push_back(set.labels[static_cast<size_t>(rows[i + static_cast<size_t>(j)])]);
    }
    out.samples += n;
    out.batches.push_back(std::move(t));
  }
  return out;
}

}  // namespace dnnc
