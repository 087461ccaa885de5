#include "lib/prune/sensitivity.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "lib/support/format_double.h"

namespace dnnc {

const SensitivityPoint* SensitivityResult::find(const std::string& layer, const std::string& granularity,
                                                double level) const {
  for (const auto& p : points)
    if (p.layer == layer && p.granularity == granularity && p.level == level) return &p;
  return nullptr;
}

Status checkLevels(const std::vector<double>& levels) {
  if (levels.empty()) return Error(Exit::Usage, "no sparsity levels given");
  for (size_t i = 0; i < levels.size(); ++i) {
    DNNC_TRY(checkSparsity(levels[i], "level"));
    if (i && levels[i] <= levels[i - 1])
      return Error(Exit::Usage, "levels must increase: ", levels[i], " follows ", levels[i - 1]);
  }
  return {};
}

Expected<SensitivityResult> analyseSensitivity(const Model& model, const std::vector<std::string>& layers,
                                               const std::vector<double>& levels,
                                               const std::vector<std::string>& granularities,
                                               const PruneLayersFn& prune, const EvaluateFn& evaluate,
                                               const std::function<void(int64_t, int64_t)>& progress) {
  DNNC_TRY(checkLevels(levels));
  SensitivityResult r;
  r.layers = layers;
  r.levels = levels;
  r.granularities = granularities;
  DNNC_ASSIGN(r.baseline, evaluate(model));
  const int64_t total = static_cast<int64_t>(layers.size() * levels.size() * granularities.size());
  int64_t done = 0;
  for (const auto& layer : layers)
    for (const auto& g : granularities)
      for (double level : levels) {
        Model copy = model;
        DNNC_TRY(prune(copy, {{layer, level}}, g));
        DNNC_ASSIGN(Accuracy acc, evaluate(copy));
        r.points.push_back({layer, g, level, acc});
        if (progress) progress(++done, total);
      }
  return r;
}

namespace {

double dropPoints(const Accuracy& baseline, const Accuracy& a) { return 100.0 * (baseline.top1() - a.top1()); }

// Per layer, the highest level such that it and every level below drop at most t points alone.
LayerSparsity scheduleFor(const SensitivityResult& r, const std::string& g, double t) {
  LayerSparsity out;
  for (const auto& layer : r.layers) {
    double chosen = 0;
    for (double level : r.levels) {
      const SensitivityPoint* p = r.find(layer, g, level);
      if (!p || dropPoints(r.baseline, p->accuracy) > t) break;
      chosen = level;
    }
    out.emplace_back(layer, chosen);
  }
  return out;
}

bool prunesAnything(const LayerSparsity& s) {
  for (const auto& [layer, level] : s)
    if (level > 0) return true;
  return false;
}

}  // namespace

Expected<Schedule> deriveSchedule(const Model& model, const SensitivityResult& r, const std::string& g,
                                  double budget, const PruneLayersFn& prune, const EvaluateFn& evaluate) {
  if (!(budget >= 0)) return Error(Exit::Usage, "the accuracy budget must be a non-negative number of points, got ", budget);
  Schedule best;
  best.granularity = g;
  best.budget_points = budget;
  best.baseline = r.baseline;
  bool found = false;
  auto tryTolerance = [&](double t) -> Expected<bool> {
    LayerSparsity s = scheduleFor(r, g, t);
    if (!prunesAnything(s)) return true;  // fits trivially, but is no schedule
    Model copy = model;
    LayerSparsity nonzero;
    for (const auto& e : s)
      if (e.second > 0) nonzero.push_back(e);
    DNNC_TRY(prune(copy, nonzero, g));
    DNNC_ASSIGN(Accuracy acc, evaluate(copy));
    if (dropPoints(r.baseline, acc) > budget) return false;
    best.layers = s;
    best.accuracy = acc;
    best.tolerance_points = t;
    found = true;
    return true;
  };
  // The whole budget per layer first; when the layers together overshoot, bisect the tolerance down.
  DNNC_ASSIGN(bool fits, tryTolerance(budget));
  if (!fits && budget > 0) {
    // Less tolerance prunes less; when even a tolerance of 0 overshoots, no other will fit.
    double lo = 0, hi = budget;
    DNNC_ASSIGN(bool zero_fits, tryTolerance(0));
    for (int step = 0; zero_fits && step < 7; ++step) {
      double mid = 0.5 * (lo + hi);
      DNNC_ASSIGN(bool ok, tryTolerance(mid));
      (ok ? lo : hi) = mid;
    }
  }
  if (!found) {
    double smallest = INFINITY;
    for (const auto& p : r.points)
      if (p.granularity == g && p.level == r.levels.front()) smallest = std::min(smallest, dropPoints(r.baseline, p.accuracy));
    return Error(Exit::Target, "no schedule from the levels tried keeps the accuracy drop within ", budget,
                 " points (the gentlest single-layer prune, level ", r.levels.front(), ", already drops ", smallest, ")")
        .withHint("raise --budget, or add lower --levels");
  }
  return best;
}

std::string scheduleText(const Schedule& s, bool json) {
  if (json) {
    nlohmann::ordered_json j = {{"granularity", s.granularity},
                                {"budget_points", s.budget_points},
                                {"baseline_top1", s.baseline.top1()},
                                {"top1", s.accuracy.top1()},
                                {"samples", s.accuracy.samples}};
    nlohmann::ordered_json l = nlohmann::ordered_json::object();
    for (const auto& [name, level] : s.layers) l[name] = level;
    j["layers"] = l;
    return j.dump(2) + "\n";
  }
  YAML::Emitter out;
  out << YAML::Comment("dnnc sensitivity schedule: per-layer sparsity within an accuracy-drop budget; "
                       "dnnc prune --schedule reads it");
  out << YAML::BeginMap;
  out << YAML::Key << "granularity" << YAML::Value << s.granularity;
  out << YAML::Key << "budget_points" << YAML::Value << formatDouble(s.budget_points);
  out << YAML::Key << "baseline_top1" << YAML::Value << formatDouble(s.baseline.top1());
  out << YAML::Key << "top1" << YAML::Value << formatDouble(s.accuracy.top1());
  out << YAML::Key << "samples" << YAML::Value << s.accuracy.samples;
  out << YAML::Key << "layers" << YAML::Value << YAML::BeginMap;
  for (const auto& [name, level] : s.layers) out << YAML::Key << name << YAML::Value << formatDouble(level);
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace dnnc
