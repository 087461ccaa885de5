#include "passes/preprocess_params.h"

namespace dnnc {

const ParamFields<PreprocessParams>& PreprocessParams::fields() {
  using P = PreprocessParams;
  static const auto f = ParamFields<P>()
                            .field("scale", &P::scale, "1", "input preprocessing: x * scale")
                            .field("mean", &P::mean, "", "input preprocessing: subtract (one value or one per channel)")
                            .field("std", &P::std, "", "input preprocessing: divide (one value or one per channel)");
  return f;
}

DataOptions PreprocessParams::options(std::string path) const {
  return {.path = std::move(path), .scale = float(scale), .mean = mean.value_or(""), .std = std.value_or("")};
}

}  // namespace dnnc
