// Internal to lib/energy: the closed-form row-stationary cost, shared by evaluate() and the mapping search.
// Everything that does not depend on the mapping is computed once per layer in LayerContext.
#pragma once
#include <string>
#include <vector>

#include "lib/energy/energy_model.h"

namespace dnnc::energy::detail {

// Strip-mining of E into strips of e ofmap rows: ifmap rows each strip needs, summed over strips.
struct StripGeometry {
  int k_e = 0;            // strips
  int h_max = 0;          // ifmap rows of the widest strip
  double plane_glb = 0;   // ifmap words of one channel plane loaded per pass sweep (padded rows)
  double plane_dram = 0;  // the same as read from DRAM (without padding unless DRAM stores it)
};

struct Capacity {
  std::vector<double> size;             // per partition, words
  int part[kDataTypes] = {-1, -1, -1};  // partition index per data type
};

struct LayerContext {
  const AcceleratorSpec* spec = nullptr;
  const LayerShape* layer = nullptr;
  EvalOptions options;

  int G = 1, N = 1, Mg = 1, C = 1, R = 1, S = 1, E = 1, F = 1, U = 1, Wu = 1;
  int rows = 1, cols = 1;
  double macs = 0, valid_macs = 0, executed_macs = 0;
  // Scratchpad accesses of the MACs (one each per MAC when nothing is gated): reads of ifmap, filter, psum
  // and the psum write-back, after the spec's zero gating.
  double rf_mac_reads[kDataTypes] = {0, 0, 0}, rf_mac_psum_writes = 0;
  double word_bits = 16;
  double bits_per_word[kDataTypes] = {16, 16, 16};  // DRAM bits per word as transferred (psum: the ofmap)
  // Per level and data type, the share of a word's access energy one access costs: below 1 where the spec
  // moves narrow data (codebook indices, INT8) at its own width on that level (DRAM is in bits_per_word).
  double width[kLevels][kDataTypes] = {{1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}};
  Capacity rf, glb;
  double glb_words_per_cycle = 1, dram_bits_per_cycle = 1;
  bool overlap[kDataTypes] = {false, false, false};
  std::vector<StripGeometry> strips;  // indexed by e, 1..E
};

LayerContext makeContext(const AcceleratorSpec& spec, const LayerShape& layer, const EvalOptions& options);

// Checks ranges, array fit and capacities. Returns true when the mapping fits; otherwise, when `why` is
// non-null, explains the first violation.
bool fits(const LayerContext& ctx, const Mapping& m, std::string* why);

// The mapping-dependent factors, split by the parameters they depend on so that the search can hoist them.
struct NeTerms {  // n, e
  double n_groups = 0;
  const StripGeometry* strip = nullptr;
};
struct QrTerms {         // q, r
  int k_c = 0;           // channel groups
  double sum_q = 0;      // busiest PE's channels, summed over channel groups
  double sum_chain = 0;  // psum hops up the set column, summed over channel groups
};
struct PtTerms {     // p, t, m
  int k_m = 0;       // m-groups
  double K_f = 0;    // filter passes, summed over m-groups
  double sum_p = 0;  // busiest PE's filters, summed over filter passes
  double sum_t = 0;  // active filter sets, summed over filter passes
};
NeTerms neTerms(const LayerContext& ctx, int n, int e);
QrTerms qrTerms(const LayerContext& ctx, int q, int r);
PtTerms ptTerms(const LayerContext& ctx, int p, int t, int m);

// Word accesses per level and data type.
void accesses(const LayerContext& ctx, const NeTerms& ne, const QrTerms& qr, const PtTerms& pt, Accesses& a);
// Normalised energy of those accesses plus the MACs.
double energyTotal(const LayerContext& ctx, const Accesses& a);

struct Cycles {
  double compute = 0, ramp = 0, dram[kDataTypes] = {0, 0, 0};
  double processing() const { return compute + ramp; }
  double latency(const LayerContext& ctx) const;  // with the overlappable DRAM traffic hidden
};
Cycles cycles(const LayerContext& ctx, const Mapping& m, const NeTerms& ne, const QrTerms& qr, const PtTerms& pt,
              const Accesses& a);

// Fills `out` for a mapping that fits (all fields but name and mapping_source).
void cost(const LayerContext& ctx, const Mapping& m, LayerCost& out);

}  // namespace dnnc::energy::detail
