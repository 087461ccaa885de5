// Row-stationary mapping search: exhaustive over (n, e, p, q, r, t) under the array, scratchpad and GLB
// limits, with m the largest multiple of p*t whose psums fit the GLB (a larger m never costs more: it only
// cuts the ifmap re-reads from DRAM). Strip widths e are the smallest for each strip count (ceil(E/k)),
// since a wider strip with the same count only idles PEs.
// Ref: Chen, Emer, Sze, "Eyeriss: A Spatial Architecture for Energy-Efficient Dataflow for CNNs", ISCA 2016.
#include <algorithm>
#include <cmath>
#include <vector>

#include "lib/energy/energy_model.h"
#include "lib/energy/rs_core.h"

namespace dnnc::energy {

namespace {

std::vector<int> batchCandidates(int N) {
  std::vector<int> out;
  for (int n = 1; n <= N; ++n)
    if (N <= 16 || N % n == 0) out.push_back(n);
  return out;
}

std::vector<int> stripCandidates(int E) {
  std::vector<int> out;
  for (int k = 1; k <= E; ++k) {
    int e = (E + k - 1) / k;
    if (out.empty() || out.back() != e) out.push_back(e);
  }
  return out;
}

// The words the GLB partition holding psums has left for them, per unit of m.
int largestM(const detail::LayerContext& c, const Mapping& m) {
  const detail::Capacity& cap = c.glb;
  const int psum_part = cap.part[int(DataType::Psum)];
  const detail::StripGeometry& g = c.strips[m.e];
  const double ch = std::min(m.q * m.r, c.C), filt = std::min(m.p * m.t, c.Mg);
  double others = 0;
  if (cap.part[int(DataType::Ifmap)] == psum_part) others += double(m.n) * ch * g.h_max * c.Wu;
  if (cap.part[int(DataType::Filter)] == psum_part) others += filt * ch * c.R * c.S;
  const double per_m = double(m.n) * m.e * c.F;
  const double room = cap.size[psum_part] - others;
  if (room < per_m) return 0;
  const long m_cap = long(std::floor(room / per_m + 1e-9));
  if (m_cap >= c.Mg) return c.Mg;
  const int pt = m.p * m.t;
  return int(m_cap / pt) * pt;
}

// Lower bounds on (energy, latency) of every mapping that shares (n, e) and, when given, (q, r). The
// energy is linear in the pass counts with non-negative coefficients, so setting each count to its
// minimum (k_m = K_f = k_c = 1, no psum chain, one filter set) bounds it from below; the busiest PE does
// at least C*Mg / (r*t) channel-filter pairs per (n-group, strip), and r*t is at most the sets that fit.
struct Bound {
  double energy = 0, latency = 0;
};

Bound lowerBound(const detail::LayerContext& c, const detail::NeTerms& ne, const detail::QrTerms* qr, int r, int sets) {
  detail::QrTerms q0;
  q0.k_c = 1;
  const detail::QrTerms& q = qr ? *qr : q0;
  detail::PtTerms pt;
  pt.k_m = 1;
  pt.K_f = 1;
  pt.sum_t = 1;
  Accesses a;
  detail::accesses(c, ne, q, pt, a);
  Bound b;
  b.energy = detail::energyTotal(c, a);
  const double k_e = ne.strip->k_e;
  const double pairs = qr ? qr->sum_q * double(c.Mg) * r / sets : double(c.C) * c.Mg / sets;
  double compute = double(c.G) * c.N * k_e * pairs * c.S * c.F;
  if (c.spec->zeros.skip_gated_cycles.value && c.macs > 0) compute *= c.executed_macs / c.macs;
  double hidden = 0, exposed = 0;
  for (int t = 0; t < kDataTypes; ++t) {
    const double cyc = a.at(Level::Dram, DataType(t)) * c.bits_per_word[t] / c.dram_bits_per_cycle;
    (c.overlap[t] ? hidden : exposed) += cyc;
  }
  b.latency = std::max(compute, hidden) + exposed;
  return b;
}

double objectiveOf(Objective o, double energy, double latency) {
  return o == Objective::Energy ? energy : o == Objective::Latency ? latency : energy * latency;
}

}  // namespace

Expected<Mapping> searchMapping(const AcceleratorSpec& spec, const LayerShape& layer, Objective objective,
                                const EvalOptions& options) {
  DNNC_TRY(validateLayer(layer));
  const detail::LayerContext c = detail::makeContext(spec, layer, options);
  const std::vector<int> ns = batchCandidates(c.N), es = stripCandidates(c.E);
  auto rfFits = [&](int p, int q) {
    const double need[kDataTypes] = {double(q) * c.S, double(p) * q * c.S, double(p)};
    double used[kDataTypes] = {0, 0, 0};
    for (int t = 0; t < kDataTypes; ++t) used[c.rf.part[t]] += need[t];
    for (std::size_t i = 0; i < c.rf.size.size(); ++i)
      if (used[i] > c.rf.size[i] + 1e-9) return false;
    return true;
  };

  Accesses a;
  Mapping m, best;
  bool found = false;
  double best_obj = 0, best_energy = 0, best_latency = 0;
  // A bound strictly above the best cannot win, not even on a tie.
  auto pruned = [&](const Bound& b) { return found && objectiveOf(objective, b.energy, b.latency) > best_obj; };
  for (int n : ns) {
    m.n = n;
    for (int e : es) {
      m.e = e;
      const int segs = (e + c.cols - 1) / c.cols;
      const int set_h = c.R * segs, set_w = std::min(e, c.cols);
      if (set_h > c.rows) continue;
      const int sets = (c.rows / set_h) * (c.cols / set_w);
      const detail::NeTerms ne = detail::neTerms(c, n, e);
      if (pruned(lowerBound(c, ne, nullptr, 1, sets))) continue;
      // Scratchpad needs grow with q and p: stop at the first overflow.
      for (int q = 1; q <= c.C && rfFits(1, q); ++q) {
        m.q = q;
        for (int r = 1; r <= sets && (r - 1) * q < c.C; ++r) {
          m.r = r;
          const detail::QrTerms qr = detail::qrTerms(c, q, r);
          if (pruned(lowerBound(c, ne, &qr, r, sets))) continue;
          for (int p = 1; p <= c.Mg && rfFits(p, q); ++p) {
            m.p = p;
            for (int t = 1; r * t <= sets && (t - 1) * p < c.Mg; ++t) {
              m.t = t;
              m.m = largestM(c, m);
              if (m.m == 0 || !detail::fits(c, m, nullptr)) continue;
              const detail::PtTerms pt = detail::ptTerms(c, p, t, m.m);
              detail::accesses(c, ne, qr, pt, a);
              const double energy = detail::energyTotal(c, a);
              const double latency = detail::cycles(c, m, ne, qr, pt, a).latency(c);
              const double obj = objectiveOf(objective, energy, latency);
              bool better = !found || obj < best_obj;
              if (found && obj == best_obj)
                better = energy < best_energy || (energy == best_energy && latency < best_latency);
              if (better) {
                best = m;
                best_obj = obj;
                best_energy = energy;
                best_latency = latency;
                found = true;
              }
            }
          }
        }
      }
    }
  }
  if (!found)
    return Error(Exit::Input, "no row-stationary mapping of layer '", layer.name, "' fits '", spec.name, "' (R=", c.R,
                 " filter rows on ", c.rows, " PE rows, scratchpads and GLB as specified)")
        .withHint("give a larger PE array, scratchpads or global buffer in the accelerator spec");
  return best;
}

}  // namespace dnnc::energy
