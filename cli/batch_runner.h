// Runs batch jobs as child processes of this dnnc, N at a time: one model's failure (bad file, unsupported
// op, budget missed, timeout, memory cap, crash) is recorded and the batch goes on. Each finished job
// leaves OUT/results/<id>.json (written atomically once the job has ended), its model in OUT/models/,
// its report in OUT/reports/ and its stderr in OUT/logs/; a job whose result file holds its key is done,
// so a rerun after a kill (children die with the batch) redoes only what had not finished.
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/batch_manifest.h"
#include "lib/support/error.h"

namespace dnnc::cli {

struct BatchRunOptions {
  std::string out_dir;
  int jobs = 1;        // at once
  bool force = false;  // recompute finished jobs too
  int threads = 1;     // --threads of each job
  // Called after each job with its result, the number finished (done or skipped) and the total.
  std::function<void(const nlohmann::json& result, size_t finished, size_t total)> on_result;
};

// One result per job, in job order (finished earlier or now).
Expected<std::vector<nlohmann::json>> runBatch(const std::vector<BatchJob>& jobs, const BatchRunOptions& options);

// Every result file under OUT/results of each folder, by id (a later folder wins on the same id).
Expected<std::vector<nlohmann::json>> readResults(const std::vector<std::string>& out_dirs);

}  // namespace dnnc::cli
