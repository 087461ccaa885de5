// Whole-network evaluation: a mapping per layer (fixed from a mapping file, else searched), per-layer
// costs and totals, and their JSON form for `dnnc energy --json`.
#pragma once
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "lib/energy/energy_model.h"

namespace dnnc::energy {

// Searched mappings remembered across evaluateNetwork calls, e.g. inside a pruning loop where only a few
// layers change between calls. Keyed by the resolved spec, the objective, the options and everything about
// a layer but its name (shape and sparsity), so one cache may serve several specs.
struct MappingCache {
  std::map<std::string, Mapping> entries;
};

struct NetworkOptions {
  Objective objective = Objective::Energy;
  const MappingTable* mappings = nullptr;  // layers it names use its mapping; the others are searched
  EvalOptions eval;
  MappingCache* cache = nullptr;  // optional; without it, identical shapes are still searched once per call
};

struct NetworkCost {
  std::string accelerator;
  Objective objective = Objective::Energy;
  bool compression = true;
  int batch = 1;
  std::vector<LayerCost> layers;

  // Totals (sums over layers).
  double macs = 0, nonzero_macs = 0;
  EnergyBreakdown energy, energy_pj;
  double dram_bytes = 0, dram_bytes_dense = 0, glb_bytes = 0, glb_fmap_bytes = 0;
  double compute_cycles = 0, processing_cycles = 0, dram_cycles = 0, latency_cycles = 0, serial_latency_cycles = 0;
  double active_pes = 0;  // average over time: sum(active_pes * processing_cycles) / sum(processing_cycles)
  double clock_mhz = 0;
  double latency_ms() const { return latency_cycles / (clock_mhz * 1e3); }
  double fps() const { return latency_cycles > 0 ? batch * clock_mhz * 1e6 / latency_cycles : 0; }
};

// Evaluates every layer in order. Layers are identified in a mapping file by name, or by their 0-based
// position in `layers`. Identical shapes (sparsity included) are searched once. Deterministic.
Expected<NetworkCost> evaluateNetwork(const AcceleratorSpec& spec, const std::vector<LayerShape>& layers,
                                      const NetworkOptions& options = {});

// JSON with the keys of the `dnnc energy --json` contract: per layer name, mapping, macs, nonzero_macs,
// active_pes, utilization, energy, energy_pj, energy_by_level, energy_by_type (normalised and _pj),
// dram_bytes, glb_bytes, processing_cycles, latency_cycles, ...; totals under "total".
nlohmann::json toJson(const LayerCost& cost);
nlohmann::json toJson(const NetworkCost& cost);

}  // namespace dnnc::energy
