#include "lib/exec/calibration.h"

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

}  // namespace dnnc
