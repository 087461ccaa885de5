// evaluate() and validateMapping(): the public face of the closed-form model in rs_core.cpp.
#include "lib/energy/energy_model.h"

#include "lib/energy/rs_core.h"

namespace dnnc::energy {

Expected<Objective> parseObjective(const std::string& s) {
  if (s == "energy") return Objective::Energy;
  if (s == "latency") return Objective::Latency;
  if (s == "edp") return Objective::Edp;
  return Error(Exit::Usage, "unknown objective '", s, "' (expected energy, latency or edp)");
}

const char* objectiveName(Objective o) {
  switch (o) {
    case Objective::Energy:
      return "energy";
    case Objective::Latency:
      return "latency";
    case Objective::Edp:
      return "edp";
  }
  return "?";
}

double Accesses::at(Level l) const {
  double s = 0;
  for (int t = 0; t < kDataTypes; ++t) s += at(l, DataType(t));
  return s;
}

double objectiveValue(const LayerCost& c, Objective o) {
  switch (o) {
    case Objective::Energy:
      return c.energy.total();
    case Objective::Latency:
      return c.latency_cycles;
    case Objective::Edp:
      return c.energy.total() * c.latency_cycles;
  }
  return 0;
}

Status validateMapping(const AcceleratorSpec& spec, const LayerShape& layer, const Mapping& mapping) {
  DNNC_TRY(validateLayer(layer));
  detail::LayerContext ctx = detail::makeContext(spec, layer, {});
  std::string why;
  if (!detail::fits(ctx, mapping, &why))
    return Error(Exit::Input, "invalid mapping for layer '", layer.name, "' (", toString(mapping), ") on '", spec.name,
                 "': ", why);
  return {};
}

Expected<LayerCost> evaluate(const AcceleratorSpec& spec, const LayerShape& layer, const Mapping& mapping,
                             const EvalOptions& options) {
  DNNC_TRY(validateLayer(layer));
  detail::LayerContext ctx = detail::makeContext(spec, layer, options);
  std::string why;
  if (!detail::fits(ctx, mapping, &why))
    return Error(Exit::Input, "invalid mapping for layer '", layer.name, "' (", toString(mapping), ") on '", spec.name,
                 "': ", why);
  LayerCost cost;
  detail::cost(ctx, mapping, cost);
  cost.name = layer.name;
  cost.mapping_source = "given";
  return cost;
}

}  // namespace dnnc::energy
