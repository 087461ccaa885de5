// Feature-map DRAM traffic and energy with delta coding (see delta_energy.h).
#include "lib/energy/delta_energy.h"

#include <cmath>

#include "lib/report/table.h"

namespace dnnc::energy {

namespace {

const char* const kAssumed =
    "deltas RLC-coded in place of values in DRAM (same run/level fields), decoded before the global buffer: GLB, "
    "array, PEs and zero gating see the values, so only feature-map DRAM traffic and its energy change; the first "
    "layer's input is RLC-coded too (whatever compress_first_layer_ifmap says), a coding that would expand a tensor "
    "is sent dense; latency not re-evaluated; weights not delta coded";

double fmapDramEnergy(const AcceleratorSpec& spec, double bits) {
  return bits / spec.word_bits.value * spec.energyOf(Level::Dram);
}

std::vector<std::pair<std::string, const CodedStream DeltaStats::*>> streams(bool frames) {
  std::vector<std::pair<std::string, const CodedStream DeltaStats::*>> s = {{"raw", &DeltaStats::raw},
                                                                           {"spatial", &DeltaStats::spatial}};
  if (frames) s.emplace_back("temporal", &DeltaStats::temporal);
  return s;
}

// The coding with the fewest RLC bits per value: raw unless a delta stream is strictly smaller.
std::pair<std::string, const CodedStream*> adaptiveStream(const DeltaStats& s, bool frames) {
  std::pair<std::string, const CodedStream*> best = {"raw", &s.raw};
  for (const auto& [name, member] : streams(frames))
    if ((s.*member).values() > 0 && (s.*member).rlcBitsPerValue() < best.second->rlcBitsPerValue())
      best = {name, &(s.*member)};
  return best;
}

std::string sig(double v) {
  if (v == 0 || !std::isfinite(v)) return v == 0 ? "0" : "-";
  int digits = 2 - int(std::floor(std::log10(std::abs(v))));
  return formatFixed(v, std::clamp(digits, 0, 6));
}

}  // namespace

double DeltaCoding::fmapDramBits() const {
  double b = 0;
  for (size_t i = 0; i < ifmap_dram_bits.size(); ++i) b += ifmap_dram_bits[i] + ofmap_dram_bits[i];
  return b;
}

double DeltaCoding::totalEnergy() const {
  double e = 0;
  for (double v : energy) e += v;
  return e;
}

Status checkDeltaSpec(const AcceleratorSpec& spec, bool compression) {
  if (!compression) return Error(Exit::Usage, "--delta codes feature maps with RLC; --no-rlc turns that off");
  if (spec.zeros.fmap_compression.value != Compression::Rlc)
    return Error(Exit::Usage, "--delta needs feature maps RLC-coded in DRAM; accelerator '", spec.name, "' uses ",
                 compressionName(spec.zeros.fmap_compression.value))
        .withHint("--accel eyeriss, or a spec with zero_handling.fmap_compression: rlc");
  if (spec.word_bits.value != kDeltaWordBits)
    return Error(Exit::Usage, "--delta measures 16-bit words; accelerator '", spec.name, "' has ", spec.word_bits.value,
                 "-bit words");
  return {};
}

Expected<DeltaEnergy> deltaEnergy(const AcceleratorSpec& spec, const OnnxLayers& layers, const NetworkCost& cost,
                                  const std::vector<DeltaStats>& stats, bool frames) {
  DNNC_TRY(checkDeltaSpec(spec, cost.compression));
  AcceleratorSpec coded = spec;
  coded.zeros.compress_first_layer_ifmap.value = true;
  DeltaEnergy d;
  d.fmap_dram_pj_per_bit = spec.energyOf(Level::Dram) * spec.mac_energy_pj.value / spec.word_bits.value;
  const size_t n = layers.layers.size();
  auto codings = streams(frames);
  codings.emplace_back("adaptive", nullptr);
  for (const auto& [name, member] : codings) {
    std::vector<MeasuredInput> measured;
    for (const auto& s : stats) {
      const CodedStream* c = member ? &(s.*member) : nullptr;
      if (!member) {
        auto [chosen, stream] = adaptiveStream(s, frames);
        c = stream;
        d.adaptive_choice.emplace_back(s.node, chosen);
      }
      if (c->values() == 0) continue;
      measured.push_back({s.node, 0, FmapSparsity{c->zeroFraction(), c->zero_runs}});
    }
    auto ifmaps = resolveActSparsity(layers, measured, ActSparsityFlag{}, nullptr);
    if (d.codings.empty())
      for (size_t i = 0; i < n; ++i)
        if (!ifmaps[i]) d.unmeasured.push_back(layers.layers[i].name);
    OnnxLayers copy = layers;
    setActivationSparsity(copy, ifmaps);
    DeltaCoding k;
    k.name = name;
    for (size_t i = 0; i < n; ++i) {
      const LayerCost& base = cost.layers[i];
      DNNC_ASSIGN(LayerCost c, evaluate(coded, copy.layers[i], base.mapping, EvalOptions{true}));
      k.ifmap_dram_bits.push_back(c.dram_bits[int(DataType::Ifmap)]);
      k.ofmap_dram_bits.push_back(c.dram_bits[int(DataType::Psum)]);
      const double before = base.dram_bits[int(DataType::Ifmap)] + base.dram_bits[int(DataType::Psum)];
      const double after = k.ifmap_dram_bits.back() + k.ofmap_dram_bits.back();
      k.energy.push_back(base.energy.total() - fmapDramEnergy(spec, before) + fmapDramEnergy(spec, after));
    }
    d.codings.push_back(std::move(k));
  }
  return d;
}

nlohmann::json deltaEnergyJson(const DeltaEnergy& d, const OnnxLayers& layers, const NetworkCost& cost) {
  nlohmann::json j = {{"assumed", kAssumed}, {"codings", nlohmann::json::array()}, {"unmeasured", d.unmeasured}};
  const double pj_per_mac = cost.energy.total() > 0 ? cost.energy_pj.total() / cost.energy.total() : 0;
  nlohmann::json layer_list = nlohmann::json::array();
  for (size_t i = 0; i < layers.layers.size(); ++i) {
    nlohmann::json l = {{"name", layers.layers[i].name}, {"node", layers.info[i].node}};
    for (const auto& k : d.codings)
      l[k.name] = {{"ifmap_dram_bytes", k.ifmap_dram_bits[i] / 8},
                   {"ofmap_dram_bytes", k.ofmap_dram_bits[i] / 8},
                   {"fmap_dram_bytes", (k.ifmap_dram_bits[i] + k.ofmap_dram_bits[i]) / 8},
                   {"energy", k.energy[i]},
                   {"energy_pj", k.energy[i] * pj_per_mac}};
    layer_list.push_back(std::move(l));
  }
  j["layers"] = layer_list;
  nlohmann::json choice = nlohmann::json::array();
  for (const auto& [node, coding] : d.adaptive_choice) choice.push_back({{"node", node}, {"coding", coding}});
  j["adaptive_choice"] = choice;
  nlohmann::json total = nlohmann::json::object();
  const DeltaCoding* raw = d.codings.empty() ? nullptr : &d.codings.front();
  for (const auto& k : d.codings) {
    j["codings"].push_back(k.name);
    total[k.name] = {{"fmap_dram_bytes", k.fmapDramBits() / 8},
                     {"energy", k.totalEnergy()},
                     {"energy_pj", k.totalEnergy() * pj_per_mac},
                     {"fmap_dram_vs_raw", raw && raw->fmapDramBits() > 0 ? nlohmann::json(k.fmapDramBits() / raw->fmapDramBits())
                                                                         : nlohmann::json(nullptr)},
                     {"energy_vs_raw", raw && raw->totalEnergy() > 0 ? nlohmann::json(k.totalEnergy() / raw->totalEnergy())
                                                                     : nlohmann::json(nullptr)}};
  }
  j["total"] = total;
  return j;
}

std::string formatDeltaEnergy(const DeltaEnergy& d, const OnnxLayers& layers, const NetworkCost& cost) {
  (void)cost;
  std::string out = "\ndelta coding of feature maps in DRAM (ifmap reads + ofmap writes; raw: the values as 16-bit "
                    "words, RLC-coded):\n";
  std::vector<std::string> head = {"layer", "node"};
  for (const auto& k : d.codings) head.push_back(k.name + " KB");
  for (size_t c = 1; c < d.codings.size(); ++c) head.push_back(d.codings[c].name + "/raw");
  for (const auto& k : d.codings) head.push_back("energy " + k.name);
  TextTable t(head);
  std::vector<size_t> right;
  for (size_t c = 2; c < head.size(); ++c) right.push_back(c);
  t.alignRight(right);
  auto ratio = [](double a, double b) { return b > 0 ? formatFixed(a / b, 3) : std::string("-"); };
  auto row = [&](const std::string& name, const std::string& node, auto bits, auto energy) {
    std::vector<std::string> r = {name, node};
    for (const auto& k : d.codings) r.push_back(sig(bits(k) / 8e3));
    for (size_t c = 1; c < d.codings.size(); ++c) r.push_back(ratio(bits(d.codings[c]), bits(d.codings[0])));
    for (const auto& k : d.codings) r.push_back(humanCount(int64_t(std::llround(energy(k)))));
    t.addRow(r);
  };
  for (size_t i = 0; i < layers.layers.size(); ++i)
    row(layers.layers[i].name, layers.info[i].node,
        [&](const DeltaCoding& k) { return k.ifmap_dram_bits[i] + k.ofmap_dram_bits[i]; },
        [&](const DeltaCoding& k) { return k.energy[i]; });
  t.addSeparator();
  row("total", "", [](const DeltaCoding& k) { return k.fmapDramBits(); }, [](const DeltaCoding& k) { return k.totalEnergy(); });
  out += t.render();
  if (d.codings.size() > 1) {
    const DeltaCoding& raw = d.codings.front();
    for (size_t c = 1; c < d.codings.size(); ++c)
      out += strCat(d.codings[c].name, ": feature-map DRAM x", ratio(d.codings[c].fmapDramBits(), raw.fmapDramBits()),
                    ", energy x", ratio(d.codings[c].totalEnergy(), raw.totalEnergy()), " of raw\n");
  }
  std::string chosen;
  for (const auto& [node, coding] : d.adaptive_choice) chosen += strCat(chosen.empty() ? "" : ", ", node, " ", coding);
  out += strCat("adaptive: each layer input coded the way that RLC-codes it smallest: ", chosen, "\n");
  out += strCat("assumed: ", kAssumed, "\n");
  if (!d.unmeasured.empty()) {
    out += "not measured (coded dense under every coding):";
    for (const auto& n : d.unmeasured) out += " " + n;
    out += "\n";
  }
  return out;
}

}  // namespace dnnc::energy
