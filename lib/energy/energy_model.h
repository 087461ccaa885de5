// The row-stationary energy and latency model: accesses per storage level and data type, energy by
// level and by data type, processing cycles and DRAM time, for one layer under one mapping.
//
// Loop order of the passes (JSSC 2017 Sec. IV; ISCA 2016 Sec. V-C), per group:
//   for each n-group (n ifmaps)               filters re-read from DRAM once per n-group ...
//    for each strip of e ofmap rows            ... and once per strip
//     for each m-group (m filters)             ifmaps re-read from DRAM once per m-group
//      for each channel group (q*r channels)   ifmap rows of the strip loaded into the GLB
//       for each filter pass (p*t filters)     filters loaded into the scratchpads; one processing pass
//      ofmaps of the m-group written to DRAM once (psums never leave the chip)
// The derivation of every count is in docs/energy-model.md.
#pragma once
#include <array>
#include <string>

#include "lib/energy/accelerator_spec.h"
#include "lib/energy/layer_shape.h"
#include "lib/energy/mapping.h"

namespace dnnc::energy {

enum class Objective { Energy, Latency, Edp };
Expected<Objective> parseObjective(const std::string& s);  // "energy", "latency", "edp" (Exit::Usage otherwise)
const char* objectiveName(Objective o);

struct EvalOptions {
  bool compression = true;  // false: dense DRAM traffic whatever the spec says (`--no-rlc`)
};

// Word accesses (reads + writes) per level and data type. DRAM words are dense words moved; the
// compressed traffic is LayerCost::dram_bits.
struct Accesses {
  std::array<std::array<double, kDataTypes>, kLevels> reads{}, writes{};
  double at(Level l, DataType t) const { return reads[int(l)][int(t)] + writes[int(l)][int(t)]; }
  double at(Level l) const;
};

// Energy split both ways; the two splits have the same total.
struct EnergyBreakdown {
  // by level
  double dram = 0, glb = 0, array = 0, rf = 0, mac = 0;
  // by data type (ofmap includes psums)
  double ifmap = 0, ofmap = 0, weight = 0, computation = 0;
  double total() const { return dram + glb + array + rf + mac; }
};

struct LayerCost {
  std::string name;
  Mapping mapping;
  std::string mapping_source;  // "search", "file" or "given"

  // Work.
  double macs = 0;          // N*M*C*R*S*E*F, padding included
  double nonzero_macs = 0;  // MACs executed: not gated or skipped for zero operands (padding counts as zero)
  int active_pes = 0;       // R * e * r * t
  double utilization = 0;   // active_pes / PEs in the array
  double passes = 0;        // processing passes

  // Data movement.
  Accesses accesses;
  std::array<double, kDataTypes> dram_bits{};        // as transferred (compressed where the spec says so)
  std::array<double, kDataTypes> dram_bits_dense{};  // without compression
  double dramBytes() const { return (dram_bits[0] + dram_bits[1] + dram_bits[2]) / 8.0; }
  double dramBytesDense() const { return (dram_bits_dense[0] + dram_bits_dense[1] + dram_bits_dense[2]) / 8.0; }
  double glb_bytes = 0;       // all GLB accesses (ifmap/psum and filter partitions)
  double glb_fmap_bytes = 0;  // ifmap + psum accesses only (what JSSC 2017 Table V counts)

  // Energy, normalised to one MAC, and in pJ.
  EnergyBreakdown energy;
  EnergyBreakdown energy_pj;

  // Latency, in core cycles.
  double compute_cycles = 0;     // busiest PE's MACs summed over passes
  double ramp_cycles = 0;        // per-pass filter loading, psum drain and fixed overhead
  double processing_cycles = 0;  // compute + ramp
  double dram_cycles = 0;        // all DRAM traffic at the link's bandwidth
  std::array<double, kDataTypes> dram_cycles_by_type{};
  double latency_cycles = 0;         // processing with the overlappable DRAM traffic hidden behind it
  double serial_latency_cycles = 0;  // processing + all DRAM time (no overlap)
  double clock_mhz = 0;
  double ms(double cycles) const { return cycles / (clock_mhz * 1e3); }
};

// Checks a mapping against the layer and the spec: ranges, PE array fit, scratchpad and GLB capacities.
// The error (Exit::Input) names the layer, the parameter or the overflowing buffer, with the numbers.
Status validateMapping(const AcceleratorSpec& spec, const LayerShape& layer, const Mapping& mapping);

// Cost of one layer under a given mapping (validated first).
Expected<LayerCost> evaluate(const AcceleratorSpec& spec, const LayerShape& layer, const Mapping& mapping,
                             const EvalOptions& options = {});

// The best mapping under the capacity limits for the objective (ties: lower energy, then lower latency,
// then the smallest (n, e, p, q, r, t)). Deterministic. Fails (Exit::Input) when no mapping fits, e.g. a
// filter taller than the PE array.
Expected<Mapping> searchMapping(const AcceleratorSpec& spec, const LayerShape& layer, Objective objective,
                                const EvalOptions& options = {});

// The value an objective minimises.
double objectiveValue(const LayerCost& cost, Objective objective);

}  // namespace dnnc::energy
