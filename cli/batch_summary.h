// The summary of a batch (or of merged shards): per model, status, sizes and MACs before and after, time
// and what went wrong; as Markdown, CSV and JSON, and the exit code the batch ends with.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lib/support/error.h"

namespace dnnc::cli {

// Writes OUT/summary.{md,csv,json} (sorted by id, so that merged shards equal one run).
Status writeSummary(const std::string& out_dir, const std::vector<nlohmann::json>& results);
// The Markdown table (also what batch prints).
std::string summaryMarkdown(const std::vector<nlohmann::json>& results);
// 0 when every job is ok; 1 when dnnc itself failed on one (error, crash); 3 when a model failed (bad
// input, unsupported op, timeout, memory cap); else 4 when a budget was missed.
int batchExitCode(const std::vector<nlohmann::json>& results);

}  // namespace dnnc::cli
