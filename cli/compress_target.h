// What `dnnc compress --target` asks for: one or more resource goals, each a ratio against the input
// model or an absolute size. "size=50x" (the .dnnc 50 times smaller than the input .onnx),
// "size=40KB", "energy=0.25" (modelled energy at most a quarter of the original's on --accel),
// "latency=0.5" (modelled cycles, or dnnc's executor with --measure cpu), "macs=0.3" (MACs with a nonzero
// weight). Several at once: comma-separated or repeated --target.
#pragma once
#include <string>
#include <vector>

#include "lib/support/error.h"

namespace dnnc::cli {

enum class Resource { Size, Energy, Latency, Macs };

// The metric's name in reports and CSV columns ("size_bytes", "energy_pj", "latency_cycles"/"latency_ms",
// "macs").
std::string resourceName(Resource r);

struct ResourceGoal {
  Resource resource = Resource::Size;
  std::string text;         // as given, normalised ("size=50x")
  double ratio = 0;         // goal as a fraction of the original (0 when absolute)
  double absolute = 0;      // goal in the metric's unit (bytes) when given as one, else 0

  // The value the metric must reach (at most), given the original's.
  double goal(double original) const { return absolute > 0 ? absolute : ratio * original; }
};

// Parses "size=50x,energy=0.25" (several texts: the repeated option). Exit::Usage on a malformed or
// duplicated goal, naming it.
Expected<std::vector<ResourceGoal>> parseGoals(const std::vector<std::string>& texts);

}  // namespace dnnc::cli
