// snapea: calibrate SnaPEA predictive mode (Akhlaghi et al., ISCA 2018) to an accuracy budget and store
// the per-layer parameters in the model's metadata (lib/analysis/snapea_params.h, key dnnc.snapea).
// The graph is not changed: ONNX Runtime and dnnc still compute every output exactly; the savings need
// SnaPEA hardware, which `dnnc energy --data X --snapea` models with the stored parameters.
// Requires: labelled calibration data (the command's --data/--labels).
// Params: budget (top-1 points the held-out set may lose), profile-samples, heldout-samples,
//         count-samples (held-out samples the MAC-skip counts of the report are taken on), seed.
//
// Calibration. The samples are split by a seeded shuffle: the first profile-samples give, for every
// covered Conv -> Relu layer and speculation size n (1/8, 1/4, 1/2 of a filter's terms), the
// speculative partial sums of the exact model's outputs; each threshold candidate is the one that
// predicts a given small fraction of the profile's positive outputs negative (0 % to 20 %). The rest
// of the samples (at most heldout-samples, 1000) are the held-out set. Layers are taken greedily in graph
// order, each with the earlier layers' choices simulated: of its candidates ordered by estimated MAC
// skip, the most aggressive whose held-out top-1 stays within the budget of the exact model's is found
// by bisection; a layer where none fits stays in exact mode.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "lib/analysis/snapea_params.h"
#include "lib/analysis/snapea_profile.h"
#include "lib/pass/pass.h"
#include "lib/prune/eval_set.h"
#include "passes/registry.h"

namespace dnnc {

namespace {

struct SnapeaConfig {
  double budget = 0;
  int64_t profile_samples = 200, heldout_samples = 1000, count_samples = 200;
  std::optional<uint64_t> seed;
};

// A seeded Fisher-Yates permutation of 0..n-1 (the same on every platform: no std::shuffle).
std::vector<int64_t> permutation(int64_t n, uint64_t seed) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  std::iota(p.begin(), p.end(), 0);
  std::mt19937_64 rng(seed);
  for (int64_t i = n - 1; i > 0; --i) std::swap(p[static_cast<size_t>(i)], p[static_cast<size_t>(rng() % uint64_t(i + 1))]);
  return p;
}

class SnapeaPredictive : public Pass {
 public:
  explicit SnapeaPredictive(SnapeaConfig c) : c_(std::move(c)) {}

