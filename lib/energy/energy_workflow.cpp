// The energy workflow (see energy_workflow.h): moved here from the CLI so that the library holds the whole
// computation and the report's schema.
#include "lib/energy/energy_workflow.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>

#include "lib/energy/model_energy.h"
#include "lib/exec/activation_stats.h"
#include "lib/exec/constant_folding.h"
#include "lib/exec/executor.h"
#include "lib/ir/onnx_io.h"
#include "lib/report/table.h"
#include "lib/support/atomic_file.h"
#include "lib/support/format_double.h"
#include "lib/support/sha256.h"

namespace dnnc::energy {

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// 3 significant digits without an exponent: 6.06, 422, 0.00312.
std::string sig(double v) {
  if (v == 0 || !std::isfinite(v)) return v == 0 ? "0" : "-";
  int digits = 2 - int(std::floor(std::log10(std::abs(v))));
  return formatFixed(v, std::clamp(digits, 0, 6));
}
std::string pct(double part, double whole) { return whole > 0 ? formatFixed(100.0 * part / whole, 1) : "-"; }
nlohmann::json ratio(double a, double b) { return b > 0 ? nlohmann::json(a / b) : nlohmann::json(nullptr); }

// The executor, the --data loader and the batch size every measurement on --data starts from.
struct DataRun {
  std::unique_ptr<Executor> exec;
  std::unique_ptr<BatchLoader> loader;
  int64_t batch = 0;
};

Expected<DataRun> openDataRun(const Model& model, const EnergyRequest& o, const std::string& path) {
  DataRun r;
  DNNC_ASSIGN(r.exec, Executor::create(model, {.threads = o.threads}));
  if (r.exec->inputs().size() != 1)
    return Error(Exit::Input, "--data feeds models with exactly one input; '", path, "' has ", r.exec->inputs().size());
  DNNC_ASSIGN(r.loader, openData(o.data, r.exec->inputs()[0]));
  r.batch = o.data_batch;
  if (const auto& d = r.exec->inputs()[0].dims; !d.empty() && d[0] > 0) r.batch = d[0];
  return r;
}

// Zero runs of every layer input, measured by running the model on --data.
Expected<std::vector<MeasuredInput>> measure(const Model& model, const EnergyRequest& o, const std::string& path,
                                             const MeasureProgress& progress) {
  DNNC_ASSIGN(DataRun run, openDataRun(model, o, path));
  DNNC_ASSIGN(auto stats, collectActivationStats(*run.exec, *run.loader, run.batch, energyStatsOptions(),
                                                 [&](int64_t d, int64_t t) {
                                                   if (progress) progress(path, d, t);
                                                 }));
  return measuredInputs(stats);
}

// Delta-coded streams of every layer input, measured by running the model on --data (twice: the scales,
// then the streams).
Expected<std::vector<DeltaStats>> measureDelta(const Model& model, const EnergyRequest& o, const std::string& path,
                                               const MeasureProgress& progress) {
  DNNC_ASSIGN(DataRun run, openDataRun(model, o, path));
  return collectDeltaStats(*run.exec, *run.loader, run.batch, {.frames = o.frames}, [&](int64_t d, int64_t t) {
    if (progress) progress(path + " (--delta)", d, t);
  });
}

// SnaPEA early termination on --data: exact mode, or predictive with the model's stored parameters
// (simulated, so the count follows what SnaPEA hardware would compute). A model with no covered layer,
// or a count that disagrees with the executor, is refused.
Status measureSnapea(const Model& model, const EnergyRequest& o, ScoredModel& s, const MeasureProgress& progress) {
  DNNC_ASSIGN(s.snapea_params, readSnapeaParams(model, strCat("'", s.path, "'")));
  DNNC_ASSIGN(DataRun run, openDataRun(model, o, s.path));
  std::vector<SnapeaPrediction> predictions;
  if (s.snapea_params) predictions = s.snapea_params->predictions();
  DNNC_ASSIGN(SnapeaResult r, collectSnapea(*run.exec, *run.loader, run.batch, [&](int64_t d, int64_t t) {
    if (progress) progress(s.path + " (SnaPEA)", d, t);
  }, predictions));
  if (r.layers.empty()) {
    std::string why;
    bool bn = false;
    for (const auto& u : r.uncovered) {
      why += strCat(why.empty() ? "" : "; ", u.node, ": ", u.reason);
      bn = bn || u.reason.find("fold-bn") != std::string::npos;
    }
    Error e(Exit::Input, "--snapea: no Conv of '", s.path, "' is covered (a Conv read only by a Relu, with non-negative input)",
            why.empty() ? ": the model has no Conv" : ": " + why);
    if (bn) e.withHint("fold BatchNormalization into the Convs first: dnnc run MODEL -o FOLDED --passes fold-bn");
    return e;
  }
  for (const auto& l : r.layers)
    if (!l.exact())
      return Error(Exit::Internal, "SnaPEA early termination of Conv '", l.node, "' in '", s.path, "' disagrees with the executor on ",
                   l.mismatches, " outputs and saw ", l.negative_inputs, " negative inputs");
  s.snapea = std::move(r);
  return {};
}

// The cost of each covered layer with SnaPEA's skipped terms, under the mapping chosen without them.
Status scoreSnapea(const AcceleratorSpec& spec, ScoredModel& s, bool compression) {
  s.snapea_cost.clear();
  for (size_t i = 0; i < s.cost.layers.size(); ++i) {
    const std::string& node = s.layers.info[i].node;
    auto it = std::find_if(s.snapea->layers.begin(), s.snapea->layers.end(), [&](const SnapeaLayer& l) { return l.node == node; });
    if (it == s.snapea->layers.end()) {
      s.snapea_cost.emplace_back();
      continue;
    }
    LayerShape l = s.layers.layers[i];
    l.snapea_skipped = it->skipFraction();
    l.snapea_skipped_nonzero = it->skipNonzeroFraction();
    DNNC_ASSIGN(LayerCost c, evaluate(spec, l, s.cost.layers[i].mapping, EvalOptions{compression}));
    c.mapping_source = s.cost.layers[i].mapping_source;
    s.snapea_cost.push_back(std::move(c));
  }
  return {};
}

const SnapeaLayer* snapeaLayerOf(const ScoredModel& s, const std::string& node) {
  for (const auto& l : s.snapea->layers)
    if (l.node == node) return &l;
  return nullptr;
}

// What a skipped term saves on this accelerator, and whether it saves time: the report names it.
std::string snapeaAssumption(const AcceleratorSpec& spec) {
  return strCat("a skipped term saves what the accelerator's ifmap zero gating saves on a gated one: ",
                gatedAccessesList(spec.zeros.ifmap_zero_gates.value),
                spec.zeros.gate_ifmap_zeros.value ? " (skipped terms on zero or padding inputs were gated already)" : "",
                spec.zeros.skip_gated_cycles.value
                    ? "; skipped terms also save their cycles (skip_gated_cycles: the accelerator skips)"
                    : "; skipped terms keep their cycles (skip_gated_cycles false: the accelerator gates rather than "
                      "skips), so latency is unchanged");
}

// evaluateNetwork, except that a layer no mapping fits (a searched one) is moved to the skip list instead
// of failing the whole model; an invalid mapping from the file stays an error.
Expected<NetworkCost> evaluateModel(const AcceleratorSpec& spec, OnnxLayers& L, const NetworkOptions& options) {
  auto net = evaluateNetwork(spec, L.layers, options);
  if (net) return net;
  OnnxLayers kept;
  kept.batch = L.batch;
  kept.skipped = L.skipped;
  for (size_t i = 0; i < L.layers.size(); ++i) {
    auto one = evaluateNetwork(spec, {L.layers[i]}, options);
    if (one) {
      kept.layers.push_back(L.layers[i]);
      kept.info.push_back(L.info[i]);
      continue;
    }
    if (options.mappings && options.mappings->find(L.layers[i].name, -1)) return std::move(one).error();
    kept.skipped.push_back({L.layers[i].name, L.info[i].op, one.error().message()});
  }
  L = std::move(kept);
  return evaluateNetwork(spec, L.layers, options);
}

// Totals that leave layers out would mislead: the error naming them, unless the request allows it.
Status refusePartial(const ScoredModel& s, const EnergyRequest& o) {
  if (s.layers.skipped.empty() || o.allow_partial) return {};
  std::string names;
  for (const auto& k : s.layers.skipped) names += strCat(names.empty() ? "" : "; ", k.name, " (", k.op, "): ", k.reason);
  return Error(Exit::Input, "cannot score every layer of '", s.path, "': ", s.layers.skipped.size(), " of ",
               s.layers.skipped.size() + s.layers.layers.size(), " cannot be modelled: ", names)
      .withHint("--allow-partial scores the others and lists these in the report");
}

std::string shapeText(const LayerShape& l) {
  if (l.kind == LayerShape::Kind::Fc) return strCat("fc ", l.C, ">", l.M);
  std::string s = strCat(l.M, "x", l.C, "x", l.R, "x", l.S, " on ", l.H, "x", l.W);
  if (l.stride_h > 1 || l.stride_w > 1)
    s += l.stride_h == l.stride_w ? strCat(" /", l.stride_h) : strCat(" /", l.stride_h, "x", l.stride_w);
  if (l.G > 1) s += strCat(" g", l.G);
  return s;
}

nlohmann::json ucnnJson(const ScoredModel& s, size_t i);
nlohmann::json snapeaLayerJson(const ScoredModel& s, size_t i);

nlohmann::json layerJson(const ScoredModel& s, size_t i) {
  const LayerShape& l = s.layers.layers[i];
  const OnnxLayerInfo& info = s.layers.info[i];
  const LayerCost& c = s.cost.layers[i];
  const NetworkCost& t = s.cost;
  nlohmann::json j = toJson(c);
  j["node"] = info.node;
  j["op"] = info.op;
  j["shape"] = {{"N", l.N}, {"M", l.M}, {"C", l.C}, {"G", l.G}, {"H", l.H}, {"W", l.W}, {"R", l.R}, {"S", l.S},
                {"E", l.E}, {"F", l.F}, {"stride", {l.stride_h, l.stride_w}}, {"dilation", {l.dilation_h, l.dilation_w}},
                {"pads", {l.pad_top, l.pad_left, l.pad_bottom, l.pad_right}}};
  j["first_layer"] = l.first_layer;
  j["weights"] = info.weights;
  j["nonzero_weights"] = info.nonzero_weights;
  j["weight_zero_fraction"] = l.weight_zero_fraction;
  if (!info.weights_expanded_by.empty()) j["weights_expanded_by"] = info.weights_expanded_by;
  if (l.weight_bits > 0) j["weight_bits"] = l.weight_bits;
  if (l.ifmap_bits > 0) j["ifmap_bits"] = l.ifmap_bits;
  j["ifmap_zero_fraction"] = l.ifmap.fraction();
  j["ofmap_zero_fraction"] = l.ofmap.fraction();
  j["ifmap_zero_runs_measured"] = l.ifmap.zero_runs.has_value();
  if (!s.ucnn.empty()) j["ucnn"] = ucnnJson(s, i);
  if (s.snapea) j["snapea"] = snapeaLayerJson(s, i);
  int64_t weights = 0;
  for (const auto& in : s.layers.info) weights += in.nonzero_weights;
  j["share"] = {{"macs", t.macs > 0 ? c.macs / t.macs : 0.0},
                {"nonzero_weights", weights > 0 ? double(info.nonzero_weights) / double(weights) : 0.0},
                {"energy", t.energy.total() > 0 ? c.energy.total() / t.energy.total() : 0.0},
                {"dram_bytes", t.dram_bytes > 0 ? c.dramBytes() / t.dram_bytes : 0.0},
                {"latency_cycles", t.latency_cycles > 0 ? c.latency_cycles / t.latency_cycles : 0.0}};
  return j;
}

nlohmann::json modelJson(const ScoredModel& s) {
  nlohmann::json j = toJson(s.cost);
  j["model"] = s.path;
  j["activation_sparsity"] = s.sparsity_source;
  j["layers"] = nlohmann::json::array();
  for (size_t i = 0; i < s.layers.layers.size(); ++i) j["layers"].push_back(layerJson(s, i));
  int64_t weights = 0, nonzero = 0;
  for (const auto& in : s.layers.info) weights += in.weights, nonzero += in.nonzero_weights;
  j["total"]["weights"] = weights;
  j["total"]["nonzero_weights"] = nonzero;
  j["skipped"] = nlohmann::json::array();
  for (const auto& k : s.layers.skipped) j["skipped"].push_back({{"name", k.name}, {"op", k.op}, {"reason", k.reason}});
  if (s.delta) j["delta"] = deltaEnergyJson(*s.delta, s.layers, s.cost);
  return j;
}

// model2 / model1, overall and for the layers both have (by name).
nlohmann::json ratiosJson(const ScoredModel& a, const ScoredModel& b) {
  const NetworkCost &x = a.cost, &y = b.cost;
  nlohmann::json j = {{"energy", ratio(y.energy.total(), x.energy.total())},
                      {"energy_pj", ratio(y.energy_pj.total(), x.energy_pj.total())},
                      {"latency_cycles", ratio(y.latency_cycles, x.latency_cycles)},
                      {"processing_cycles", ratio(y.processing_cycles, x.processing_cycles)},
                      {"dram_bytes", ratio(y.dram_bytes, x.dram_bytes)},
                      {"glb_bytes", ratio(y.glb_bytes, x.glb_bytes)},
                      {"macs", ratio(y.macs, x.macs)},
                      {"nonzero_macs", ratio(y.nonzero_macs, x.nonzero_macs)}};
  nlohmann::json layers = nlohmann::json::array();
  for (size_t i = 0; i < x.layers.size(); ++i) {
    int k = b.layers.find(x.layers[i].name);
    if (k < 0) continue;
    const LayerCost &p = x.layers[i], &q = y.layers[size_t(k)];
    layers.push_back({{"name", p.name},
                      {"energy", ratio(q.energy.total(), p.energy.total())},
                      {"latency_cycles", ratio(q.latency_cycles, p.latency_cycles)},
                      {"dram_bytes", ratio(q.dramBytes(), p.dramBytes())}});
  }
  j["layers"] = layers;
  return j;
}

// UCNN next to the dense and zero-gated figures: the same mappings, evaluated once more with no zero
// gating (dense), and the UCNN cost from the gated evaluation and the layer's counts.
Status scoreUcnn(const AcceleratorSpec& spec, ScoredModel& s, bool compression) {
  AcceleratorSpec dense = spec;
  dense.zeros.gate_ifmap_zeros.value = false;
  dense.zeros.gate_weight_zeros.value = false;
  for (size_t i = 0; i < s.cost.layers.size(); ++i) {
    const LayerCost& c = s.cost.layers[i];
    DNNC_ASSIGN(LayerCost d, evaluate(dense, s.layers.layers[i], c.mapping, EvalOptions{compression}));
    s.ungated_energy.push_back(d.energy.total());
    const auto& counts = s.layers.info[i].ucnn;
    s.ucnn.push_back(counts ? std::optional<UcnnCost>(ucnnCost(spec, c, *counts)) : std::nullopt);
  }
  return {};
}

nlohmann::json ucnnJson(const ScoredModel& s, size_t i) {
  nlohmann::json j = {{"energy_dense", s.ungated_energy[i]}, {"energy_gated", s.cost.layers[i].energy.total()}};
  if (const auto& u = s.ucnn[i]) {
    j["unique_weights"] = u->counts.unique_weights;
    j["dense_macs"] = u->counts.dense_macs;
    j["multiplies"] = u->counts.multiplies;
    j["additions"] = u->counts.additions;
    j["input_reads"] = u->counts.input_reads;
    j["index_bits"] = u->index_bits;
    j["energy"] = u->energy;
    j["processing_cycles"] = u->processing_cycles;
    j["latency_cycles"] = u->latency_cycles;
  } else {
    j["energy"] = nullptr;  // the weights depend on data: no UCNN counts
  }
  return j;
}

std::string formatUcnn(const ScoredModel& s, const AcceleratorSpec& spec) {
  std::string out = strCat("\nUCNN (Hegde et al., ISCA 2018): factorised dot products, activation group reuse ",
                           spec.repetition.activation_group_reuse.value,
                           "; energy next to the same mapping dense (no zero gating) and zero-gated:\n");
  TextTable u({"layer", "unique w", "MACs", "multiplies", "additions", "energy dense", "gated", "UCNN",
               "UCNN/dense", "latency ms", "UCNN ms"});
  u.alignRight({1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  const double clock = s.cost.clock_mhz * 1e3;
  double dense = 0, gated = 0, ucnn = 0, mults = 0, adds = 0, macs = 0, lat = 0, ulat = 0;
  bool all = true;
  auto count = [](double v) { return humanCount(int64_t(std::llround(v))); };
  for (size_t i = 0; i < s.cost.layers.size(); ++i) {
    const LayerCost& c = s.cost.layers[i];
    const auto& x = s.ucnn[i];
    dense += s.ungated_energy[i];
    gated += c.energy.total();
    macs += c.macs;
    lat += c.latency_cycles;
    if (!x) {
      all = false;
      u.addRow({c.name, "?", count(c.macs), "-", "-", count(s.ungated_energy[i]), count(c.energy.total()), "-", "-",
                sig(c.latency_cycles / clock), "-"});
      continue;
    }
    ucnn += x->energy;
    mults += x->counts.multiplies;
    adds += x->counts.additions;
    ulat += x->latency_cycles;
    u.addRow({c.name, std::to_string(x->counts.unique_weights), count(c.macs), count(x->counts.multiplies),
              count(x->counts.additions), count(s.ungated_energy[i]), count(c.energy.total()), count(x->energy),
              sig(x->energy / s.ungated_energy[i]), sig(c.latency_cycles / clock), sig(x->latency_cycles / clock)});
  }
  u.addSeparator();
  if (all)
    u.addRow({"total", "", count(macs), count(mults), count(adds), count(dense), count(gated), count(ucnn),
              sig(ucnn / dense), sig(lat / clock), sig(ulat / clock)});
  out += u.render();
  if (!all) out += "?: the layer's weights depend on data: no UCNN counts, and no UCNN total\n";
  return out;
}

// ---- SnaPEA ----

// Totals with SnaPEA: covered layers at their SnaPEA cost, the others as they are.
struct SnapeaTotals {
  double energy = 0, energy_pj = 0, latency = 0, processing = 0, executed = 0;
};
SnapeaTotals snapeaTotals(const ScoredModel& s) {
  SnapeaTotals t;
  for (size_t i = 0; i < s.cost.layers.size(); ++i) {
    const LayerCost& c = s.snapea_cost[i] ? *s.snapea_cost[i] : s.cost.layers[i];
    t.energy += c.energy.total();
    t.energy_pj += c.energy_pj.total();
    t.latency += c.latency_cycles;
    t.processing += c.processing_cycles;
    t.executed += c.nonzero_macs;
  }
  return t;
}

nlohmann::json snapeaLayerJson(const ScoredModel& s, size_t i) {
  const SnapeaLayer* l = snapeaLayerOf(s, s.layers.info[i].node);
  if (!l || !s.snapea_cost[i]) return {{"covered", false}};
  const LayerCost &without = s.cost.layers[i], &with = *s.snapea_cost[i];
  return {{"covered", true},
          {"relu", l->relu},
          {"speculation_n", l->speculation_n},
          {"threshold", l->threshold},
          {"predicted_outputs", l->predicted_outputs},
          {"mispredicted", l->mispredicted},
          {"outputs", l->outputs},
          {"skip_fraction", l->skipFraction()},
          {"skipped_nonzero_fraction", l->skipNonzeroFraction()},
          {"nonzero_macs", with.nonzero_macs},
          {"nonzero_macs_without", without.nonzero_macs},
          {"energy", with.energy.total()},
          {"energy_without", without.energy.total()},
          {"energy_pj", with.energy_pj.total()},
          {"energy_pj_without", without.energy_pj.total()},
          {"latency_cycles", with.latency_cycles},
          {"latency_cycles_without", without.latency_cycles}};
}

nlohmann::json snapeaModelJson(const ScoredModel& s, const AcceleratorSpec& spec) {
  const SnapeaResult& r = *s.snapea;
  const SnapeaTotals t = snapeaTotals(s);
  const GatedAccesses& g = spec.zeros.ifmap_zero_gates.value;
  nlohmann::json saves = nlohmann::json::array();
  for (auto [name, on] : {std::pair<const char*, bool>{"mac", g.mac}, {"ifmap_read", g.ifmap_read}, {"filter_read", g.filter_read},
                          {"psum_read", g.psum_read}, {"psum_write", g.psum_write}})
    if (on) saves.push_back(name);
  nlohmann::json uncovered = nlohmann::json::array();
  for (const auto& u : r.uncovered) uncovered.push_back({{"node", u.node}, {"reason", u.reason}});
  nlohmann::json j = {{"mode", r.predictive() ? "predictive" : "exact"},
                      {"assumption", snapeaAssumption(spec)},
                      {"saves", saves},
                      {"cycles_saved", spec.zeros.skip_gated_cycles.value},
                      {"covered_layers", r.layers.size()},
                      {"macs", r.macs()},
                      {"skipped_macs", r.skippedMacs()},
                      {"skip_fraction", r.skipFraction()},
                      {"energy", t.energy},
                      {"energy_without", s.cost.energy.total()},
                      {"energy_ratio", ratio(t.energy, s.cost.energy.total())},
                      {"energy_pj", t.energy_pj},
                      {"energy_pj_without", s.cost.energy_pj.total()},
                      {"nonzero_macs", t.executed},
                      {"nonzero_macs_without", s.cost.nonzero_macs},
                      {"latency_cycles", t.latency},
                      {"latency_cycles_without", s.cost.latency_cycles},
                      {"uncovered", uncovered}};
  if (s.snapea_params) {
    const SnapeaParams& p = *s.snapea_params;
    j["predictive"] = {{"metadata_key", kSnapeaMetadataKey}, {"budget_points", p.budget},
                       {"top1_before", p.top1_before}, {"top1", p.top1},
                       {"heldout_samples", p.heldout_samples}, {"profile_samples", p.profile_samples}, {"seed", p.seed}};
  }
  return j;
}

std::string formatSnapea(const ScoredModel& s, const AcceleratorSpec& spec) {
  const SnapeaResult& r = *s.snapea;
  std::string out = strCat("\nSnaPEA (Akhlaghi et al., ISCA 2018), ", r.predictive() ? "predictive" : "exact",
                           " mode, measured on the data; ", snapeaAssumption(spec), ":\n");
  TextTable t({"layer", "n", "skipped", "on nonzero", "executed", "SnaPEA", "energy", "SnaPEA", "SnaPEA/without",
               "latency ms", "SnaPEA ms"});
  t.alignRight({1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  const double clock = s.cost.clock_mhz * 1e3;
  auto count = [](double v) { return humanCount(int64_t(std::llround(v))); };
  for (size_t i = 0; i < s.cost.layers.size(); ++i) {
    if (!s.snapea_cost[i]) continue;
    const LayerCost &a = s.cost.layers[i], &b = *s.snapea_cost[i];
    const SnapeaLayer* l = snapeaLayerOf(s, s.layers.info[i].node);
    t.addRow({a.name, l->speculation_n ? std::to_string(l->speculation_n) : "exact", formatFixed(100 * l->skipFraction(), 2) + " %",
              formatFixed(100 * l->skipNonzeroFraction(), 2) + " %", count(a.nonzero_macs), count(b.nonzero_macs),
              count(a.energy.total()), count(b.energy.total()), sig(b.energy.total() / a.energy.total()),
              sig(a.latency_cycles / clock), sig(b.latency_cycles / clock)});
  }
  const SnapeaTotals x = snapeaTotals(s);
  t.addSeparator();
  t.addRow({"model", "", formatFixed(100 * r.skipFraction(), 2) + " %", "", count(s.cost.nonzero_macs), count(x.executed),
            count(s.cost.energy.total()), count(x.energy), sig(x.energy / s.cost.energy.total()), sig(s.cost.latency_cycles / clock),
            sig(x.latency / clock)});
  out += t.render();
  out += "skipped: of the covered layer's MACs (model: of the covered layers' MACs); on nonzero: skipped terms whose input is a "
         "real nonzero value; energy in MAC-energies, the model row over every layer\n";
  if (s.snapea_params) {
    const SnapeaParams& p = *s.snapea_params;
    out += strCat("predictive parameters from the model's metadata (", kSnapeaMetadataKey, "): held-out top-1 ",
                  formatFixed(100 * p.top1_before, 2), " % exact, ", formatFixed(100 * p.top1, 2), " % predicted (",
                  p.heldout_samples, " samples, budget ", formatDouble(p.budget),
                  " points); the graph is unchanged, so these savings need SnaPEA hardware; activation zeros are the "
                  "exact model's\n");
  }
  if (!r.uncovered.empty()) {
    out += "not covered by SnaPEA:\n";
    for (const auto& u : r.uncovered) out += strCat("  ", u.node, ": ", u.reason, "\n");
  }
  return out;
}

// ---- text ----

std::string energyUnit(const NetworkCost& c, double& scale) {
  scale = c.energy_pj.total() >= 1e9 ? 1e9 : 1e6;
  return scale == 1e9 ? "mJ" : "uJ";
}

// The layers whose weights or inputs the model stores narrower than a word, and how the spec counts them.
std::string narrowDataLine(const ScoredModel& s, const AcceleratorSpec& spec) {
  const auto& L = s.layers;
  const int word = spec.word_bits.value;
  std::string narrow;
  for (size_t i = 0; i < L.info.size(); ++i) {
    const LayerShape& l = L.layers[i];
    std::string what;
    if (l.weight_bits > 0 && l.weight_bits < word)
      what = strCat("weights ", l.weight_bits, " bits",
                    L.info[i].weights_expanded_by.empty() ? "" : " (" + L.info[i].weights_expanded_by + ")");
    if (l.ifmap_bits > 0 && l.ifmap_bits < word) what += strCat(what.empty() ? "" : ", ", "input ", l.ifmap_bits, " bits");
    if (!what.empty()) narrow += strCat(narrow.empty() ? "" : "; ", l.name, ": ", what);
  }
  if (narrow.empty()) return "";
  const auto& levels = spec.narrow.levels.value;
  if (levels.empty())
    return strCat("data stored narrower than the ", word, "-bit word: ", narrow,
                  "; counted as words (this accelerator lists no narrow_data levels; docs/accelerator-spec.md)\n");
  std::string names;
  for (Level lv : levels) names += strCat(names.empty() ? "" : ", ", levelName(lv));
  return strCat("data stored narrower than the ", word, "-bit word: ", narrow, "; counted at that width on ", names,
                " (narrow_data), as words elsewhere\n");
}

std::string formatModel(const ScoredModel& s, const AcceleratorSpec& spec) {
  const NetworkCost& t = s.cost;
  const auto& L = s.layers;
  std::string out = strCat(s.path, " on ", spec.name, ": batch ", t.batch, ", objective ", objectiveName(t.objective),
                           ", DRAM compression ", t.compression ? "on" : "off (--no-rlc)", "\n");
  out += strCat("activation zeros: ", s.sparsity_source, "\n");
  out += narrowDataLine(s, spec);
  out += "\n";
  double scale;
  std::string unit = energyUnit(t, scale);
  TextTable a({"layer", "MACs", "executed", "PEs", "util %", "DRAM MB", "GLB MB", "proc ms", "latency ms", "energy",
               "energy " + unit});
  a.alignRight({1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  auto costRow = [&](const std::string& name, double macs, double nz, const std::string& pes, const std::string& util,
                     double dram, double glb, double proc, double lat, double e, double epj) {
    a.addRow({name, humanCount(int64_t(std::llround(macs))), humanCount(int64_t(std::llround(nz))), pes, util,
              sig(dram / 1e6), sig(glb / 1e6), sig(proc / (t.clock_mhz * 1e3)), sig(lat / (t.clock_mhz * 1e3)),
              humanCount(int64_t(std::llround(e))), sig(epj / scale)});
  };
  for (const auto& c : t.layers)
    costRow(c.name, c.macs, c.nonzero_macs, std::to_string(c.active_pes), formatFixed(100 * c.utilization, 1),
            c.dramBytes(), c.glb_bytes, c.processing_cycles, c.latency_cycles, c.energy.total(), c.energy_pj.total());
  a.addSeparator();
  costRow("total", t.macs, t.nonzero_macs, formatFixed(t.active_pes, 1),
          formatFixed(100 * t.active_pes / std::max(1, spec.pe_count.value), 1), t.dram_bytes, t.glb_bytes,
          t.processing_cycles, t.latency_cycles, t.energy.total(), t.energy_pj.total());
  out += a.render();

  int64_t weights = 0;
  for (const auto& in : L.info) weights += in.nonzero_weights;
  out += "\nwhere the MACs, weights, energy, DRAM traffic and latency go (share of the total, %):\n";
  TextTable d({"layer", "MACs", "nz weights", "energy", "DRAM", "latency", "energy/MAC"});
  d.alignRight({1, 2, 3, 4, 5, 6});
  for (size_t i = 0; i < t.layers.size(); ++i) {
    const auto& c = t.layers[i];
    d.addRow({c.name, pct(c.macs, t.macs), pct(double(L.info[i].nonzero_weights), double(weights)),
              pct(c.energy.total(), t.energy.total()), pct(c.dramBytes(), t.dram_bytes),
              pct(c.latency_cycles, t.latency_cycles), c.macs > 0 ? sig(c.energy.total() / c.macs) : "-"});
  }
  d.addSeparator();
  d.addRow({"total", "100", "100", "100", "100", "100", t.macs > 0 ? sig(t.energy.total() / t.macs) : "-"});
  out += d.render();

  out += "\nenergy by level and by data type (share of the layer's energy, %):\n";
  TextTable b({"layer", "DRAM", "GLB", "array", "RF", "MAC", "ifmap", "ofmap", "weight", "compute"});
  b.alignRight({1, 2, 3, 4, 5, 6, 7, 8, 9});
  auto shares = [&](const std::string& name, const EnergyBreakdown& e) {
    double w = e.total();
    b.addRow({name, pct(e.dram, w), pct(e.glb, w), pct(e.array, w), pct(e.rf, w), pct(e.mac, w), pct(e.ifmap, w),
              pct(e.ofmap, w), pct(e.weight, w), pct(e.computation, w)});
  };
  for (const auto& c : t.layers) shares(c.name, c.energy);
  b.addSeparator();
  shares("total", t.energy);
  out += b.render();

  out += "\nshapes, mappings and zeros (fractions of ifmap, ofmap and weights):\n";
  TextTable m({"layer", "node", "shape", "mapping", "from", "ifmap 0s", "ofmap 0s", "weight 0s"});
  m.alignRight({5, 6, 7});
  for (size_t i = 0; i < t.layers.size(); ++i) {
    const auto& l = L.layers[i];
    const auto& c = t.layers[i];
    m.addRow({c.name, L.info[i].node, shapeText(l), toString(c.mapping), c.mapping_source,
              formatFixed(l.ifmap.fraction(), 3) + (l.first_layer ? " (input)" : ""), formatFixed(l.ofmap.fraction(), 3),
              L.info[i].weights_constant ? formatFixed(l.weight_zero_fraction, 3) : "?"});
  }
  out += m.render();

  out += strCat("\ntotal: ", humanCount(int64_t(std::llround(t.energy.total()))), " MAC-energies = ",
                sig(t.energy_pj.total() / scale), " ", unit, "; latency ", sig(t.latency_ms()), " ms (processing ",
                sig(t.processing_cycles / (t.clock_mhz * 1e3)), " ms, no overlap ",
                sig(t.serial_latency_cycles / (t.clock_mhz * 1e3)), " ms), ", sig(t.fps()), " fps; DRAM ",
                sig(t.dram_bytes / 1e6), " MB (", sig(t.dram_bytes_dense / 1e6), " MB dense); GLB ",
                sig(t.glb_bytes / 1e6), " MB\n");
  if (!L.skipped.empty()) {
    out += strCat("skipped (not in the totals): ", L.skipped.size(), " node", L.skipped.size() == 1 ? "" : "s", "\n");
    for (const auto& k : L.skipped) out += strCat("  ", k.name, " (", k.op, "): ", k.reason, "\n");
  }
  if (s.delta) out += formatDeltaEnergy(*s.delta, L, t);
  return out;
}

std::string formatComparison(const ScoredModel& a, const ScoredModel& b) {
  const NetworkCost &x = a.cost, &y = b.cost;
  std::string out = strCat("\n", b.path, " relative to ", a.path, ":\n");
  TextTable t({"", "model 1", "model 2", "model2/model1"});
  t.alignRight({1, 2, 3});
  auto row = [&](const std::string& what, double p, double q, const std::string& ps, const std::string& qs) {
    t.addRow({what, ps, qs, p > 0 ? formatFixed(q / p, 3) : "-"});
  };
  row("energy", x.energy.total(), y.energy.total(), humanCount(int64_t(std::llround(x.energy.total()))),
      humanCount(int64_t(std::llround(y.energy.total()))));
  row("latency ms", x.latency_cycles, y.latency_cycles, sig(x.latency_ms()), sig(y.latency_ms()));
  row("processing ms", x.processing_cycles, y.processing_cycles, sig(x.processing_cycles / (x.clock_mhz * 1e3)),
      sig(y.processing_cycles / (y.clock_mhz * 1e3)));
  row("DRAM MB", x.dram_bytes, y.dram_bytes, sig(x.dram_bytes / 1e6), sig(y.dram_bytes / 1e6));
  row("GLB MB", x.glb_bytes, y.glb_bytes, sig(x.glb_bytes / 1e6), sig(y.glb_bytes / 1e6));
  row("MACs", x.macs, y.macs, humanCount(int64_t(x.macs)), humanCount(int64_t(y.macs)));
  row("executed MACs", x.nonzero_macs, y.nonzero_macs, humanCount(int64_t(x.nonzero_macs)),
      humanCount(int64_t(y.nonzero_macs)));
  out += t.render();
  TextTable l({"layer", "energy", "latency", "DRAM"});
  l.alignRight({1, 2, 3});
  for (size_t i = 0; i < x.layers.size(); ++i) {
    int k = b.layers.find(x.layers[i].name);
    if (k < 0) continue;
    const LayerCost &p = x.layers[i], &q = y.layers[size_t(k)];
    auto r = [](double u, double v) { return u > 0 ? formatFixed(v / u, 3) : "-"; };
    l.addRow({p.name, r(p.energy.total(), q.energy.total()), r(p.latency_cycles, q.latency_cycles),
              r(p.dramBytes(), q.dramBytes())});
  }
  out += "\nper layer, model2/model1 (layers of the same name):\n";
  bool any = false;
  for (const auto& p : x.layers) any = any || b.layers.find(p.name) >= 0;
  out += any ? l.render() : "  (no layer names in common)\n";
  return out;
}

// The `batch:` a mapping file was made for (0 when it does not say).
int mappingFileBatch(const std::string& path) {
  try {
    YAML::Node root = YAML::LoadFile(path);
    if (root["batch"]) return root["batch"].as<int>();
  } catch (const YAML::Exception&) {
  }
  return 0;
}

bool looksLikeStatsFile(const std::string& text) {
  return (text.size() > 5 && text.compare(text.size() - 5, 5, ".json") == 0) ||
         (text.find('=') == std::string::npos && std::filesystem::exists(text));
}

std::string listNames(const OnnxLayers& L) {
  std::string s;
  for (size_t i = 0; i < L.layers.size() && i < 8; ++i) s += (i ? ", " : "") + L.layers[i].name;
  if (L.layers.size() > 8) s += strCat(", ... (", L.layers.size(), " layers)");
  return s.empty() ? "none" : s;
}

}  // namespace

Expected<EnergyResult> runEnergyRequest(const EnergyRequest& o, const MeasureProgress& progress) {
  DNNC_ASSIGN(Objective objective, parseObjective(o.objective));
  EnergyResult result;
  if (o.spec) {
    result.spec = *o.spec;
  } else {
    DNNC_ASSIGN(result.spec, loadAcceleratorSpec(o.accel));
  }
  const std::vector<std::string>& paths = o.models;
  if (paths.empty())
    return Error(Exit::Usage, "no model given").withHint("dnnc energy MODEL [MODEL2] [--accel eyeriss]");
  if (paths.size() > 2) return Error(Exit::Usage, "energy compares at most two models, got ", paths.size());
  if (!o.data.path.empty() && o.data_batch <= 0) return Error(Exit::Usage, "--data-batch must be positive");
  if (o.frames && !o.delta) return Error(Exit::Usage, "--frames needs --delta");
  if (o.delta && o.data.path.empty())
    return Error(Exit::Usage, "--delta measures feature maps on data").withHint("add --data FILE");
  if (o.delta) DNNC_TRY(checkDeltaSpec(result.spec, o.compression));
  if (o.snapea && o.data.path.empty())
    return Error(Exit::Usage, "--snapea measures early termination on data").withHint("give --data X");

  std::optional<MappingTable> table;
  if (!o.mapping.empty()) {
    DNNC_ASSIGN(table, loadMappingFile(o.mapping));
  }
  ActSparsityFlag flag;
  std::vector<MeasuredInput> from_file;
  std::string stats_sha;
  if (!o.act_sparsity.empty()) {
    if (looksLikeStatsFile(o.act_sparsity)) {
      auto text = readFile(o.act_sparsity);
      if (!text) return std::move(text).error().context("--act-sparsity: ");
      DNNC_ASSIGN(from_file, parseActivationStatsJson(*text, strCat("'", o.act_sparsity, "'")));
      stats_sha = sha256Hex(*text);
    } else {
      DNNC_ASSIGN(flag, parseActSparsityFlag(o.act_sparsity));
    }
  }

  NetworkOptions net_options;
  net_options.objective = objective;
  net_options.eval.compression = o.compression;
  MappingCache cache;  // shared by the two models: unchanged layers are searched once
  net_options.cache = &cache;

  // Load every model and check the names the flags and files use before any long work (--data).
  std::vector<ScoredModel>& scored = result.models;
  std::vector<Model> models;
  std::vector<std::vector<std::string>> unmatched_act, unmatched_map;
  std::vector<MappingTable> resolved;
  for (const auto& path : paths) {
    ScoredModel s;
    s.path = path;
    auto t0 = Clock::now();
    DNNC_ASSIGN(std::string bytes, readFile(path));
    std::string base = std::filesystem::path(path).parent_path().string();
    DNNC_ASSIGN(Model model, parseModel(bytes, path, base.empty() ? "." : base));
    s.sha256 = sha256Hex(bytes);
    // Weights an export computes from constants (PyTorch's LSTM gate reordering) are weights all the same.
    DNNC_ASSIGN(ConstantFolding folding, foldConstants(model));
    (void)folding;
    s.load_ms = msSince(t0);
    t0 = Clock::now();
    const int ucnn_group =
        result.spec.repetition.factorized_dot_products.value ? result.spec.repetition.activation_group_reuse.value : 0;
    DNNC_ASSIGN(s.layers, extractLayers(model, {.batch = o.batch, .input_shapes = o.input_shapes,
                                                .ucnn_reuse_group = ucnn_group}));
    DNNC_TRY(refusePartial(s, o));
    s.extract_ms = msSince(t0);
    unmatched_act.emplace_back();
    resolveActSparsity(s.layers, from_file, flag, &unmatched_act.back());
    for (const auto& m : from_file)  // a stats file for another model is a mistake
      if (m.input == 0 && !m.node.empty() && s.layers.find(m.node) < 0) {
        bool in_graph = false;
        for (const auto& n : model.graph().node()) in_graph = in_graph || n.name() == m.node;
        if (!in_graph) unmatched_act.back().push_back(m.node);
      }
    if (table) {
      unmatched_map.emplace_back();
      resolved.push_back(resolveMappingTable(s.layers, *table, &unmatched_map.back()));
    }
    result.inputs.emplace_back(path, s.sha256);
    scored.push_back(std::move(s));
    models.push_back(std::move(model));
  }
  // A name must match a layer of at least one of the models.
  auto unknownInAll = [&](const std::vector<std::vector<std::string>>& lists) -> std::string {
    if (lists.empty()) return "";
    for (const auto& name : lists.front()) {
      bool everywhere = true;
      for (const auto& l : lists) everywhere = everywhere && std::find(l.begin(), l.end(), name) != l.end();
      if (everywhere) return name;
    }
    return "";
  };
  if (std::string bad = unknownInAll(unmatched_act); !bad.empty())
    return Error(Exit::Input, "--act-sparsity: no layer '", bad, "' in ", paths.front(),
                 paths.size() > 1 ? " or " + paths.back() : "")
        .withHint("layers: " + listNames(scored.front().layers));
  if (std::string bad = unknownInAll(unmatched_map); !bad.empty())
    return Error(Exit::Input, "mapping file '", o.mapping, "': no layer '", bad, "' in ", paths.front(),
                 paths.size() > 1 ? " or " + paths.back() : "")
        .withHint("layers: " + listNames(scored.front().layers));

  // Activation zeros: measured (--data) and from a stats file, then the flag's values over them.
  std::vector<std::vector<DeltaStats>> delta_stats(scored.size());
  for (size_t k = 0; k < scored.size(); ++k) {
    ScoredModel& s = scored[k];
    std::vector<MeasuredInput> measured = from_file;
    if (!o.data.path.empty()) {
      auto t1 = Clock::now();
      DNNC_ASSIGN(auto m, measure(models[k], o, s.path, progress));
      measured.insert(measured.end(), m.begin(), m.end());
      if (o.delta) {
        DNNC_ASSIGN(delta_stats[k], measureDelta(models[k], o, s.path, progress));
      }
      if (o.snapea) DNNC_TRY(measureSnapea(models[k], o, s, progress));
      s.measure_ms = msSince(t1);
    }
    auto ifmaps = resolveActSparsity(s.layers, measured, flag, nullptr);
    for (const auto& f : ifmaps) s.given_ifmaps += f.has_value();
    setActivationSparsity(s.layers, ifmaps);
    const size_t n = s.layers.layers.size();
    std::string from = !o.data.path.empty() ? "measured on " + o.data.path : "";
    if (!from_file.empty()) from += (from.empty() ? "from " : ", from ") + o.act_sparsity;
    if (!flag.layers.empty() || flag.rest) from += from.empty() ? "--act-sparsity" : ", --act-sparsity";
    s.sparsity_source =
        s.given_ifmaps == 0 ? "none given: every layer input taken as dense (see --act-sparsity, --data)"
        : size_t(s.given_ifmaps) == n
            ? strCat(from, ", for all ", n, " layer inputs; ofmap zeros from the next layer's input")
            : strCat(from, ", for ", s.given_ifmaps, " of ", n,
                     " layer inputs (the others dense); ofmap zeros from the next layer's input");
  }
  models.clear();

  for (size_t k = 0; k < scored.size(); ++k) {
    ScoredModel& s = scored[k];
    NetworkOptions opts = net_options;
    if (table) opts.mappings = &resolved[k];
    auto t0 = Clock::now();
    auto cost = evaluateModel(result.spec, s.layers, opts);
    if (!cost) {
      Error e = std::move(cost).error();
      int file_batch = table ? mappingFileBatch(o.mapping) : 0;
      if (file_batch > 0 && file_batch != s.layers.batch && e.hint().empty())
        e.withHint(strCat("the mapping file is for batch ", file_batch, "; this run uses batch ", s.layers.batch,
                          " (--batch)"));
      return e;
    }
    s.cost = std::move(*cost);
    if (result.spec.repetition.factorized_dot_products.value) DNNC_TRY(scoreUcnn(result.spec, s, o.compression));
    if (o.delta) {
      DNNC_ASSIGN(s.delta, deltaEnergy(result.spec, s.layers, s.cost, delta_stats[k], o.frames));
      if (!s.delta->unmeasured.empty() && !o.allow_partial)
        return Error(Exit::Input, "--delta: the inputs of ", s.delta->unmeasured.size(), " layer(s) of '", s.path,
                     "' were not measured on the data: ", s.delta->unmeasured.front(),
                     s.delta->unmeasured.size() > 1 ? ", ..." : "")
            .withHint("--allow-partial codes them dense under every coding and lists them");
    }
    if (s.snapea) DNNC_TRY(scoreSnapea(result.spec, s, o.compression));
    s.eval_ms = msSince(t0);
    DNNC_TRY(refusePartial(s, o));
  }
  if (!o.mapping.empty())
    if (auto t = readFile(o.mapping)) result.inputs.emplace_back(o.mapping, sha256Hex(*t));
  if (!stats_sha.empty()) result.inputs.emplace_back(o.act_sparsity, stats_sha);
  if (std::filesystem::is_regular_file(o.accel))
    if (auto t = readFile(o.accel)) result.inputs.emplace_back(o.accel, sha256Hex(*t));
  return result;
}

nlohmann::json energyReportJson(const EnergyResult& result, const EnergyRequest& request) {
  nlohmann::json r = modelJson(result.models.front());
  r["accelerator_spec"] = request.accel;
  if (!request.mapping.empty()) r["mapping_file"] = request.mapping;
  if (!request.data.path.empty()) r["data"] = request.data.path;
  if (result.models.size() > 1) {
    r["model2"] = modelJson(result.models[1]);
    r["ratios"] = ratiosJson(result.models[0], result.models[1]);
  }
  if (result.models[0].snapea) r["snapea"] = snapeaModelJson(result.models[0], result.spec);
  if (result.models.size() > 1 && result.models[1].snapea) r["model2"]["snapea"] = snapeaModelJson(result.models[1], result.spec);
  return r;
}

std::string formatEnergyReport(const EnergyResult& result) {
  std::string out;
  for (size_t k = 0; k < result.models.size(); ++k) {
    out += (k ? "\n" : "") + formatModel(result.models[k], result.spec);
    if (!result.models[k].ucnn.empty()) out += formatUcnn(result.models[k], result.spec);
    if (result.models[k].snapea) out += formatSnapea(result.models[k], result.spec);
  }
  if (result.models.size() > 1) out += formatComparison(result.models[0], result.models[1]);
  return out;
}

std::string energyTimings(const ScoredModel& s) {
  return strCat("energy: ", s.path, ": load ", formatFixed(s.load_ms, 1), " ms, extract layers ", formatFixed(s.extract_ms, 1),
                " ms", s.measure_ms > 0 ? strCat(", measure ", formatFixed(s.measure_ms, 1), " ms") : "",
                ", evaluate (", s.cost.layers.size(), " layers, mapping search) ", formatFixed(s.eval_ms, 1), " ms");
}

}  // namespace dnnc::energy
