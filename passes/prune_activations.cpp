// prune-activations: raise Relu cut-offs so more activations are exactly zero, for accelerators and
// kernels that skip zero activations (Cnvlutin).
// Before: X -> Relu -> Y.  After: X -> ThresholdedRelu(alpha) -> Y (y = x if x > alpha, else 0), or the
// Relu unchanged where the target needs no threshold.
// A ThresholdedRelu already there (an earlier run, or an earlier step of `dnnc compress`) is a site too:
// its cut-off is chosen again for the new target, so a pipeline can raise the target step by step.
// Requires: calibration data: data= (as finetune's, with scale/mean/std), else the command's --data;
// labels for `budget` (labels=, else the command's --labels).
// Params: sparsity (target fraction of zeros after each Relu) or budget (accuracy drop in points: the
//         largest uniform target within it, by bisection), skip (Relu names or output names, globs),
//         samples (calibrate on the first N samples; 0 = all), data, labels, scale, mean, std.
// Thresholds are calibrated layer by layer in graph order, each with the upstream thresholds in place.
// The report gives each Relu's zero fraction before and after, the Conv/Gemm/MatMul input sparsity
// before and after (as `dnnc stats` measures it) and, with labels, the accuracy before and after.
// Ref: Albericio et al., "Cnvlutin: Ineffectual-Neuron-Free Deep Neural Network Computing", ISCA 2016.
#include <algorithm>
#include <cmath>

#include "lib/exec/calibration.h"
#include "lib/pass/pass.h"
#include "passes/pass_results.h"
#include "passes/preprocess_params.h"
#include "passes/registry.h"
#include "lib/prune/activation_thresholds.h"
#include "lib/support/glob.h"
#include "lib/support/suggest.h"

namespace dnnc {

namespace {

struct ActivationConfig {
  double sparsity = NAN, budget = NAN;
  std::vector<std::string> skip;
  int64_t samples = 0;
  std::optional<Calibration> data;  // data= given: these samples, not the command's --data
};

bool matchesAny(const ReluSite& s, const std::vector<std::string>& patterns) {
  for (const auto& p : patterns)
    for (const auto& a : s.aliases)
      if (globMatch(p, a)) return true;
  return false;
}

// Zeros over all sites together.
double totalFraction(const std::vector<ZeroCount>& counts) {
  ZeroCount t;
  for (const auto& c : counts) t.zeros += c.zeros, t.count += c.count;
  return t.fraction();
}

double layerInputFraction(const std::vector<ActivationStats>& stats) {
  int64_t zeros = 0, count = 0;
  for (const auto& s : stats) zeros += s.zeros, count += s.count;
  return count ? double(zeros) / double(count) : 0.0;
}

class PruneActivations : public Pass {
 public:
  explicit PruneActivations(ActivationConfig c) : c_(std::move(c)) {}

  Expected<PreservedAnalyses> run(Model& model, PassContext& ctx) override {
    if (!c_.data && !ctx.calibration)
      return Error(Exit::Usage, "prune-activations needs calibration data to choose activation thresholds")
          .withHint("give data=X.npy, or --data X (dnnc prune --activations --data X, or dnnc run --data X)");
    Calibration calibration = c_.data ? *c_.data : *ctx.calibration;
    const bool budget = !std::isnan(c_.budget);
    if (budget && calibration.labels.empty())
      return Error(Exit::Usage, "an accuracy budget needs labels").withHint("give --labels Y");
    if (model.opsetVersion() < 10)
      return Error(Exit::Input, "ThresholdedRelu needs opset 10 or later; the model imports opset ", model.opsetVersion());
    std::vector<ReluSite> sites;
    {
      Graph graph(model.graph(), model.base_dir);
      std::vector<ReluSite> all = findRelus(graph);
      DNNC_TRY(checkSkipNames(all));
      for (auto& s : all) {
        if (matchesAny(s, c_.skip)) ctx.log->skip(s.name, "skipped as asked");
        else sites.push_back(std::move(s));
      }
    }
    if (sites.empty()) {
      ctx.log->summary = {{"relus", 0}};
      return PreservedAnalyses::all();
    }
    if (c_.samples > 0) calibration.limit = calibration.limit > 0 ? std::min(calibration.limit, c_.samples) : c_.samples;
    DNNC_ASSIGN(EvalSet set, EvalSet::load(model, calibration));
    DNNC_ASSIGN(ActivationMeasure before, measureActivations(model, sites, set, ctx.threads));
    Accuracy accuracy_before;
    if (set.hasLabels()) {  // from a plain run, as `dnnc eval` scores it (see measureActivations)
      DNNC_ASSIGN(accuracy_before, set.evaluate(model, ctx.threads));
    }

    double target = c_.sparsity;
    std::vector<float> alphas;
    if (budget) {
      DNNC_ASSIGN(target, searchBudget(model, sites, set, accuracy_before, ctx, alphas));
    } else {
      DNNC_ASSIGN(alphas, calibrateThresholds(model, sites, set, target, ctx.threads));
    }
    Model pruned = model;
    for (size_t i = 0; i < sites.size(); ++i) setReluThreshold(pruned, sites[i], alphas[i]);
    DNNC_ASSIGN(ActivationMeasure after, measureActivations(pruned, sites, set, ctx.threads));
    bool changed = false;
    for (size_t i = 0; i < sites.size(); ++i) {
      const ReluThresholdResult d{.threshold = alphas[i],
                                  .sparsity_before = before.relu_zeros[i].fraction(),
                                  .sparsity = after.relu_zeros[i].fraction()};
      const bool was = sites[i].alpha > 0;
      changed |= alphas[i] != sites[i].alpha;
      if (alphas[i] > 0) ctx.log->rewrite(was ? "ThresholdedRelu: cut-off chosen again" : "Relu -> ThresholdedRelu", {sites[i].name}, d);
      else ctx.log->rewrite(was ? "ThresholdedRelu -> Relu (the target needs no cut-off)" : "Relu kept (already at the target)",
                            {sites[i].name}, d);
    }
    auto& s = ctx.log->summary;
    s = {{"relus", sites.size()},
         {"samples", set.samples()},
         {"target_sparsity", target},
         {"relu_output_sparsity_before", totalFraction(before.relu_zeros)},
         {"relu_output_sparsity", totalFraction(after.relu_zeros)},
         {"layer_input_sparsity_before", layerInputFraction(before.layer_inputs)},
         {"layer_input_sparsity", layerInputFraction(after.layer_inputs)}};
    if (set.hasLabels()) {
      DNNC_ASSIGN(Accuracy accuracy_after, set.evaluate(pruned, ctx.threads));
      s["top1_before"] = accuracy_before.top1();
      s["top1"] = accuracy_after.top1();
    }
    if (budget) s["budget_points"] = c_.budget;
    if (!changed) return PreservedAnalyses::all();
    model.proto = std::move(pruned.proto);
    return PreservedAnalyses::none();
  }

