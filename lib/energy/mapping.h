// Row-stationary mapping parameters (Chen et al., ISCA 2016 Sec. V; JSSC 2017 Table III) and the
// per-layer mapping file (`--mapping FILE.yaml`, docs/examples/eyeriss-alexnet-mapping.yaml).
//
// A logical PE set of R x e PEs computes e ofmap rows of one (ifmap, filter) channel pair; it is
// folded onto the physical array (e > cols: segments stacked vertically) or replicated r x t times.
//   n  ifmaps (batch items) per processing pass
//   e  ofmap rows per PE set: the strip width when E is strip-mined (e < E)
//   p  filters per PE (interleaved in the filter and psum scratchpads)
//   q  channels per PE
//   r  PE sets that process different channels (their psums add up in the array)
//   t  PE sets that process different filters (they share the ifmap)
//   m  ofmap channels whose psums stay in the GLB (ifmaps are re-read from DRAM once per m-group)
#pragma once
#include <string>
#include <vector>

#include "lib/support/error.h"

namespace dnnc::energy {

struct Mapping {
  int n = 1, e = 1, p = 1, q = 1, r = 1, t = 1, m = 1;
  friend bool operator==(const Mapping&, const Mapping&) = default;
  friend auto operator<=>(const Mapping&, const Mapping&) = default;
};

std::string toString(const Mapping& m);  // "n=1 e=7 p=16 q=1 r=1 t=2 m=96"

struct MappingEntry {
  std::string name;  // layer name, or empty when selected by index
  int index = -1;    // 0-based position among the Conv/FC layers, or -1 when selected by name
  Mapping mapping;
};

struct MappingTable {
  std::string source;
  std::vector<MappingEntry> entries;
  // The mapping for a layer: by name first, then by index; nullptr when the file does not fix it.
  const MappingEntry* find(const std::string& name, int index) const;
};

// File format:
//   layers:
//     - {name: conv1, n: 1, e: 7, p: 16, q: 1, r: 1, t: 2, m: 96}
//     - {index: 1, n: 1, e: 27, p: 16, q: 2, r: 1, t: 1, m: 64}
// Errors (Exit::Input) name the entry and the field.
Expected<MappingTable> loadMappingFile(const std::string& path);
Expected<MappingTable> parseMappingTable(const std::string& yaml_text, const std::string& source);

}  // namespace dnnc::energy
