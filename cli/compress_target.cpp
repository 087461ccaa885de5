// Parsing of `dnnc compress --target`: see compress_target.h.
#include "cli/compress_target.h"

#include <cmath>
#include <cstdlib>

#include "lib/support/format_double.h"

namespace dnnc::cli {

namespace {

// "50x" -> 1/50; "0.25" -> 0.25; "40KB" -> 40,000 bytes (absolute); KiB/MB/MiB/B too.
Status parseValue(const std::string& value, ResourceGoal& g) {
  char* end = nullptr;
  const double v = std::strtod(value.c_str(), &end);
  const std::string unit = end ? std::string(end) : "";
  if (end == value.c_str() || !std::isfinite(v) || v <= 0)
    return Error(Exit::Usage, "--target ", g.text, ": expected a positive number, a ratio such as 50x, or a size such as 40KB");
  if (unit == "x" || unit == "X") {
    if (v < 1) return Error(Exit::Usage, "--target ", g.text, ": a reduction factor must be at least 1x");
    g.ratio = 1 / v;
    return {};
  }
  if (unit.empty()) {
    if (v > 1) return Error(Exit::Usage, "--target ", g.text, ": a fraction of the original must lie in (0, 1]")
                   .withHint("write a reduction factor with x: " + formatDouble(v) + "x");
    g.ratio = v;
    return {};
  }
  const std::vector<std::pair<std::string, double>> units = {{"B", 1},        {"KB", 1e3},  {"kB", 1e3}, {"KiB", 1024},
                                                             {"MB", 1e6},     {"MiB", 1 << 20}};
  for (const auto& [name, scale] : units)
    if (unit == name) {
      if (g.resource != Resource::Size)
        return Error(Exit::Usage, "--target ", g.text, ": only size takes an absolute value in bytes");
      g.absolute = v * scale;
      return {};
    }
  return Error(Exit::Usage, "--target ", g.text, ": unknown unit '", unit, "'").withHint("use x, B, KB, KiB, MB or MiB");
}

}  // namespace

std::string resourceName(Resource r) {
  switch (r) {
    case Resource::Size: return "size";
    case Resource::Energy: return "energy";
    case Resource::Latency: return "latency";
    case Resource::Macs: return "macs";
  }
  return "";
}

Expected<std::vector<ResourceGoal>> parseGoals(const std::vector<std::string>& texts) {
  std::vector<ResourceGoal> goals;
  for (const std::string& text : texts) {
    size_t start = 0;
    while (start <= text.size()) {
      size_t comma = text.find(',', start);
      if (comma == std::string::npos) comma = text.size();
      const std::string item = text.substr(start, comma - start);
      start = comma + 1;
      if (item.empty()) continue;
      const size_t eq = item.find('=');
      if (eq == std::string::npos)
        return Error(Exit::Usage, "--target: expected RESOURCE=VALUE such as size=50x or energy=0.25, got '", item, "'");
      ResourceGoal g;
      g.text = item;
      const std::string name = item.substr(0, eq);
      if (name == "size") g.resource = Resource::Size;
      else if (name == "energy") g.resource = Resource::Energy;
      else if (name == "latency") g.resource = Resource::Latency;
      else if (name == "macs") g.resource = Resource::Macs;
      else return Error(Exit::Usage, "--target: unknown resource '", name, "'").withHint("use size, energy, latency or macs");
      DNNC_TRY(parseValue(item.substr(eq + 1), g));
      for (const ResourceGoal& other : goals)
        if (other.resource == g.resource)
          return Error(Exit::Usage, "--target: ", name, " is given twice ('", other.text, "' and '", item, "')");
      goals.push_back(g);
    }
  }
  if (goals.empty()) return Error(Exit::Usage, "--target is required").withHint("e.g. --target size=50x");
  return goals;
}

}  // namespace dnnc::cli
