// The compiled-in accelerator presets: the single source of truth (`dnnc` can dump them). Each is plain
// spec YAML, parsed by the same code as a user's --accel file. Sources are cited inline.
#include <utility>

#include "lib/energy/accelerator_spec.h"

namespace dnnc::energy {

namespace {

// Eyeriss v1, the fabricated chip: Chen, Krishna, Emer, Sze, "Eyeriss: An Energy-Efficient Reconfigurable
// Accelerator for Deep Convolutional Neural Networks", JSSC 52(1), 2017; normalised costs from Chen, Emer,
// Sze, ISCA 2016, Table IV.
constexpr const char* kEyeriss = R"yaml(
name: eyeriss
description: "Eyeriss v1 (JSSC 2017): 12x14 PEs, 16-bit, 108 kB GLB, RLC fmaps in DRAM, zero-gated ifmaps"
dataflow: row-stationary
word_bits: 16
clock_mhz: 200                 # core clock of the AlexNet measurements (JSSC 2017 Table V)
pe_array: {rows: 12, cols: 14}
mac:
  energy: 1                    # the normalisation unit (ISCA 2016 Table IV)
  energy_pj: 2.7               # see docs/accelerator-spec.md: calibrated once on the chip's AlexNet core energy
levels:
  - name: DRAM
    class: dram
    width_bits: 64             # 64-bit link to the off-chip DRAM ...
    clock_mhz: 60              # ... at 60 MHz
    energy: 200
    stores_padding: true       # fmaps travel with their zero padding (JSSC 2017 DRAM traffic)
  - name: GLB
    class: global_buffer
    width_bits: 64             # 27 banks of 512 x 64 b
    energy: 6
    partitions:
      - {types: [ifmap, psum], size_kb: 100}
      - {types: [filter], size_kb: 8}
  - name: array
    class: array_noc
    energy: 2                  # inter-PE (psum accumulation up a PE-set column)
  - name: RF
    class: pe_spad
    energy: 1
    partitions:
      - {types: [ifmap], size_words: 12}
      - {types: [filter], size_words: 224}
      - {types: [psum], size_words: 24}
zero_handling:
  gate_ifmap_zeros: true       # a zero ifmap (flagged in the ifmap spad) gates the filter-spad read and
  ifmap_zero_gates: [mac, filter_read]   # the MAC (JSSC 2017); the psum is still read and written
  gate_weight_zeros: false
  skip_gated_cycles: false
  fmap_compression: rlc        # ifmaps and ofmaps in DRAM (not filters)
  weight_compression: none
  compress_first_layer_ifmap: false
  rlc_run_bits: 5              # 5-bit run, 16-bit level, 3 pairs + 1 term bit per 64-bit word
  rlc_word_bits: 64
latency:
  overlap_dram: [filter]       # filters stream into their own 8 kB buffer while the PEs compute;
                               # ifmap loads and ofmap drains go through the ifmap/psum GLB, which the
                               # mapping fills: they stall the array
  pass_overhead_cycles: 0
)yaml";

// Eyeriss's array and costs with the sparsity handling of Yang, Chen, Sze, "Designing Energy-Efficient
// Convolutional Neural Networks using Energy-Aware Pruning", CVPR 2017: weights and fmaps in DRAM coded
// with a significance map (1 bit per value, plus 16 bits per nonzero), a MAC skipped with its filter read
// and psum update when either operand is zero. The default target of energy-aware pruning.
constexpr const char* kEyerissSparse = R"yaml(
base: eyeriss                  # the chip's array, buffers, costs and latency
name: eyeriss-sparse
description: "Eyeriss with Yang et al. 2017 sparsity: significance-map weights and fmaps, zero operands skip MACs"
zero_handling:
  # The accounting of Yang et al. (CVPR 2017) and of their energy-estimation tool (Yang, Chen, Emer, Sze,
  # Asilomar 2017): a MAC with a zero operand is not performed, and with it go the filter read and the psum
  # accumulation (psum read and write-back) in the scratchpads; the ifmap value is still read (that is where
  # the zero is detected). Zero weights are never fetched into the MAC either (sparse filters).
  gate_ifmap_zeros: true
  ifmap_zero_gates: [mac, filter_read, psum_read, psum_write]
  gate_weight_zeros: true
  weight_zero_gates: [mac, filter_read, psum_read, psum_write]
  skip_gated_cycles: false     # energy is skipped; the Eyeriss array keeps its cycle schedule
  fmap_compression: significance-map
  weight_compression: significance-map
  compress_first_layer_ifmap: false
)yaml";

