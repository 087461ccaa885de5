// The closed-form row-stationary model. Counts follow the loop order in energy_model.h; the derivation,
// term by term, is in docs/energy-model.md ("Accesses").
#include "lib/energy/rs_core.h"

#include <algorithm>
#include <cmath>

#include "lib/energy/rlc_size.h"
#include "lib/support/check.h"

namespace dnnc::energy::detail {

namespace {

inline long ceilDiv(long a, long b) { return (a + b - 1) / b; }

// Number of (output index, tap) pairs whose input index falls inside [pad, pad + size): the MACs that do
// not multiply padding, along one axis.
double validTaps(int out, int taps, int stride, int dilation, int pad, int size) {
  double count = 0;
  for (int o = 0; o < out; ++o)
    for (int k = 0; k < taps; ++k) {
      int i = o * stride + k * dilation;
      count += (i >= pad && i < pad + size);
    }
  return count;
}

int overlap(int a0, int a1, int b0, int b1) { return std::max(0, std::min(a1, b1) - std::max(a0, b0)); }

// RLC of values `value_bits` wide: as many (run, level) pairs per coded word as fit.
RlcParams rlcParams(const AcceleratorSpec& s, int value_bits) {
  RlcParams p;
  p.run_bits = s.zeros.rlc_run_bits.value;
  p.level_bits = value_bits;
  p.word_bits = s.zeros.rlc_word_bits.value;
  p.pairs_per_word = value_bits == s.word_bits.value ? s.zeros.rlc_pairs_per_word.value
                                                     : std::max(1, (p.word_bits - 1) / (p.run_bits + value_bits));
  return p;
}

// DRAM bits per stored value of a feature map plane (rows x cols, the interior h x w at (top, left) holds
// the activations, the rest is padding), values `value_bits` wide.
double fmapBitsPerValue(const AcceleratorSpec& spec, Compression c, const FmapSparsity& sp, int rows, int cols, int top,
                        int left, int h, int w, int value_bits) {
  const double wb = value_bits;
  const double values = double(rows) * cols;
  const double pads = values - double(h) * w;
  const double z = sp.fraction();
  double bits = wb;
  if (c == Compression::Rlc) {
    RlcParams p = rlcParams(spec, value_bits);
    double pairs;
    if (sp.zero_runs && sp.zero_runs->elements > 0) {
      // Exact pairs per activation from the measured runs; padding zeros lengthen runs, costing at most one
      // cut pair per maxRun+1 of them.
      pairs = double(h) * w * rlcPairs(*sp.zero_runs, p) / double(sp.zero_runs->elements) + pads / (p.maxRun() + 1);
    } else if (pads > 0) {
      pairs = rlcPairsPaddedPlane(rows, cols, top, left, h, w, z, p);
    } else {
      pairs = values * rlcPairsPerValueIid(z, p);
    }
    bits = rlcBits(pairs, p) / values;
  } else if (c == Compression::SignificanceMap) {
    double nonzeros = double(h) * w * (1.0 - z);
    bits = significanceMapBits(values, nonzeros, int(wb)) / values;
  }
  // A tensor whose coding would expand it is sent raw.
  return std::min(bits, wb);
}

double weightBitsPerValue(const AcceleratorSpec& spec, Compression c, double z, int value_bits) {
  const double wb = value_bits;
  double bits = wb;
  if (c == Compression::Rlc) {
    RlcParams p = rlcParams(spec, value_bits);
    bits = rlcBits(rlcPairsPerValueIid(z, p), p);
  } else if (c == Compression::SignificanceMap) {
    bits = significanceMapBits(1.0, 1.0 - z, int(wb));
  }
  return std::min(bits, wb);
}

Capacity capacityOf(const StorageLevel& level) {
  Capacity c;
  for (std::size_t i = 0; i < level.partitions.size(); ++i) {
    c.size.push_back(level.partitions[i].size_words.value);
    for (DataType t : level.partitions[i].types) c.part[int(t)] = int(i);
  }
  return c;
}

// Whether the per-type needs fit the partitions; explains the first overflow.
bool fitsCapacity(const Capacity& cap, const double need[kDataTypes], const char* level_label,
                  const char* const formulas[kDataTypes], std::string* why) {
  double used[kDataTypes] = {0, 0, 0};
  for (int t = 0; t < kDataTypes; ++t) used[cap.part[t]] += need[t];
  for (std::size_t i = 0; i < cap.size.size(); ++i) {
    if (used[i] <= cap.size[i] + 1e-9) continue;
    if (why) {
      std::string parts, names;
      for (int t = 0; t < kDataTypes; ++t) {
        if (cap.part[t] != int(i)) continue;
        parts += strCat(parts.empty() ? "" : " + ", dataTypeName(DataType(t)), " ", formulas[t], " = ", need[t]);
        names += strCat(names.empty() ? "" : "+", dataTypeName(DataType(t)));
      }
      *why = strCat(level_label, " ", names, " partition overflows: ", parts, " words > ", cap.size[i],
                    " (expected at most ", cap.size[i], ")");
    }
    return false;
  }
  return true;
}

}  // namespace

LayerContext makeContext(const AcceleratorSpec& spec, const LayerShape& l, const EvalOptions& options) {
  LayerContext c;
  c.spec = &spec;
  c.layer = &l;
  c.options = options;
  c.G = l.G;
  c.N = l.N;
  c.Mg = l.Mg();
  c.C = l.C;
  c.R = l.R;
  c.S = l.S;
  c.E = l.E;
  c.F = l.F;
  c.U = l.stride_h;
  c.Wu = std::min(l.Wp(), (l.F - 1) * l.stride_w + l.Seff());
  c.rows = spec.pe_rows.value;
  c.cols = spec.pe_cols.value;
  c.word_bits = spec.word_bits.value;

  c.macs = l.macs();
  const double valid_rows = validTaps(l.E, l.R, l.stride_h, l.dilation_h, l.pad_top, l.H);
  const double valid_cols = validTaps(l.F, l.S, l.stride_w, l.dilation_w, l.pad_left, l.W);
  c.valid_macs = double(l.N) * l.M * l.C * valid_rows * valid_cols;
  // Zero gating: each per-MAC event (the MAC, its scratchpad reads and psum write-back) happens MACs times,
  // less what the spec gates. A gated ifmap zero removes the event on a fraction z_i of the real ifmap values
  // and on every padding value (padding is zero); a gated weight zero on a fraction z_w; with both, the
  // event survives only when both operands are nonzero (zeros independent).
  const auto& z = spec.zeros;
  const double ifmap_kept = c.valid_macs * (1.0 - l.ifmap.fraction());
  const double weight_kept = 1.0 - l.weight_zero_fraction;
  // SnaPEA: a term the PE never computes saves the events a gated ifmap zero saves (the ifmap gate list).
  // Where ifmap zeros are gated already, only the skipped terms on real nonzero inputs save more; skipped
  // weights are negative, never zero, so weight gating removed none of them.
  auto kept = [&](bool by_ifmap, bool by_weight) {
    double n = z.gate_ifmap_zeros.value && by_ifmap ? ifmap_kept : c.macs;
    if (z.gate_weight_zeros.value && by_weight) n *= weight_kept;
    if (by_ifmap) n -= c.macs * (z.gate_ifmap_zeros.value ? l.snapea_skipped_nonzero : l.snapea_skipped);
    return std::max(0.0, n);
  };
  const GatedAccesses& gi = z.ifmap_zero_gates.value;
  const GatedAccesses& gw = z.weight_zero_gates.value;
  c.executed_macs = kept(gi.mac, gw.mac);
  c.rf_mac_reads[int(DataType::Ifmap)] = kept(gi.ifmap_read, gw.ifmap_read);
  c.rf_mac_reads[int(DataType::Filter)] = kept(gi.filter_read, gw.filter_read);
  c.rf_mac_reads[int(DataType::Psum)] = kept(gi.psum_read, gw.psum_read);
  c.rf_mac_psum_writes = kept(gi.psum_write, gw.psum_write);

  // Narrow data (spec.narrow): the width each data type travels at on each level.
  const int word = spec.word_bits.value;
  auto narrowBits = [&](int bits) { return bits > 0 && bits < word ? bits : word; };
  const int value_bits[kDataTypes] = {narrowBits(l.ifmap_bits), narrowBits(l.weight_bits), word};
  for (int lv = 0; lv < kLevels; ++lv)
    if (spec.narrow.at(Level(lv)))
      for (int t = 0; t < kDataTypes; ++t) c.width[lv][t] = double(value_bits[t]) / word;
  const bool narrow_dram = spec.narrow.at(Level::Dram);
  const int dram_ifmap_bits = narrow_dram ? value_bits[int(DataType::Ifmap)] : word;
  const int dram_filter_bits = narrow_dram ? value_bits[int(DataType::Filter)] : word;

  // DRAM bits per word.
  const bool padded = spec.level(Level::Dram).stores_padding.value;
  Compression fc = options.compression ? z.fmap_compression.value : Compression::None;
  Compression wc = options.compression ? z.weight_compression.value : Compression::None;
  Compression ic = (l.first_layer && !z.compress_first_layer_ifmap.value) ? Compression::None : fc;
  c.bits_per_word[int(DataType::Ifmap)] =
      padded ? fmapBitsPerValue(spec, ic, l.ifmap, l.Hp(), l.Wp(), l.pad_top, l.pad_left, l.H, l.W, dram_ifmap_bits)
             : fmapBitsPerValue(spec, ic, l.ifmap, l.H, l.W, 0, 0, l.H, l.W, dram_ifmap_bits);
  c.bits_per_word[int(DataType::Filter)] = weightBitsPerValue(spec, wc, l.weight_zero_fraction, dram_filter_bits);
  c.bits_per_word[int(DataType::Psum)] = fmapBitsPerValue(spec, fc, l.ofmap, l.E, l.F, 0, 0, l.E, l.F, word);

  c.rf = capacityOf(spec.level(Level::Rf));
  c.glb = capacityOf(spec.level(Level::Glb));
  c.glb_words_per_cycle = spec.level(Level::Glb).bandwidth_per_cycle.value;
  c.dram_bits_per_cycle = spec.level(Level::Dram).bandwidth_per_cycle.value;
  for (DataType t : spec.latency.overlap_dram.value) c.overlap[int(t)] = true;

  // Strip geometry for every e.
  c.strips.assign(l.E + 1, StripGeometry{});
  const int valid_cols_read = overlap(0, c.Wu, l.pad_left, l.pad_left + l.W);
  for (int e = 1; e <= l.E; ++e) {
    StripGeometry& g = c.strips[e];
    g.k_e = int(ceilDiv(l.E, e));
    g.h_max = std::min(l.Hp(), (e - 1) * l.stride_h + l.Reff());
    for (int i = 0; i < g.k_e; ++i) {
      int ei = std::min(e, l.E - i * e);
      int start = i * e * l.stride_h;
      int h = (ei - 1) * l.stride_h + l.Reff();
      g.plane_glb += double(h) * c.Wu;
      g.plane_dram +=
          padded ? double(h) * c.Wu : double(overlap(start, start + h, l.pad_top, l.pad_top + l.H)) * valid_cols_read;
    }
  }
  return c;
}

bool fits(const LayerContext& c, const Mapping& m, std::string* why) {
  auto fail = [&](auto&&... args) {
    if (why) *why = strCat(args...);
    return false;
  };
  if (m.n < 1 || m.e < 1 || m.p < 1 || m.q < 1 || m.r < 1 || m.t < 1 || m.m < 1)
    return fail("every parameter must be a positive integer");
  if (m.n > c.N) return fail("n=", m.n, " exceeds the batch N=", c.N);
  if (m.e > c.E) return fail("e=", m.e, " exceeds the ofmap height E=", c.E);
  if (m.p > c.Mg) return fail("p=", m.p, " exceeds the ", c.Mg, " filters per group");
  if (m.q > c.C) return fail("q=", m.q, " exceeds the ", c.C, " channels per group");
  if ((m.r - 1) * m.q >= c.C)
    return fail("r=", m.r, " PE sets of q=", m.q, " channels leave sets idle: only ", c.C, " channels per group");
  if ((m.t - 1) * m.p >= c.Mg)
    return fail("t=", m.t, " PE sets of p=", m.p, " filters leave sets idle: only ", c.Mg, " filters per group");
  if (m.m > c.Mg) return fail("m=", m.m, " exceeds the ", c.Mg, " filters per group");
  if (m.m < std::min(m.p * m.t, c.Mg))
    return fail("m=", m.m, " is smaller than the p*t=", m.p * m.t, " filters of one pass");
  const int segs = int(ceilDiv(m.e, c.cols));
  const int set_h = c.R * segs, set_w = std::min(m.e, c.cols);
  if (set_h > c.rows)
    return fail("a PE set of R=", c.R, " rows", segs > 1 ? strCat(" x ", segs, " folded segments (e=", m.e, ")") : "",
                " needs ", set_h, " rows, the array has ", c.rows);
  const int sets = (c.rows / set_h) * (c.cols / set_w);
  if (m.r * m.t > sets)
    return fail("r*t=", m.r * m.t, " PE sets of ", set_h, "x", set_w, " do not fit the ", c.rows, "x", c.cols,
                " array (", sets, " fit)");
  // Scratchpads, per PE.
  const double rf_need[kDataTypes] = {double(m.q) * c.S, double(m.p) * m.q * c.S, double(m.p)};
  static const char* const rf_formulas[kDataTypes] = {"q*S", "p*q*S", "p"};
  if (!fitsCapacity(c.rf, rf_need, "scratchpad:", rf_formulas, why)) return false;
  // Global buffer.
  const StripGeometry& g = c.strips[m.e];
  const double ch = std::min(m.q * m.r, c.C), filt = std::min(m.p * m.t, c.Mg);
  const double glb_need[kDataTypes] = {double(m.n) * ch * g.h_max * c.Wu, filt * ch * c.R * c.S,
                                       double(m.n) * std::min(m.m, c.Mg) * m.e * c.F};
  static const char* const glb_formulas[kDataTypes] = {"n*q*r*rows*W", "p*t*q*r*R*S", "n*m*e*F"};
  if (!fitsCapacity(c.glb, glb_need, "global buffer:", glb_formulas, why)) return false;
  return true;
}

namespace {

// Filter passes of one m-group of x filters with p*t filters per pass: count, sum of the busiest PE's
// filters (ceil(f/t)), and sum of active filter sets.
void addFilterPasses(PtTerms& f, double times, int x, int p, int t) {
  const int pt = p * t;
  const int full = x / pt, rest = x % pt;
  double count = full, sp = double(full) * p, st = double(full) * t;
  if (rest > 0) {
    const int pa = int(ceilDiv(rest, t));
    count += 1;
    sp += pa;
    st += double(ceilDiv(rest, pa));
  }
  f.K_f += times * count;
  f.sum_p += times * sp;
  f.sum_t += times * st;
}

}  // namespace

NeTerms neTerms(const LayerContext& c, int n, int e) { return NeTerms{double(ceilDiv(c.N, n)), &c.strips[e]}; }

QrTerms qrTerms(const LayerContext& c, int q, int r) {
  QrTerms out;
  const int qr = q * r;
  out.k_c = int(ceilDiv(c.C, qr));
  const int c_last = c.C - (out.k_c - 1) * qr;
  out.sum_q = double(out.k_c - 1) * q + double(ceilDiv(c_last, r));
  out.sum_chain = double(out.k_c - 1) * (double(c.R) * r - 1) + (double(c.R) * double(ceilDiv(c_last, q)) - 1);
  return out;
}

PtTerms ptTerms(const LayerContext& c, int p, int t, int m) {
  PtTerms out;
  const int m_eff = std::min(m, c.Mg);
  out.k_m = int(ceilDiv(c.Mg, m_eff));
  const int m_last = c.Mg - (out.k_m - 1) * m_eff;
  if (out.k_m > 1) addFilterPasses(out, out.k_m - 1, m_eff, p, t);
  addFilterPasses(out, 1, m_last, p, t);
  return out;
}

void accesses(const LayerContext& c, const NeTerms& ne, const QrTerms& qr, const PtTerms& pt, Accesses& a) {
  const StripGeometry& g = *ne.strip;
  const double G = c.G, N = c.N, Mg = c.Mg, C = c.C, R = c.R, S = c.S, E = c.E, F = c.F;
  auto rd = [&](Level l, DataType t) -> double& { return a.reads[int(l)][int(t)]; };
  auto wr = [&](Level l, DataType t) -> double& { return a.writes[int(l)][int(t)]; };
  const double ofmap_words = N * G * Mg * E * F;
  const double filter_dram = G * ne.n_groups * g.k_e * Mg * C * R * S;
  // DRAM: ifmaps once per m-group (rows shared by neighbouring strips are re-read), filters once per
  // n-group and strip, ofmaps written once; psums never leave the chip.
  rd(Level::Dram, DataType::Ifmap) = G * N * C * g.plane_dram * pt.k_m;
  rd(Level::Dram, DataType::Filter) = filter_dram;
  rd(Level::Dram, DataType::Psum) = 0;
  wr(Level::Dram, DataType::Ifmap) = 0;
  wr(Level::Dram, DataType::Filter) = 0;
  wr(Level::Dram, DataType::Psum) = ofmap_words;
  // GLB: ifmap rows written once per m-group and read once per filter pass (multicast to the PEs); psums
  // written once per channel group, read back by each later channel group and once more on the way out;
  // filters staged through their partition once.
  wr(Level::Glb, DataType::Ifmap) = G * N * C * g.plane_glb * pt.k_m;
  rd(Level::Glb, DataType::Ifmap) = G * N * C * g.plane_glb * pt.K_f;
  wr(Level::Glb, DataType::Psum) = ofmap_words * qr.k_c;
  rd(Level::Glb, DataType::Psum) = ofmap_words * qr.k_c;
  wr(Level::Glb, DataType::Filter) = filter_dram;
  rd(Level::Glb, DataType::Filter) = filter_dram;
  // Array: psums accumulate up the PE-set column (R rows, r sets stacked): R*r - 1 hops per pass.
  for (int t = 0; t < kDataTypes; ++t) a.reads[int(Level::Array)][t] = a.writes[int(Level::Array)][t] = 0;
  wr(Level::Array, DataType::Psum) = ofmap_words * qr.sum_chain;
  // RF: every MAC reads an ifmap, a filter value and a psum and writes the psum back, less what zero gating
  // saves (makeContext). Fills: each PE receives its ifmap row (Wu values) for its channels and ifmaps in
  // every pass, in each active filter set; each PE receives its filter rows once per pass.
  rd(Level::Rf, DataType::Ifmap) = c.rf_mac_reads[int(DataType::Ifmap)];
  rd(Level::Rf, DataType::Filter) = c.rf_mac_reads[int(DataType::Filter)];
  rd(Level::Rf, DataType::Psum) = c.rf_mac_reads[int(DataType::Psum)];
  wr(Level::Rf, DataType::Psum) = c.rf_mac_psum_writes;
  wr(Level::Rf, DataType::Ifmap) = G * N * C * E * R * c.Wu * pt.sum_t;
  wr(Level::Rf, DataType::Filter) = G * ne.n_groups * E * R * S * Mg * C;
}

namespace {

// Word-equivalent accesses of one on-chip level and data type: narrow data costs its share of a word.
double scaledAccesses(const LayerContext& c, const Accesses& a, Level l, DataType t) {
  return a.at(l, t) * c.width[int(l)][int(t)];
}

}  // namespace

double energyTotal(const LayerContext& c, const Accesses& a) {
  const AcceleratorSpec& s = *c.spec;
  double dram = 0;
  for (int t = 0; t < kDataTypes; ++t) dram += a.at(Level::Dram, DataType(t)) * c.bits_per_word[t];
  // Summed per level, then priced: the mapping search compares these totals, and equal-cost mappings
  // must keep comparing equal.
  auto level = [&](Level l) {
    double words = 0;
    for (int t = 0; t < kDataTypes; ++t) words += scaledAccesses(c, a, l, DataType(t));
    return words * s.energyOf(l);
  };
  return dram / c.word_bits * s.energyOf(Level::Dram) + level(Level::Glb) + level(Level::Array) + level(Level::Rf) +
         c.executed_macs * s.mac_energy.value;
}

// A pass lasts as long as its busiest PE: n*p*q*S*F MACs at one per cycle (gated MACs keep their cycle
// unless the spec skips them). Before it, the filters are loaded into the scratchpads through the GLB
// port (and each PE writes its p*q*S words one per cycle); after it, psums drain up the set column.
Cycles cycles(const LayerContext& c, const Mapping& m, const NeTerms& ne, const QrTerms& qr, const PtTerms& pt,
              const Accesses& a) {
  Cycles y;
  const double G = c.G, N = c.N, S = c.S, F = c.F, k_e = ne.strip->k_e;
  const double busiest = qr.sum_q * pt.sum_p * S;  // per (n-group, strip): sum over passes of p*q*S
  y.compute = G * N * k_e * busiest * F;
  if (c.spec->zeros.skip_gated_cycles.value && c.macs > 0) y.compute *= c.executed_macs / c.macs;
  const double passes = G * ne.n_groups * k_e * qr.k_c * pt.K_f;
  const double filter_reads = a.reads[int(Level::Glb)][int(DataType::Filter)] * c.width[int(Level::Glb)][int(DataType::Filter)];
  const double filter_load = std::max(filter_reads / c.glb_words_per_cycle,
                                      G * ne.n_groups * k_e * busiest);
  y.ramp = filter_load + passes * ((double(c.R) * m.r - 1) + c.spec->latency.pass_overhead_cycles.value);
  for (int t = 0; t < kDataTypes; ++t)
    y.dram[t] = a.at(Level::Dram, DataType(t)) * c.bits_per_word[t] / c.dram_bits_per_cycle;
  return y;
}

double Cycles::latency(const LayerContext& c) const {
  double hidden = 0, exposed = 0;
  for (int t = 0; t < kDataTypes; ++t) (c.overlap[t] ? hidden : exposed) += dram[t];
  return std::max(processing(), hidden) + exposed;
}

void cost(const LayerContext& c, const Mapping& m, LayerCost& out) {
  const AcceleratorSpec& spec = *c.spec;
  const NeTerms ne = neTerms(c, m.n, m.e);
  const QrTerms qr = qrTerms(c, m.q, m.r);
  const PtTerms pt = ptTerms(c, m.p, m.t, m.m);

  out.mapping = m;
  out.macs = c.macs;
  out.nonzero_macs = c.executed_macs;
  out.active_pes = c.R * m.e * m.r * m.t;
  out.utilization = double(out.active_pes) / spec.pe_count.value;
  out.passes = c.G * ne.n_groups * ne.strip->k_e * qr.k_c * pt.K_f;

  Accesses& a = out.accesses;
  accesses(c, ne, qr, pt, a);
  for (int t = 0; t < kDataTypes; ++t) {
    const double words = a.at(Level::Dram, DataType(t));
    out.dram_bits_dense[t] = words * c.word_bits;
    out.dram_bits[t] = words * c.bits_per_word[t];
  }
  const double bytes_per_word = c.word_bits / 8.0;
  out.glb_fmap_bytes =
      (scaledAccesses(c, a, Level::Glb, DataType::Ifmap) + scaledAccesses(c, a, Level::Glb, DataType::Psum)) *
      bytes_per_word;
  out.glb_bytes = out.glb_fmap_bytes + scaledAccesses(c, a, Level::Glb, DataType::Filter) * bytes_per_word;

  EnergyBreakdown& en = out.energy;
  en = EnergyBreakdown{};
  double by_type[kDataTypes];
  for (int t = 0; t < kDataTypes; ++t) {
    const double dram = out.dram_bits[t] / c.word_bits * spec.energyOf(Level::Dram);
    const double glb = scaledAccesses(c, a, Level::Glb, DataType(t)) * spec.energyOf(Level::Glb);
    const double arr = scaledAccesses(c, a, Level::Array, DataType(t)) * spec.energyOf(Level::Array);
    const double rf = scaledAccesses(c, a, Level::Rf, DataType(t)) * spec.energyOf(Level::Rf);
    en.dram += dram;
    en.glb += glb;
    en.array += arr;
    en.rf += rf;
    by_type[t] = dram + glb + arr + rf;
  }
  en.mac = c.executed_macs * spec.mac_energy.value;
  en.ifmap = by_type[int(DataType::Ifmap)];
  en.weight = by_type[int(DataType::Filter)];
  en.ofmap = by_type[int(DataType::Psum)];
  en.computation = en.mac;
  const double u = spec.mac_energy_pj.value;
  out.energy_pj = {en.dram * u,  en.glb * u,   en.array * u,  en.rf * u,         en.mac * u,
                   en.ifmap * u, en.ofmap * u, en.weight * u, en.computation * u};

  const Cycles y = cycles(c, m, ne, qr, pt, a);
  out.compute_cycles = y.compute;
  out.ramp_cycles = y.ramp;
  out.processing_cycles = y.processing();
  out.dram_cycles = 0;
  for (int t = 0; t < kDataTypes; ++t) {
    out.dram_cycles_by_type[t] = y.dram[t];
    out.dram_cycles += y.dram[t];
  }
  out.latency_cycles = y.latency(c);
  out.serial_latency_cycles = out.processing_cycles + out.dram_cycles;
  out.clock_mhz = spec.clock_mhz.value;
}

}  // namespace dnnc::energy::detail
