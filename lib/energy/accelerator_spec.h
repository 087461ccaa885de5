// AcceleratorSpec: a row-stationary accelerator described the way Timeloop users know it, kept simple:
// an ordered list of storage levels (DRAM, global buffer, array network, PE scratchpads) with sizes split
// by data type, port widths, clocks and per-access energies, plus the PE array, the MAC, the dataflow and
// the zero handling. Every field records whether it was given, defaulted or derived. The YAML format is
// documented in docs/accelerator-spec.md; the presets (`eyeriss`, `eyeriss-sparse`, `edge-8bit`) are YAML
// texts compiled into the binary (presets.cpp) and parsed by the same code as users' files.
#pragma once
#include <array>
#include <functional>
#include <string>
#include <vector>

#include "lib/support/error.h"

namespace dnnc::energy {

enum class Provenance { Given, Defaulted, Derived };
const char* provenanceName(Provenance p);

template <class T>
struct Field {
  T value{};
  Provenance from = Provenance::Defaulted;
  const T& operator()() const { return value; }
};

// The three data types of a convolution. Psum covers the ofmap (a finished psum).
enum class DataType { Ifmap = 0, Filter = 1, Psum = 2 };
inline constexpr int kDataTypes = 3;
const char* dataTypeName(DataType t);  // "ifmap", "filter", "psum"

// The storage levels of the row-stationary hierarchy, outermost first.
enum class Level { Dram = 0, Glb = 1, Array = 2, Rf = 3 };
inline constexpr int kLevels = 4;
const char* levelName(Level l);   // "dram", "glb", "array", "rf"
const char* levelClass(Level l);  // the YAML class: "dram", "global_buffer", "array_noc", "pe_spad"

enum class Compression { None, Rlc, SignificanceMap };
const char* compressionName(Compression c);  // "none", "rlc", "significance-map"

// What a zero operand saves inside a PE: the MAC and the scratchpad accesses of that one MAC. Only this level
// can act per operand: the levels above move whole rows and tiles (zeros there save only through the DRAM
// compression). YAML: a list of mac, ifmap_read, filter_read, psum_read, psum_write.
struct GatedAccesses {
  bool mac = false, ifmap_read = false, filter_read = false, psum_read = false, psum_write = false;
  bool operator==(const GatedAccesses& o) const {
    return mac == o.mac && ifmap_read == o.ifmap_read && filter_read == o.filter_read &&
           psum_read == o.psum_read && psum_write == o.psum_write;
  }
};
std::string gatedAccessesList(const GatedAccesses& g);  // "[mac, filter_read]"

// A slice of a level's capacity shared by some data types (e.g. Eyeriss's GLB: 100 kB ifmap+psum, 8 kB filter).
struct Partition {
  std::vector<DataType> types;
  Field<double> size_words;
};

struct StorageLevel {
  std::string name;
  Level kind = Level::Dram;
  Field<double> energy;     // per word access, normalised to one MAC
  Field<double> energy_pj;  // per word access, pJ
  Field<int> width_bits;    // port width: the DRAM link, the GLB port (0 = not modelled)
  Field<double> clock_mhz;  // DRAM link clock
  // Derived: DRAM: link bits per core cycle; GLB: words per cycle per partition port.
  Field<double> bandwidth_per_cycle;
  Field<bool> stores_padding;  // DRAM only: fmaps are stored with their zero padding
  std::vector<Partition> partitions;

  // The partition holding `t`, or nullptr.
  const Partition* partitionOf(DataType t) const;
};

struct AcceleratorSpec {
  std::string name;
  Field<std::string> description;
  Field<std::string> dataflow;  // "row-stationary" (the only one modelled)
  Field<int> word_bits;
  Field<double> clock_mhz;  // core clock
  Field<int> pe_rows, pe_cols;
  Field<int> pe_count;                       // derived
  Field<double> mac_energy;                  // normalised: 1 by definition
  Field<double> mac_energy_pj;               // the normalised unit, in pJ
  std::array<StorageLevel, kLevels> levels;  // indexed by Level

  struct ZeroHandling {
    Field<bool> gate_ifmap_zeros;           // zero ifmap values are detected and gated ...
    Field<bool> gate_weight_zeros;          // ... zero weights likewise
    Field<GatedAccesses> ifmap_zero_gates;  // ... saving these (default: the MAC and the filter-spad read)
    Field<GatedAccesses> weight_zero_gates;
    Field<bool> skip_gated_cycles;          // gated MACs also save their cycle (false on Eyeriss v1)
    Field<Compression> fmap_compression;    // ifmaps and ofmaps in DRAM
    Field<Compression> weight_compression;  // filters in DRAM
    Field<bool> compress_first_layer_ifmap;
    Field<int> rlc_run_bits;        // Eyeriss: 5
    Field<int> rlc_word_bits;       // Eyeriss: 64 (3 pairs + 1 term bit)
    Field<int> rlc_pairs_per_word;  // derived: (rlc_word_bits - 1) / (run_bits + word_bits)
  } zeros;

  // UCNN (Hegde et al., ISCA 2018): dot products factorised over repeated weights (lib/energy/ucnn.h).
  struct WeightRepetition {
    Field<bool> factorized_dot_products;  // the accelerator supports it (default false)
    Field<int> activation_group_reuse;    // G filters share their input sub-group sums (default 1)
    Field<double> multiply_energy;        // one multiply, normalised to a MAC (default 0.87)
    Field<double> add_energy;             // one addition, normalised to a MAC (default 0.13)
  } repetition;

  // Data stored narrower than word_bits: a shared layer's codebook indices, a quantized layer's INT8
  // weights or activations. On the levels listed they travel and are stored at their own width, so each
  // access costs width/word_bits of a word's energy and DRAM time; elsewhere (and by default everywhere)
  // they are expanded to words first. Capacities stay counted in words.
  struct NarrowData {
    Field<std::vector<Level>> levels;  // default: none
    bool at(Level l) const {
      for (Level x : levels.value)
        if (x == l) return true;
      return false;
    }
  } narrow;

  struct Latency {
    // DRAM traffic that streams while the array computes (hidden up to the processing time); the rest stalls.
    Field<std::vector<DataType>> overlap_dram;
    Field<double> pass_overhead_cycles;  // fixed cycles per processing pass (configuration, pipeline fill)
  } latency;

  const StorageLevel& level(Level l) const { return levels[static_cast<int>(l)]; }
  double energyOf(Level l) const { return level(l).energy.value; }
};

// Names of the compiled-in presets, and their YAML text.
std::vector<std::string> presetNames();
Expected<std::string> presetYaml(const std::string& name);

// Loads a preset by name, or else a YAML file by path. Errors name the field, with Exit::Input.
Expected<AcceleratorSpec> loadAcceleratorSpec(const std::string& preset_or_path);
// Parses YAML text; `source` names it in errors (a path or "preset 'eyeriss'").
Expected<AcceleratorSpec> parseAcceleratorSpec(const std::string& yaml_text, const std::string& source);

// Visits every field with its dotted path, printed value and provenance, in a fixed order.
void forEachField(const AcceleratorSpec& spec,
                  const std::function<void(const std::string& path, const std::string& value, Provenance)>& fn);
// The fully resolved spec as YAML, every field annotated `# given|defaulted|derived`. It parses back to
// the same spec.
std::string dumpAcceleratorSpec(const AcceleratorSpec& spec);

}  // namespace dnnc::energy