// The Eyeriss chip with UCNN's weight-repetition support (Hegde et al., ISCA 2018) added to its PEs: dot
// products factorised over repeated weights, two filters sharing their input sub-group sums. Everything
// else, the zero gating included, is the chip's (`base: eyeriss`); lib/energy/ucnn.h says what changes.
constexpr const char* kEyerissUcnn = R"yaml(
base: eyeriss
name: eyeriss-ucnn
description: "Eyeriss v1 with UCNN factorised dot products (Hegde et al. 2018), activation group reuse 2"
weight_repetition:
  factorized_dot_products: true
  activation_group_reuse: 2    # UCNN's G = 2 design point
  multiply_energy: 0.87        # 8-bit shares of Horowitz, ISSCC 2014 (multiply 0.2 pJ, add 0.03 pJ)
  add_energy: 0.13
)yaml";

// A hypothetical 8-bit edge accelerator, to show that nothing is hard-wired: a 16x16 row-stationary array,
// 8-bit words, a 128 kB GLB, LPDDR4 x32 link, energies in pJ (illustrative 28 nm figures scaled from
// Horowitz, ISSCC 2014: 8-bit MAC ~0.12 pJ, small register file ~0.1 pJ/B, 128 kB SRAM ~1.2 pJ/B,
// LPDDR4 ~4 pJ/bit).
constexpr const char* kEdge8 = R"yaml(
name: edge-8bit
description: "Illustrative 8-bit edge RS accelerator: 16x16 PEs, 128 kB GLB, LPDDR4 x32, energies in pJ"
dataflow: row-stationary
word_bits: 8
clock_mhz: 500
pe_array: {rows: 16, cols: 16}
mac: {energy_pj: 0.12}
levels:
  - {name: DRAM, class: dram, width_bits: 32, clock_mhz: 1600, energy_pj: 32, stores_padding: false}
  - name: GLB
    class: global_buffer
    width_bits: 64
    energy_pj: 1.2
    partitions:
      - {types: [ifmap, psum], size_kb: 112}
      - {types: [filter], size_kb: 16}
  - {name: NoC, class: array_noc, energy_pj: 0.24}
  - name: spads
    class: pe_spad
    energy_pj: 0.1
    partitions:
      - {types: [ifmap], size_words: 16}
      - {types: [filter], size_words: 256}
      - {types: [psum], size_words: 32}
zero_handling:
  gate_ifmap_zeros: true
  fmap_compression: rlc
  rlc_run_bits: 5
  rlc_word_bits: 64
latency:
  overlap_dram: [ifmap, filter, psum]   # double-buffered GLB: all DRAM traffic overlaps processing
)yaml";

const std::pair<const char*, const char*> kPresets[] = {
    {"eyeriss", kEyeriss},
    {"eyeriss-sparse", kEyerissSparse},
    {"edge-8bit", kEdge8},
    {"eyeriss-ucnn", kEyerissUcnn},
};

}  // namespace

std::vector<std::string> presetNames() {
  std::vector<std::string> names;
  for (const auto& p : kPresets) names.push_back(p.first);
  return names;
}

Expected<std::string> presetYaml(const std::string& name) {
  for (const auto& p : kPresets)
    if (name == p.first) return std::string(p.second);
  return Error(Exit::Input, "no accelerator preset named '", name, "'");
}

}  // namespace dnnc::energy
