// Named pipelines (`dnnc run --preset NAME`) and YAML recipes (`dnnc run --recipe FILE.yaml`): both are
// sugar for a pipeline text that `parsePipeline` reads, so `--json` reports show exactly what ran.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "lib/support/error.h"

namespace dnnc {

struct Preset {
  std::string name, pipeline, summary;
};

// The built-in presets, in a stable order.
const std::vector<Preset>& builtinPresets();

// The pipeline text of a preset; Exit::Usage naming the presets when unknown.
Expected<std::string> presetPipeline(const std::string& name);

// A recipe's pipeline text. The YAML holds `pipeline:`, a list whose items are a pass name or a map of
// one pass name to its parameters:
//   pipeline:
//     - fold-bn
//     - prune-energy-aware: {accuracy-budget: 1}
// Errors: Exit::Input naming the file and what is wrong.
Expected<std::string> recipePipeline(const std::string& yaml_text, const std::string& source);

}  // namespace dnnc
