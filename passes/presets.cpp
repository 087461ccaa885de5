#include "passes/presets.h"

#include <yaml-cpp/yaml.h>

namespace dnnc {

const std::vector<Preset>& builtinPresets() {
  static const std::vector<Preset> presets = {
      // The shared model retrains its codebooks at lr 0.001: a centroid's step sums the gradients of
      // hundreds of weights, and at the default 0.01 LeNet-300-100's codebooks lost 0.6 point of top-1
      // (mean of 4 seeds) where 0.001 holds it (docs/training.md, "Shared weights").
      {"deep-compression",
       "prune-magnitude(sparsity=0.9),finetune(epochs=10),share(conv-bits=8,fc-bits=5),finetune(epochs=1,lr=0.001)",
       "Han et al. 2016: magnitude pruning, retraining, k-means weight sharing, retraining of the codebooks (needs --data)"},
      {"energy", "fold-bn,prune-energy-aware(accuracy-budget=1),finetune(epochs=2),share(conv-bits=8,fc-bits=5,materialize=true)",
       "Yang et al. 2017 energy-aware pruning, distillation from the original, weight sharing (needs --data)"},
      {"filters", "fold-bn,prune-structured(sparsity=0.3,round=8),finetune(epochs=2)",
       "coarse filter pruning that shrinks layers, then distillation (needs --data)"},
  };
  return presets;
}

Expected<std::string> presetPipeline(const std::string& name) {
  std::string names;
  for (const auto& p : builtinPresets()) {
    if (p.name == name) return p.pipeline;
    names += (names.empty() ? "" : ", ") + p.name;
  }
  return Error(Exit::Usage, "unknown preset '", name, "'").withHint("presets: " + names);
}

namespace {

std::string scalarText(const YAML::Node& n) {
  std::string v = n.as<std::string>();
  // Values with pipeline punctuation are quoted so that they parse back as one value.
  if (v.find_first_of(",()='") != std::string::npos) return "'" + v + "'";
  return v;
}

}  // namespace

Expected<std::string> recipePipeline(const std::string& yaml_text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return Error(Exit::Input, "recipe '", source, "': not YAML: ", e.msg);
  }
  const YAML::Node list = root.IsMap() ? root["pipeline"] : YAML::Node();
  if (!list || !list.IsSequence() || list.size() == 0)
    return Error(Exit::Input, "recipe '", source, "': expected a non-empty list under 'pipeline:'");
  std::string text;
  size_t i = 0;
  for (auto entry = list.begin(); entry != list.end(); ++entry) {
    const YAML::Node item = *entry;
    std::string elem;
    if (item.IsScalar()) {
      elem = item.as<std::string>();
    } else if (item.IsMap() && item.size() == 1) {
      auto it = item.begin();
      const YAML::Node key = it->first, params = it->second;  // copies: the iterator yields temporaries
      elem = key.as<std::string>();
      if (params.IsMap() && params.size() > 0) {
        std::string args;
        for (auto kv = params.begin(); kv != params.end(); ++kv) {
          const YAML::Node name = kv->first, value = kv->second;
          if (!value.IsScalar())
            return Error(Exit::Input, "recipe '", source, "': item ", i + 1, " (", elem, "): parameter '",
                         name.as<std::string>(), "' must be a single value");
          args += (args.empty() ? "" : ",") + name.as<std::string>() + "=" + scalarText(value);
        }
        elem += "(" + args + ")";
      } else if (!params.IsNull() && !(params.IsMap() && params.size() == 0)) {
        return Error(Exit::Input, "recipe '", source, "': item ", i + 1, " (", elem, "): parameters must be a map");
      }
    } else {
      return Error(Exit::Input, "recipe '", source, "': item ", i + 1, " must be a pass name or {pass: {params}}");
    }
    text += (text.empty() ? "" : ",") + elem;
    ++i;
  }
  return text;
}

}  // namespace dnnc