 private:
  ActivationConfig c_;

  Status checkSkipNames(const std::vector<ReluSite>& all) const {
    for (const auto& p : c_.skip) {
      if (isGlob(p)) continue;
      bool hit = false;
      std::vector<std::string> names;
      for (const auto& s : all) {
        for (const auto& a : s.aliases) hit |= a == p;
        names.insert(names.end(), s.aliases.begin(), s.aliases.end());
      }
      if (!hit) {
        Error e(Exit::Usage, "skip: no Relu named '", p, "'");
        std::string close = closestMatch(p, names);
        return close.empty() ? std::move(e) : std::move(e).withHint(strCat("did you mean '", close, "'?"));
      }
    }
    return {};
  }

  // The largest uniform target (to 1/128) whose accuracy drop stays within the budget. A target of 0
  // keeps every Relu, so it always fits.
  Expected<double> searchBudget(const Model& model, const std::vector<ReluSite>& sites, const EvalSet& set,
                                const Accuracy& base, PassContext& ctx, std::vector<float>& alphas) {
    double lo = 0, hi = 0.99;
    alphas.assign(sites.size(), 0.0f);
    for (int step = 0; step < 7; ++step) {
      double mid = 0.5 * (lo + hi);
      DNNC_ASSIGN(auto a, calibrateThresholds(model, sites, set, mid, ctx.threads));
      Model trial = model;
      for (size_t i = 0; i < sites.size(); ++i) setReluThreshold(trial, sites[i], a[i]);
      DNNC_ASSIGN(Accuracy acc, set.evaluate(trial, ctx.threads));
      if (100.0 * (base.top1() - acc.top1()) <= c_.budget) {
        lo = mid;
        alphas = std::move(a);
      } else {
        hi = mid;
      }
    }
    return lo;
  }
};

}  // namespace

struct PruneActivationsParams {
  std::optional<double> sparsity, budget;
  std::optional<std::string> skip, data, labels;
  PreprocessParams preprocess;
  int64_t samples = 0;
  static const ParamFields<PruneActivationsParams>& fields();
};

const ParamFields<PruneActivationsParams>& PruneActivationsParams::fields() {
  using P = PruneActivationsParams;
  static const auto f =
      ParamFields<P>()
          .field("sparsity", &P::sparsity, "", "target fraction of zeros after each Relu, in [0, 1)")
          .field("budget", &P::budget, "", "accuracy drop allowed in points (needs labels): the largest target within it")
          .field("skip", &P::skip, "", "Relus to leave alone: node or output names, globs, comma-separated")
          .field("samples", &P::samples, "0", "calibrate on the first N samples (0: all)")
          .field("data", &P::data, "", "samples to calibrate on (.npy/.npz/.pb; default: the command's --data)")
          .field("labels", &P::labels, "", "their labels, for budget= (default: the command's --labels)")
          .fields(&P::preprocess, PreprocessParams::fields());
  return f;
}

Expected<std::unique_ptr<Pass>> createPruneActivations(const PruneActivationsParams& p) {
  ActivationConfig c;
  if (p.sparsity) c.sparsity = *p.sparsity;
  if (p.budget) c.budget = *p.budget;
  if (std::isnan(c.sparsity) == std::isnan(c.budget))
    return Error(Exit::Usage, "prune-activations needs one target: sparsity=S or budget=POINTS");
  if (!std::isnan(c.sparsity) && !(c.sparsity >= 0 && c.sparsity < 1))
    return Error(Exit::Usage, "prune-activations: sparsity ", c.sparsity, " is outside [0, 1)");
  if (!std::isnan(c.budget) && !(c.budget >= 0))
    return Error(Exit::Usage, "prune-activations: budget must be a non-negative number of points, got ", c.budget);
  if (p.skip) c.skip = splitList(*p.skip);
  c.samples = p.samples;
  if (c.samples < 0) return Error(Exit::Usage, "prune-activations: samples must be 0 (all) or positive");
  if (p.data) {
    c.data = Calibration{.data = p.preprocess.options(*p.data), .labels = p.labels.value_or("")};
  } else if (p.labels || p.preprocess.given()) {
    return Error(Exit::Usage, "prune-activations: labels, scale, mean and std go with data=");
  }
  return std::unique_ptr<Pass>(std::make_unique<PruneActivations>(std::move(c)));
}

DNNC_PASS_ENTRY(PruneActivations)

}  // namespace dnnc
