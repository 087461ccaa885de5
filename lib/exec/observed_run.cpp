#include "lib/exec/observed_run.h"

namespace dnnc {

Status runObserved(Executor& exec, BatchLoader& data, int64_t batch, NodeObserver& observer, const ObservedRun& run) {
  ExecRunOptions options;
  options.observer = &observer;
  Tensor x;
  data.rewind();
  for (;;) {
    DNNC_ASSIGN(bool more, data.next(batch, x));
    if (!more) break;
    auto out = exec.run({&x}, options);
    if (!out) return std::move(out).error();
    if (run.check) DNNC_TRY(run.check());
    if (run.progress) run.progress(data.position(), data.samples());
  }
  return {};
}

}  // namespace dnnc
