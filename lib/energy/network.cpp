// evaluateNetwork(): per-layer mapping (file or search), costs, totals; JSON conversion.
#include "lib/energy/network.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace dnnc::energy {

namespace {

// Everything about a layer that its cost depends on (not its name), as a cache key.
std::string shapeKey(const LayerShape& l) {
  std::string k = strCat(int(l.kind), ':', l.N, ',', l.M, ',', l.C, ',', l.G, ',', l.H, ',', l.W, ',', l.pad_top, ',',
                         l.pad_bottom, ',', l.pad_left, ',', l.pad_right, ',', l.R, ',', l.S, ',', l.E, ',', l.F, ',',
                         l.stride_h, ',', l.stride_w, ',', l.dilation_h, ',', l.dilation_w, ',', int(l.first_layer), ',',
                         l.weight_bits, ',', l.ifmap_bits);
  char buf[64];
  for (double v : {l.ifmap.zero_fraction, l.ofmap.zero_fraction, l.weight_zero_fraction}) {
    std::snprintf(buf, sizeof buf, ",%a", v);  // exact
    k += buf;
  }
  for (const FmapSparsity* s : {&l.ifmap, &l.ofmap}) {
    if (!s->zero_runs) continue;
    k += strCat("|h", s->zero_runs->elements, ',', s->zero_runs->nonzeros);
    for (auto r : s->zero_runs->runs) k += strCat(',', r);
  }
  return k;
}

void add(EnergyBreakdown& a, const EnergyBreakdown& b) {
  a.dram += b.dram;
  a.glb += b.glb;
  a.array += b.array;
  a.rf += b.rf;
  a.mac += b.mac;
  a.ifmap += b.ifmap;
  a.ofmap += b.ofmap;
  a.weight += b.weight;
  a.computation += b.computation;
}

nlohmann::json byLevel(const EnergyBreakdown& e) {
  return {{"dram", e.dram}, {"glb", e.glb}, {"array", e.array}, {"rf", e.rf}, {"mac", e.mac}};
}

nlohmann::json byType(const EnergyBreakdown& e) {
  return {{"ifmap", e.ifmap}, {"ofmap", e.ofmap}, {"weight", e.weight}, {"computation", e.computation}};
}

}  // namespace

Expected<NetworkCost> evaluateNetwork(const AcceleratorSpec& spec, const std::vector<LayerShape>& layers,
                                      const NetworkOptions& options) {
  NetworkCost net;
  net.accelerator = spec.name;
  net.objective = options.objective;
  net.compression = options.eval.compression;
  net.clock_mhz = spec.clock_mhz.value;
  net.batch = layers.empty() ? 1 : layers.front().N;
  MappingCache local;
  MappingCache& cache = options.cache ? *options.cache : local;
  const std::string prefix =
      strCat(dumpAcceleratorSpec(spec), '|', objectiveName(options.objective), '|', int(options.eval.compression), '|');
  double pe_cycles = 0;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const LayerShape& l = layers[i];
    Mapping mapping;
    std::string source;
    const MappingEntry* fixed = options.mappings ? options.mappings->find(l.name, int(i)) : nullptr;
    if (fixed) {
      mapping = fixed->mapping;
      source = "file";
    } else {
      std::string key = prefix + shapeKey(l);
      auto it = cache.entries.find(key);
      if (it == cache.entries.end()) {
        DNNC_ASSIGN(Mapping found, searchMapping(spec, l, options.objective, options.eval));
        it = cache.entries.emplace(std::move(key), found).first;
      }
      mapping = it->second;
      source = "search";
    }
    auto cost = evaluate(spec, l, mapping, options.eval);
    if (!cost) {
      if (fixed) return std::move(cost).error().context(strCat("mapping file ", options.mappings->source, ": "));
      return std::move(cost).error();
    }
    cost->mapping_source = source;
    const LayerCost& c = *cost;
    net.macs += c.macs;
    net.nonzero_macs += c.nonzero_macs;
    add(net.energy, c.energy);
    add(net.energy_pj, c.energy_pj);
    net.dram_bytes += c.dramBytes();
    net.dram_bytes_dense += c.dramBytesDense();
    net.glb_bytes += c.glb_bytes;
    net.glb_fmap_bytes += c.glb_fmap_bytes;
    net.compute_cycles += c.compute_cycles;
    net.processing_cycles += c.processing_cycles;
    net.dram_cycles += c.dram_cycles;
    net.latency_cycles += c.latency_cycles;
    net.serial_latency_cycles += c.serial_latency_cycles;
    pe_cycles += double(c.active_pes) * c.processing_cycles;
    net.layers.push_back(std::move(*cost));
  }
  net.active_pes = net.processing_cycles > 0 ? pe_cycles / net.processing_cycles : 0;
  return net;
}

