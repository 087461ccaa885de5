// The input preprocessing (scale=, mean=, std=) of the passes that read data of their own: finetune and
// prune-obd's retraining, recalibrate-bn, prune-activations. Declared once here, embedded with
// ParamFields::fields, and turned into the DataOptions the data loaders take, as the CLI's --scale,
// --mean and --std are.
#pragma once
#include <optional>
#include <string>

#include "lib/exec/dataset.h"
#include "lib/pass/param_fields.h"

namespace dnnc {

struct PreprocessParams {
  double scale = 1;  // bound from fields(), default included
  std::optional<std::string> mean, std;
  static const ParamFields<PreprocessParams>& fields();

  // The data at `path`, read with this preprocessing.
  DataOptions options(std::string path) const;
  // Whether any of the three was given other than as its default.
  bool given() const { return mean || std || scale != 1; }
};

}  // namespace dnnc
