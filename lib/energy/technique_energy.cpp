// Each technique as a variant of the request: a spec with one feature switched on, or a measurement added.
#include "lib/energy/technique_energy.h"

#include "lib/report/table.h"

namespace dnnc::energy {

namespace {

double total(const ScoredModel& s) { return s.cost.energy.total(); }

Expected<EnergyResult> run(const std::string& model, EnergyRequest r, const MeasureProgress& progress) {
  r.models = {model};
  return runEnergyRequest(r, progress);
}

// The eyeriss-sparse accounting of zeros: either operand zero skips the MAC, the filter read and the psum
// update; the ifmap is still read (that is where its zero is seen).
AcceleratorSpec withZeroGating(AcceleratorSpec spec) {
  GatedAccesses g;
  g.mac = g.filter_read = g.psum_read = g.psum_write = true;
  auto& z = spec.zeros;
  z.gate_ifmap_zeros = {true, Provenance::Given};
  z.gate_weight_zeros = {true, Provenance::Given};
  z.ifmap_zero_gates = {g, Provenance::Given};
  z.weight_zero_gates = {g, Provenance::Given};
  return spec;
}

bool gatesLikeSparse(const AcceleratorSpec& spec) {
  const AcceleratorSpec sparse = withZeroGating(spec);
  const auto &a = spec.zeros, &b = sparse.zeros;
  return a.gate_ifmap_zeros.value && a.gate_weight_zeros.value && a.ifmap_zero_gates.value == b.ifmap_zero_gates.value &&
         a.weight_zero_gates.value == b.weight_zero_gates.value;
}

// A technique that does not apply to this model or accelerator (Exit::Input or Exit::Usage from the
// workflow) becomes a note; anything else is an error.
Expected<std::optional<EnergyResult>> runOrNote(const std::string& model, const EnergyRequest& r,
                                                const MeasureProgress& progress, std::string& note) {
  auto result = run(model, r, progress);
  if (result) return std::optional<EnergyResult>(std::move(*result));
  if (result.error().code() != Exit::Input && result.error().code() != Exit::Usage) return std::move(result).error();
  note = result.error().message();
  return std::optional<EnergyResult>();
}

}  // namespace

Expected<std::vector<TechniqueEnergy>> techniqueEnergies(const std::string& model, const EnergyRequest& request,
                                                          const MeasureProgress& progress) {
  if (request.data.path.empty())
    return Error(Exit::Usage, "the techniques are measured on data").withHint("give --data X");
  EnergyRequest base = request;
  base.snapea = base.delta = base.frames = false;
  DNNC_ASSIGN(EnergyResult given, run(model, base, progress));
  const AcceleratorSpec& spec = given.spec;
  std::vector<TechniqueEnergy> out;
  out.push_back({"as given", total(given.models[0]), ""});

  if (gatesLikeSparse(spec)) {
    out.push_back({"zero gating", total(given.models[0]), "the accelerator gates zeros this way already"});
  } else {
    EnergyRequest r = base;
    r.spec = withZeroGating(spec);
    DNNC_ASSIGN(EnergyResult e, run(model, r, progress));
    out.push_back({"zero gating", total(e.models[0]), ""});
  }

  {
    EnergyRequest r = base;
    AcceleratorSpec u = spec;
    if (!u.repetition.factorized_dot_products.value) {
      u.repetition.factorized_dot_products = {true, Provenance::Given};
      u.repetition.activation_group_reuse = {2, Provenance::Given};
    }
    r.spec = u;
    DNNC_ASSIGN(EnergyResult e, run(model, r, progress));
    const ScoredModel& s = e.models[0];
    double sum = 0;
    for (size_t i = 0; i < s.cost.layers.size(); ++i)
      sum += i < s.ucnn.size() && s.ucnn[i] ? s.ucnn[i]->energy : s.cost.layers[i].energy.total();
    out.push_back({"UCNN", sum, ""});
  }

  {
    EnergyRequest r = base;
    r.snapea = true;
    std::string note;
    DNNC_ASSIGN(auto e, runOrNote(model, r, progress, note));
    if (!e) {
      out.push_back({"SnaPEA (exact)", std::nullopt, note});
    } else {
      const ScoredModel& s = e->models[0];
      double sum = 0;
      for (size_t i = 0; i < s.cost.layers.size(); ++i)
        sum += i < s.snapea_cost.size() && s.snapea_cost[i] ? s.snapea_cost[i]->energy.total()
                                                            : s.cost.layers[i].energy.total();
      out.push_back({"SnaPEA (exact)", sum, ""});
    }
  }

  {
    EnergyRequest r = base;
    r.delta = true;
    r.frames = request.frames;
    std::string note;
    DNNC_ASSIGN(auto e, runOrNote(model, r, progress, note));
    std::optional<double> adaptive;
    if (e && e->models[0].delta)
      for (const auto& c : e->models[0].delta->codings)
        if (c.name == "adaptive") adaptive = c.totalEnergy();
    if (e && !adaptive) note = "no adaptive coding was scored";
    out.push_back({"delta coding", adaptive, adaptive ? "" : note});
  }
  return out;
}

nlohmann::json techniqueJson(const std::vector<TechniqueEnergy>& t, double pj_per_unit) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& x : t) {
    nlohmann::json j = {{"technique", x.technique}};
    j["energy"] = x.energy ? nlohmann::json(*x.energy) : nlohmann::json(nullptr);
    j["energy_pj"] = x.energy ? nlohmann::json(*x.energy * pj_per_unit) : nlohmann::json(nullptr);
    if (!x.note.empty()) j["note"] = x.note;
    out.push_back(std::move(j));
  }
  return out;
}

std::string formatTechniques(const std::vector<TechniqueEnergy>& before, const std::vector<TechniqueEnergy>& after,
                             const std::string& accel, double pj_per_unit) {
  TextTable t({"energy on " + accel + " with", "before", "after", "before/after", "after vs as given"});
  t.alignRight({1, 2, 3, 4});
  auto uj = [&](const std::optional<double>& e) {
    return e ? formatFixed(*e * pj_per_unit / 1e6, 2) + " uJ" : std::string("-");
  };
  auto ratio = [](double b, double a) { return a > 0 ? formatFixed(b / a, 2) + "x" : std::string("-"); };
  std::string notes;
  const double given = after.empty() || !after[0].energy ? 0 : *after[0].energy;
  for (size_t i = 0; i < before.size() && i < after.size(); ++i) {
    const TechniqueEnergy &b = before[i], &a = after[i];
    t.addRow({b.technique, uj(b.energy), uj(a.energy), b.energy && a.energy ? ratio(*b.energy, *a.energy) : "-",
              a.energy && i > 0 ? ratio(given, *a.energy) : "-"});
    for (const TechniqueEnergy* x : {&b, &a})
      if (!x->note.empty() && notes.find(x->note) == std::string::npos)
        notes += strCat("  ", x->technique, " (", x == &b ? "before" : "after", "): ", x->note, "\n");
  }
  return t.render() + notes;
}

}  // namespace dnnc::energy