nlohmann::json toJson(const LayerCost& c) {
  nlohmann::json j;
  j["name"] = c.name;
  const Mapping& m = c.mapping;
  j["mapping"] = {{"n", m.n}, {"e", m.e}, {"p", m.p}, {"q", m.q},
                  {"r", m.r}, {"t", m.t}, {"m", m.m}, {"source", c.mapping_source}};
  j["macs"] = c.macs;
  j["nonzero_macs"] = c.nonzero_macs;
  j["active_pes"] = c.active_pes;
  j["utilization"] = c.utilization;
  j["passes"] = c.passes;
  j["energy"] = c.energy.total();
  j["energy_pj"] = c.energy_pj.total();
  j["energy_by_level"] = byLevel(c.energy);
  j["energy_by_type"] = byType(c.energy);
  j["energy_by_level_pj"] = byLevel(c.energy_pj);
  j["energy_by_type_pj"] = byType(c.energy_pj);
  j["dram_bytes"] = c.dramBytes();
  j["dram_bytes_dense"] = c.dramBytesDense();
  j["dram_bytes_by_type"] = {
      {"ifmap", c.dram_bits[0] / 8}, {"weight", c.dram_bits[1] / 8}, {"ofmap", c.dram_bits[2] / 8}};
  j["glb_bytes"] = c.glb_bytes;
  j["glb_fmap_bytes"] = c.glb_fmap_bytes;
  nlohmann::json acc;
  for (int l = 0; l < kLevels; ++l) {
    nlohmann::json lv;
    for (int t = 0; t < kDataTypes; ++t)
      lv[dataTypeName(DataType(t))] = {{"reads", c.accesses.reads[l][t]}, {"writes", c.accesses.writes[l][t]}};
    acc[levelName(Level(l))] = lv;
  }
  j["accesses_words"] = acc;
  j["compute_cycles"] = c.compute_cycles;
  j["processing_cycles"] = c.processing_cycles;
  j["dram_cycles"] = c.dram_cycles;
  j["latency_cycles"] = c.latency_cycles;
  j["serial_latency_cycles"] = c.serial_latency_cycles;
  j["processing_ms"] = c.ms(c.processing_cycles);
  j["latency_ms"] = c.ms(c.latency_cycles);
  j["serial_latency_ms"] = c.ms(c.serial_latency_cycles);
  return j;
}

nlohmann::json toJson(const NetworkCost& n) {
  nlohmann::json j;
  j["accelerator"] = n.accelerator;
  j["objective"] = objectiveName(n.objective);
  j["compression"] = n.compression;
  j["batch"] = n.batch;
  j["layers"] = nlohmann::json::array();
  for (const auto& l : n.layers) j["layers"].push_back(toJson(l));
  nlohmann::json t;
  t["macs"] = n.macs;
  t["nonzero_macs"] = n.nonzero_macs;
  t["active_pes"] = n.active_pes;
  t["energy"] = n.energy.total();
  t["energy_pj"] = n.energy_pj.total();
  t["energy_by_level"] = byLevel(n.energy);
  t["energy_by_type"] = byType(n.energy);
  t["energy_by_level_pj"] = byLevel(n.energy_pj);
  t["energy_by_type_pj"] = byType(n.energy_pj);
  t["dram_bytes"] = n.dram_bytes;
  t["dram_bytes_dense"] = n.dram_bytes_dense;
  t["glb_bytes"] = n.glb_bytes;
  t["glb_fmap_bytes"] = n.glb_fmap_bytes;
  t["compute_cycles"] = n.compute_cycles;
  t["processing_cycles"] = n.processing_cycles;
  t["dram_cycles"] = n.dram_cycles;
  t["latency_cycles"] = n.latency_cycles;
  t["serial_latency_cycles"] = n.serial_latency_cycles;
  t["processing_ms"] = n.processing_cycles / (n.clock_mhz * 1e3);
  t["latency_ms"] = n.latency_ms();
  t["serial_latency_ms"] = n.serial_latency_cycles / (n.clock_mhz * 1e3);
  t["fps"] = n.fps();
  j["total"] = t;
  return j;
}

}  // namespace dnnc::energy
