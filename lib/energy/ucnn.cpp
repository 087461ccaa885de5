// UCNN counts per filter group: the taps are sorted by their tuple of weights, so equal tuples (sub-groups)
// are adjacent; the per-filter groups are then counted over the distinct tuples.
#include "lib/energy/ucnn.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <vector>

namespace dnnc::energy {

namespace {

// A weight as its bit pattern, with -0 folded into 0 (both are the zero weight that is skipped).
uint32_t keyOf(float w) {
  if (w == 0.0f) return 0;
  uint32_t k;
  std::memcpy(&k, &w, sizeof k);
  return k;
}

struct BlockCounts {
  double multiplies = 0, additions = 0, input_reads = 0;
};

// One output position of the filters [first, first + g) of a (filters x taps) weight matrix.
BlockCounts countBlock(std::span<const float> w, int64_t taps, int64_t first, int g) {
  // keys[t * g + j]: filter j's weight at tap t; only taps with a nonzero weight in the block are kept.
  std::vector<uint32_t> keys;
  keys.reserve(size_t(taps) * g);
  int64_t kept = 0;
  for (int64_t t = 0; t < taps; ++t) {
    bool any = false;
    for (int j = 0; j < g; ++j) any |= keyOf(w[size_t((first + j) * taps + t)]) != 0;
    if (!any) continue;
    for (int j = 0; j < g; ++j) keys.push_back(keyOf(w[size_t((first + j) * taps + t)]));
    ++kept;
  }
  std::vector<int64_t> order(static_cast<size_t>(kept));
  std::iota(order.begin(), order.end(), 0);
  auto tuple = [&](int64_t i) { return keys.begin() + i * g; };
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return std::lexicographical_compare(tuple(a), tuple(a) + g, tuple(b), tuple(b) + g);
  });
  // Distinct tuples: the sub-groups.
  std::vector<int64_t> subgroups;
  for (size_t i = 0; i < order.size(); ++i)
    if (i == 0 || !std::equal(tuple(order[i]), tuple(order[i]) + g, tuple(order[i - 1])))
      subgroups.push_back(order[i]);
  BlockCounts c;
  c.input_reads = double(kept);
  c.additions = double(kept) - double(subgroups.size());
  std::vector<uint32_t> values;
  for (int j = 0; j < g; ++j) {
    values.clear();
    for (int64_t s : subgroups)
      if (uint32_t k = tuple(s)[j]; k != 0) values.push_back(k);
    const double s_g = double(values.size());
    std::sort(values.begin(), values.end());
    const double u_g = double(std::unique(values.begin(), values.end()) - values.begin());
    c.multiplies += u_g;
    c.additions += (s_g - u_g) + std::max(u_g - 1.0, 0.0);
  }
  return c;
}

}  // namespace

Expected<UcnnCounts> countUcnn(std::span<const float> weights, int64_t filters, int64_t taps, double positions,
                               int reuse_group, int conv_groups) {
  if (filters < 1 || taps < 1 || int64_t(weights.size()) != filters * taps)
    return Error(Exit::Input, "UCNN counts: ", weights.size(), " weights do not make ", filters, " filters of ",
                 taps, " taps");
  if (reuse_group < 1)
    return Error(Exit::Input, "UCNN counts: activation group reuse must be at least 1, got ", reuse_group);
  if (conv_groups < 1 || filters % conv_groups != 0)
    return Error(Exit::Input, "UCNN counts: ", filters, " filters do not split into ", conv_groups, " groups");
  UcnnCounts out;
  out.dense_macs = double(filters) * double(taps) * positions;
  const int64_t per_group = filters / conv_groups;
  for (int64_t cg = 0; cg < conv_groups; ++cg) {
    for (int64_t f = 0; f < per_group; f += reuse_group) {
      const int g = int(std::min<int64_t>(reuse_group, per_group - f));
      const BlockCounts b = countBlock(weights, taps, cg * per_group + f, g);
      out.multiplies += b.multiplies * positions;
      out.additions += b.additions * positions;
      out.input_reads += b.input_reads * positions;
    }
  }
  std::vector<uint32_t> all;
  for (float w : weights)
    if (uint32_t k = keyOf(w); k != 0) all.push_back(k);
  out.nonzero_weights = int64_t(all.size());
  std::sort(all.begin(), all.end());
  out.unique_weights = std::unique(all.begin(), all.end()) - all.begin();
  return out;
}

UcnnCost ucnnCost(const AcceleratorSpec& spec, const LayerCost& gated, const UcnnCounts& counts) {
  UcnnCost u;
  u.counts = counts;
  u.index_bits = int(std::ceil(std::log2(double(counts.unique_weights) + 1.0)));
  const auto& rep = spec.repetition;
  const double rf = spec.energyOf(Level::Rf), word = spec.word_bits.value;
  const Accesses& a = gated.accesses;
  // The evaluation's per-MAC scratchpad accesses (fills are writes of ifmaps and filters, kept).
  const double mac_rf = a.reads[int(Level::Rf)][int(DataType::Ifmap)] + a.reads[int(Level::Rf)][int(DataType::Filter)] +
                        a.reads[int(Level::Rf)][int(DataType::Psum)] + a.writes[int(Level::Rf)][int(DataType::Psum)];
  const double ucnn_rf = counts.input_reads * (1.0 + u.index_bits / word) + 3.0 * counts.multiplies;
  const double datapath = counts.multiplies * rep.multiply_energy.value + counts.additions * rep.add_energy.value;
  u.energy = gated.energy.total() - gated.energy.mac - mac_rf * rf + ucnn_rf * rf + datapath * spec.mac_energy.value;
  const double scale = counts.dense_macs > 0 ? counts.input_reads / counts.dense_macs : 1.0;
  u.processing_cycles = gated.compute_cycles * scale + gated.ramp_cycles;
  bool overlap[kDataTypes] = {false, false, false};
  for (DataType t : spec.latency.overlap_dram.value) overlap[int(t)] = true;
  double hidden = 0, exposed = 0;
  for (int t = 0; t < kDataTypes; ++t) (overlap[t] ? hidden : exposed) += gated.dram_cycles_by_type[t];
  u.latency_cycles = std::max(u.processing_cycles, hidden) + exposed;
  return u;
}

}  // namespace dnnc::energy