  Expected<PreservedAnalyses> run(Model& model, PassContext& ctx) override {
    if (!ctx.calibration || ctx.calibration->data.path.empty())
      return Error(Exit::Usage, "snapea calibrates predictive thresholds on data").withHint("give --data X --labels Y");
    if (ctx.calibration->labels.empty())
      return Error(Exit::Usage, "snapea keeps top-1 within an accuracy budget: it needs labels").withHint("give --labels Y");
    DNNC_ASSIGN(auto exec, Executor::create(model, {.threads = ctx.threads}));
    {
      SnapeaCoverage coverage = findSnapeaSites(*exec);
      for (const auto& u : coverage.uncovered) ctx.log->skip(u.node, u.reason);
      if (coverage.sites.empty()) return noCoveredLayer(coverage);
    }
    DNNC_ASSIGN(CalibrationSet all, loadCalibrationSet(model, *ctx.calibration));
    if (all.samples < 4) return Error(Exit::Input, "snapea needs at least 4 labelled samples, got ", all.samples);
    const uint64_t seed = c_.seed.value_or(ctx.seed);
    const std::vector<int64_t> order = permutation(all.samples, seed);
    const int64_t profile_n = std::min(c_.profile_samples, all.samples / 2);
    int64_t heldout_n = all.samples - profile_n;
    if (c_.heldout_samples > 0) heldout_n = std::min(heldout_n, c_.heldout_samples);
    const int64_t batch = ctx.calibration->batch > 0 ? ctx.calibration->batch : 64;
    const std::span<const int64_t> rows(order);
    const EvalSet profile = EvalSet::of(selectSamples(all, rows.subspan(0, size_t(profile_n)), batch));
    const EvalSet heldout = EvalSet::of(selectSamples(all, rows.subspan(size_t(profile_n), size_t(heldout_n)), batch));

    ctx.progress(0, 1, "snapea: profile");
    SnapeaProfiler profiler(*exec);
    DNNC_TRY(profile.run(*exec, profiler));
    DNNC_TRY(profiler.status());
    DNNC_ASSIGN(Accuracy base, heldout.evaluate(*exec));

    const auto& sites = profiler.sites();
    std::vector<SnapeaPrediction> chosen;
    for (const auto& s : sites) chosen.push_back({s.node, 0, 0.0});
    std::vector<int> evaluations(sites.size(), 0);
    for (size_t k = 0; k < sites.size(); ++k) {
      ctx.progress(int64_t(k), int64_t(sites.size()), "snapea: calibrate");
      const std::vector<SnapeaCandidate> candidates = profiler.candidates(k);
      // Bisection for the last candidate within the budget (candidate -1, exact mode, always is).
      int lo = -1, hi = static_cast<int>(candidates.size());
      while (hi - lo > 1) {
        const int mid = (lo + hi) / 2;
        std::vector<SnapeaPrediction> trial = chosen;
        trial[k] = candidates[size_t(mid)].prediction;
        DNNC_ASSIGN(Accuracy acc, accuracyWith(*exec, heldout, trial));
        evaluations[k]++;
        (withinBudget(base, acc) ? lo : hi) = mid;
      }
      if (lo >= 0) chosen[k] = candidates[size_t(lo)].prediction;
    }

    // The result: held-out top-1, and the MACs skipped (exact mode next to predictive) on the first
    // count-samples of the held-out set (the count recomputes every term: slower than the simulation).
    DNNC_ASSIGN(Accuracy after, accuracyWith(*exec, heldout, chosen));
    const int64_t count_n = std::min(c_.count_samples, heldout_n);
    const EvalSet counted = EvalSet::of(selectSamples(all, rows.subspan(size_t(profile_n), size_t(count_n)), batch));
    SnapeaCollector exact(*exec), predictive(*exec, {.predictions = chosen});
    DNNC_TRY(counted.run(*exec, exact));
    DNNC_TRY(exact.status());
    DNNC_TRY(counted.run(*exec, predictive));
    DNNC_TRY(predictive.status());
    const SnapeaResult e = exact.result(), p = predictive.result();

    SnapeaParams params;
    params.budget = c_.budget;
    params.seed = seed;
    params.profile_samples = profile_n;
    params.heldout_samples = heldout_n;
    params.top1_before = base.top1();
    params.top1 = after.top1();
    for (size_t k = 0; k < sites.size(); ++k) {
      params.layers.push_back({sites[k].node, profiler.terms(k), chosen[k]});
      const SnapeaLayer &le = e.layers[k], &lp = p.layers[k];
      ctx.log->rewrite(chosen[k].n > 0 ? "predictive" : "exact (no setting within the budget)", {sites[k].node},
                       {{"relu", sites[k].relu_name},
                        {"terms", profiler.terms(k)},
                        {"n", chosen[k].n},
                        {"threshold", chosen[k].threshold},
                        {"evaluations", evaluations[k]},
                        {"exact_skip_fraction", le.skipFraction()},
                        {"skip_fraction", lp.skipFraction()},
                        {"predicted_outputs", lp.predicted_outputs},
                        {"mispredicted", lp.mispredicted},
                        {"outputs", lp.outputs}});
    }
    ctx.log->summary = {{"layers", sites.size()},
                        {"predictive_layers", std::count_if(chosen.begin(), chosen.end(), [](const auto& c) { return c.n > 0; })},
                        {"budget_points", c_.budget},
                        {"seed", seed},
                        {"profile_samples", profile_n},
                        {"heldout_samples", heldout_n},
                        {"counted_samples", count_n},
                        {"top1_before", base.top1()},
                        {"top1", after.top1()},
                        {"exact_skip_fraction", e.skipFraction()},
                        {"skip_fraction", p.skipFraction()},
                        {"metadata_key", kSnapeaMetadataKey}};
    writeSnapeaParams(model, params);
    return PreservedAnalyses::all();  // metadata only: the graph is unchanged
  }

