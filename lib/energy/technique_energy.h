// What each technique of the tutorial's toolbox would buy on one model, on one accelerator: the model's
// energy as the accelerator is given, then with each technique added to it, one at a time:
//   zero gating   a zero operand skips its MAC, filter read and psum update (the eyeriss-sparse accounting);
//   UCNN          dot products factorised over repeated weights, activation group reuse 2 (ucnn.h);
//   SnaPEA        exact early termination of each Conv -> Relu, measured on the data (lib/analysis/snapea.h);
//   delta coding  feature maps in DRAM coded as values or deltas, whichever is smaller (delta_energy.h).
// A technique that does not apply (no covered Conv, an accelerator without RLC) says why instead of a
// number. `dnnc compare --techniques` and `dnnc compress --techniques` report it for both of their models.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lib/energy/energy_workflow.h"

namespace dnnc::energy {

struct TechniqueEnergy {
  std::string technique;         // "as given", "zero gating", "UCNN", "SnaPEA (exact)", "delta coding"
  std::optional<double> energy;  // normalised (MAC) units; nullopt when it does not apply
  std::string note;              // why it does not apply, or that the accelerator has it already
};

// `request` names the accelerator, the data (required) and the options; its models are replaced by `model`.
Expected<std::vector<TechniqueEnergy>> techniqueEnergies(const std::string& model, const EnergyRequest& request,
                                                          const MeasureProgress& progress = {});

nlohmann::json techniqueJson(const std::vector<TechniqueEnergy>& t, double pj_per_unit);
// A table of both models' energies with each technique, and the notes of those that do not apply.
std::string formatTechniques(const std::vector<TechniqueEnergy>& before, const std::vector<TechniqueEnergy>& after,
                             const std::string& accel, double pj_per_unit);

}  // namespace dnnc::energy
