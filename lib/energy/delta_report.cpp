// JSON and text of delta_stats.h's figures (see delta_report.h).
#include "lib/energy/delta_report.h"

#include "lib/report/table.h"
#include "lib/support/error.h"

namespace dnnc::energy {

namespace {

const char* const kQuantization =
    "16-bit fixed point, q = round(x / scale) clamped to +-32767, one scale per tensor: max|x| over the data / 32767";
const char* const kSpatial =
    "each value minus its left neighbour along the last axis (W), the first value of each row raw (Diffy); "
    "differences modulo 2^16";
const char* const kTemporal =
    "each value minus the same position in the previous sample (samples in order as frames of one sequence); "
    "the first sample is not counted; differences modulo 2^16";

struct Total {
  double values = 0, entropy_bits = 0, rlc_bits = 0;
  void add(const CodedStream& s) {
    values += double(s.values());
    entropy_bits += s.entropyBitsPerValue() * double(s.values());
    rlc_bits += s.rlcBitsPerValue() * double(s.values());
  }
  double entropyPerValue() const { return values > 0 ? entropy_bits / values : 0; }
  double rlcPerValue() const { return values > 0 ? rlc_bits / values : 0; }
};

std::vector<std::pair<std::string, const CodedStream DeltaStats::*>> codings(const DeltaStatsOptions& o) {
  std::vector<std::pair<std::string, const CodedStream DeltaStats::*>> c = {{"raw", &DeltaStats::raw},
                                                                           {"spatial", &DeltaStats::spatial}};
  if (o.frames) c.emplace_back("temporal", &DeltaStats::temporal);
  return c;
}

}  // namespace

nlohmann::json codedStreamJson(const CodedStream& s, const RlcParams& p) {
  return {{"samples", s.samples},
          {"values", s.values()},
          {"entropy_bits_per_value", s.entropyBitsPerValue()},
          {"zero_fraction", s.zeroFraction()},
          {"mean_zero_run", s.meanZeroRun()},
          {"rlc_bits_per_value", s.rlcBitsPerValue(p)},
          {"rlc_bits", s.rlcBitsPerValue(p) * double(s.values())}};
}

nlohmann::json deltaStatsJson(const std::vector<DeltaStats>& stats, const DeltaStatsOptions& options) {
  const RlcParams p;
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& s : stats) {
    nlohmann::json l = {{"node", s.node}, {"op", s.op},         {"value", s.value},
                        {"sample_dims", s.sample_dims}, {"max_abs", s.max_abs}, {"scale", s.scale}};
    for (const auto& [name, member] : codings(options)) l[name] = codedStreamJson(s.*member, p);
    layers.push_back(std::move(l));
  }
  nlohmann::json total = nlohmann::json::object();
  for (const auto& [name, member] : codings(options)) {
    Total t;
    for (const auto& s : stats) t.add(s.*member);
    total[name] = {{"values", t.values},
                   {"entropy_bits", t.entropy_bits},
                   {"rlc_bits", t.rlc_bits},
                   {"entropy_bits_per_value", t.entropyPerValue()},
                   {"rlc_bits_per_value", t.rlcPerValue()}};
  }
  nlohmann::json j = {{"word_bits", kDeltaWordBits},
                      {"quantization", kQuantization},
                      {"spatial", kSpatial},
                      {"frames", options.frames},
                      {"rlc", {{"run_bits", p.run_bits}, {"level_bits", p.level_bits}, {"word_bits", p.word_bits},
                               {"pairs_per_word", p.pairs_per_word}}},
                      {"layers", layers},
                      {"total", total}};
  if (options.frames) j["temporal"] = kTemporal;
  return j;
}

std::string formatDeltaStats(const std::vector<DeltaStats>& stats, const DeltaStatsOptions& options) {
  std::string out = strCat("\nDelta coding: bits per value of each layer input as values (raw) and as differences\n",
                           "  words:    ", kQuantization, "\n", "  spatial:  ", kSpatial, "\n");
  if (options.frames) out += strCat("  temporal: ", kTemporal, "\n");
  out += "  RLC:      Eyeriss run-length code, 5-bit run, 16-bit level, 3 pairs per 64-bit word\n";
  TextTable t({"node", "activation", "dims", "coding", "entropy b/v", "zeros", "mean zero run", "RLC b/v", "RLC/raw"});
  t.alignRight({4, 5, 6, 7, 8});
  auto ratio = [](double a, double b) { return b > 0 ? formatFixed(a / b, 3) : std::string("-"); };
  for (const auto& s : stats) {
    const double raw = s.raw.rlcBitsPerValue();
    bool first = true;
    for (const auto& [name, member] : codings(options)) {
      const CodedStream& c = s.*member;
      t.addRow({first ? (s.node.empty() ? "-" : s.node) : "", first ? s.value : "", first ? dimsToString(s.sample_dims) : "",
                name, formatFixed(c.entropyBitsPerValue(), 3), formatFixed(100.0 * c.zeroFraction(), 2) + " %",
                formatFixed(c.meanZeroRun(), 2), formatFixed(c.rlcBitsPerValue(), 3), ratio(c.rlcBitsPerValue(), raw)});
      first = false;
    }
  }
  t.addSeparator();
  Total raw;
  for (const auto& s : stats) raw.add(s.raw);
  bool first = true;
  for (const auto& [name, member] : codings(options)) {
    Total c;
    for (const auto& s : stats) c.add(s.*member);
    t.addRow({first ? "total" : "", "", "", name, formatFixed(c.entropyPerValue(), 3), "", "", formatFixed(c.rlcPerValue(), 3),
              ratio(c.rlcPerValue(), raw.rlcPerValue())});
    first = false;
  }
  out += t.render();
  return out;
}

}  // namespace dnnc::energy