 private:
  SnapeaConfig c_;

  bool withinBudget(const Accuracy& base, const Accuracy& acc) const {
    return 100.0 * (base.top1() - acc.top1()) <= c_.budget + 1e-9;
  }

  static Expected<Accuracy> accuracyWith(Executor& exec, const EvalSet& set, const std::vector<SnapeaPrediction>& p) {
    SnapeaCollector simulate(exec, {.predictions = p, .count = false});
    DNNC_ASSIGN(Accuracy acc, set.evaluate(exec, &simulate));
    DNNC_TRY(simulate.status());
    return acc;
  }

  static Error noCoveredLayer(const SnapeaCoverage& coverage) {
    std::string why;
    bool bn = false;
    for (const auto& u : coverage.uncovered) {
      why += strCat(why.empty() ? "" : "; ", u.node, ": ", u.reason);
      bn = bn || u.reason.find("fold-bn") != std::string::npos;
    }
    Error e(Exit::Input, "snapea: no Conv -> Relu layer with non-negative input to predict",
            why.empty() ? " (the model has no Conv)" : " (" + why + ")");
    if (bn) e.withHint("fold BatchNormalization into the Convs first: dnnc run MODEL -o FOLDED --passes fold-bn");
    return e;
  }
};

}  // namespace

struct SnapeaPredictiveParams {
  std::optional<double> budget;
  int64_t profile_samples = 200, heldout_samples = 1000, count_samples = 200;
  std::optional<int64_t> seed;
  static const ParamFields<SnapeaPredictiveParams>& fields();
};

const ParamFields<SnapeaPredictiveParams>& SnapeaPredictiveParams::fields() {
  using P = SnapeaPredictiveParams;
  static const auto f =
      ParamFields<P>()
          .field("budget", &P::budget, "", "top-1 points the held-out samples may lose (needs labels)")
          .field("profile-samples", &P::profile_samples, "200", "samples the threshold candidates are derived from")
          .field("heldout-samples", &P::heldout_samples, "1000", "samples top-1 is measured on (0: all the others)")
          .field("count-samples", &P::count_samples, "200", "held-out samples the report's MAC-skip counts are taken on")
          .field("seed", &P::seed, "", "of the profile/held-out split (default: the pipeline's --seed)");
  return f;
}

Expected<std::unique_ptr<Pass>> createSnapeaPredictive(const SnapeaPredictiveParams& p) {
  if (!p.budget) return Error(Exit::Usage, "snapea needs budget=POINTS (top-1 points it may lose)");
  if (!(*p.budget >= 0)) return Error(Exit::Usage, "snapea: budget must be a non-negative number of points, got ", *p.budget);
  if (p.profile_samples < 1) return Error(Exit::Usage, "snapea: profile-samples must be positive");
  if (p.heldout_samples < 0) return Error(Exit::Usage, "snapea: heldout-samples must be 0 (all) or positive");
  if (p.count_samples < 1) return Error(Exit::Usage, "snapea: count-samples must be positive");
  SnapeaConfig c;
  c.budget = *p.budget;
  c.profile_samples = p.profile_samples;
  c.heldout_samples = p.heldout_samples;
  c.count_samples = p.count_samples;
  if (p.seed) c.seed = static_cast<uint64_t>(*p.seed);
  return std::unique_ptr<Pass>(std::make_unique<SnapeaPredictive>(std::move(c)));
}

DNNC_PASS_ENTRY(SnapeaPredictive)

}  // namespace dnnc
