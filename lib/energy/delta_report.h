// The report of `dnnc stats --delta`: delta_stats.h's figures per layer input and in total, as JSON (the
// "delta" object of the stats report, docs/report-schema.md) and as a text table.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lib/energy/delta_stats.h"

namespace dnnc::energy {

// One stream's figures: samples, values, entropy_bits_per_value, zero_fraction, mean_zero_run,
// rlc_bits_per_value, rlc_bits.
nlohmann::json codedStreamJson(const CodedStream& s, const RlcParams& p = {});
// {"word_bits", "quantization", "spatial", "temporal", "rlc", "layers": [...], "total": {...}}.
nlohmann::json deltaStatsJson(const std::vector<DeltaStats>& stats, const DeltaStatsOptions& options);
// The text table: one row per input and coding, then the totals.
std::string formatDeltaStats(const std::vector<DeltaStats>& stats, const DeltaStatsOptions& options);

}  // namespace dnnc::energy
