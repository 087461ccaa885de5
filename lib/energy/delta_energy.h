// Feature maps in DRAM coded as differences (delta_stats.h) instead of values: the DRAM traffic and energy
// of every layer's ifmap reads and ofmap writes with each coding, next to the same traffic with the values
// coded. Each coding's zero runs (16-bit words: the values, the spatial deltas, the temporal deltas) are fed
// to the energy model exactly as measured activation zeros are (resolveActSparsity, setActivationSparsity:
// a layer's ofmap is coded like the next layer's input), and each layer is evaluated again under the mapping
// already chosen; only the feature-map DRAM bits are taken from it. A last coding, "adaptive", codes each
// tensor as whichever of values and deltas RLC-codes smaller (a per-tensor choice, one flag bit, not counted):
// deltas destroy the zeros of sparse ReLU outputs, so no one coding wins everywhere.
//
// What is assumed: deltas are RLC-coded in place of values (same run/level fields, same word), decoded back
// to values between DRAM and the global buffer, so the GLB, the array, the PEs and the zero gating of MACs
// see the values as before: only DRAM feature-map traffic and its energy change (the GLB holds uncoded words
// in this model, as in Eyeriss). A coding that would expand a tensor is sent dense, as for values. The latency
// is not re-evaluated. Weights are not delta coded.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lib/energy/delta_stats.h"
#include "lib/energy/energy.h"
#include "lib/energy/onnx_layers.h"

namespace dnnc::energy {

// One coding of the feature maps, per layer.
struct DeltaCoding {
  std::string name;                    // raw, spatial, temporal
  std::vector<double> ifmap_dram_bits;  // per layer
  std::vector<double> ofmap_dram_bits;
  std::vector<double> energy;           // the layer's whole energy (MAC units) with this coding
  double fmapDramBits() const;
  double totalEnergy() const;
};

struct DeltaEnergy {
  std::vector<DeltaCoding> codings;  // raw, spatial, then temporal with frames, then adaptive
  // Per measured input (the consuming node), the coding "adaptive" chose.
  std::vector<std::pair<std::string, std::string>> adaptive_choice;
  std::vector<std::string> unmeasured;  // layers whose input the measurement did not see (coded dense)
  double fmap_dram_pj_per_bit = 0;      // DRAM energy per bit, pJ
};

// Checks that the spec codes feature maps with RLC on 16-bit words (Exit::Usage otherwise).
Status checkDeltaSpec(const AcceleratorSpec& spec, bool compression);

// Every layer under each coding of `stats` (from collectDeltaStats on the same model).
Expected<DeltaEnergy> deltaEnergy(const AcceleratorSpec& spec, const OnnxLayers& layers, const NetworkCost& cost,
                                  const std::vector<DeltaStats>& stats, bool frames);

// The report's "delta" object of a model, and the text table.
nlohmann::json deltaEnergyJson(const DeltaEnergy& d, const OnnxLayers& layers, const NetworkCost& cost);
std::string formatDeltaEnergy(const DeltaEnergy& d, const OnnxLayers& layers, const NetworkCost& cost);

}  // namespace dnnc::energy
