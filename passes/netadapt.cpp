// netadapt: shrink a network, filter by filter, until a measured resource (modelled energy or latency on
// the accelerator, MACs, or the measured CPU latency of dnnc's executor) meets a budget, keeping the most
// accurate proposal at every step.
// Before: a trained model. After: the same graph with fewer filters (prune-structured rewrites).
// Each iteration: for every prunable filter group, the proposal removes just enough filters (binary
// search on the fraction) to cut the resource by the current step; each proposal is fine-tuned briefly by
// label-free distillation from the original model and scored on held-out calibration samples; the best
// proposal is kept. The step decays; a longer fine-tune ends the run. The trajectory (resource and
// accuracy per iteration) is in the report.
// Requires: calibration data (labels make the score top-1 accuracy; without them it is top-1 agreement).
// Params: resource, budget, measure, accel, step, decay, iterations, short-samples, long-epochs,
// val-samples, lr, compare-uniform (uniform filter pruning to the same budget, reported beside).
// Ref: Yang, Howard, Chen, Zhang, Go, Sandler, Sze, Adam, "NetAdapt: Platform-Aware Neural Network
// Adaptation for Mobile Applications", ECCV 2018.
#include <algorithm>
#include <cmath>

#include "lib/analysis/channel_groups.h"
#include "lib/analysis/layer_table.h"
#include "lib/energy/energy.h"
#include "lib/energy/model_energy.h"
#include "lib/exec/batch_latency.h"
#include "lib/exec/classifier_score.h"
#include "lib/exec/executor.h"
#include "lib/ir/node.h"
#include "lib/ir/shapes.h"
#include "lib/pass/pass.h"
#include "lib/pass/pipeline.h"
#include "lib/train/finetune.h"
#include "passes/pass_results.h"
#include "passes/registry.h"

namespace dnnc {

// The pass's parameters, as declared below (their defaults are there), and what the pass runs on.
struct NetAdaptParams {
  std::string resource, measure, accel;
  double budget = 0, step = 0, decay = 0, lr = 0;
  int64_t iterations = 0, short_samples = 0, long_epochs = 0, val_samples = 0;
  bool compare_uniform = false;
  static const ParamFields<NetAdaptParams>& fields();
};

namespace {

// The resource of a model, as the options measure it (lower is better).
class ResourceMeter {
 public:
  ResourceMeter(const NetAdaptParams& o, const CalibrationSet& probe, int threads, InputShapes input_shapes)
      : o_(o), probe_(probe), threads_(threads), input_shapes_(std::move(input_shapes)) {}

  Status init() {
    if (o_.measure == "model" && o_.resource != "macs") {
      DNNC_ASSIGN(spec_, energy::loadAcceleratorSpec(o_.accel));
    }
    return {};
  }

  Expected<double> operator()(const Model& m) {
    if (o_.resource == "macs") {
      DNNC_ASSIGN(auto table, buildLayerTable(m, input_shapes_));
      if (!table.unshaped.empty())
        return Error(Exit::Input, "netadapt: the MACs of ", table.unshaped.size(), " layers are unknown (first: '",
                     table.unshaped.front(), "')")
            .withHint("give --input-shape NAME=DIMS for the model's symbolic input dims");
      return double(table.macs);
    }
    if (o_.measure == "cpu") return singleSampleLatencyMs(m, probe_.batches.front(), threads_, 15);
    ClassifierScorer scorer(probe_, threads_);
    const ActivationStatsOptions stats = energy::energyStatsOptions();
    DNNC_ASSIGN(ClassifierScore s, scorer.score(m, &stats));
    DNNC_ASSIGN(auto e, energy::evaluateModelEnergy(m, spec_, s.stats, &cache_,
                                                    o_.resource == "latency" ? energy::Objective::Latency
                                                                             : energy::Objective::Energy));
    return o_.resource == "latency" ? e.cost.latency_cycles : e.cost.energy_pj.total();
  }

 private:
  const NetAdaptParams& o_;
  const CalibrationSet& probe_;
  int threads_;
  InputShapes input_shapes_;
  energy::AcceleratorSpec spec_;
  energy::MappingCache cache_;

};

// Accuracies go into the report in percent, as every other pass reports them.
double percent(double fraction) { return 100.0 * fraction; }

// Samples [first, first + count) of a training set (with its teacher logits rows).
train::Dataset rows(const train::Dataset& d, int64_t first, int64_t count) {
  train::Dataset out;
  std::vector<int64_t> idx(static_cast<size_t>(d.samples()));
  for (int64_t i = 0; i < d.samples(); ++i) idx[i] = i;
  out.x = d.batch(idx, first, count);
  if (!d.labels.empty()) out.labels.assign(d.labels.begin() + first, d.labels.begin() + first + count);
  return out;
}

train::Buf logitRows(const train::Buf& logits, int64_t first, int64_t count) {
  const int64_t c = logits.dims[1];
  train::Buf out({count, c});
  std::copy_n(logits.v.begin() + first * c, count * c, out.v.begin());
  return out;
}

class NetAdapt : public Pass {
 public:
  explicit NetAdapt(NetAdaptParams o) : o_(std::move(o)) {}

  Expected<PreservedAnalyses> run(Model& model, PassContext& ctx) override {
    if (!ctx.calibration) return Error(Exit::Usage, "netadapt needs calibration data: give --data (and --labels)");
    const int threads = ctx.threads;
    const Calibration& c = *ctx.calibration;
    DNNC_ASSIGN(train::Dataset all, train::loadDataset(model, c.data, c.labels, c.limit));
    if (all.samples() < o_.val_samples + 64)
      return Error(Exit::Input, "netadapt: ", all.samples(), " calibration samples; it needs val-samples (", o_.val_samples,
                   ") + 64 at least");
    const Model original = model;
    // Held-out scoring set first, the rest trains; the original's logits are the distillation targets.
    DNNC_ASSIGN(train::Buf teacher_all, train::teacherLogits(original, all, threads));
    train::Dataset val = rows(all, 0, o_.val_samples);
    if (val.labels.empty()) {  // score agreement with the original
      const int64_t classes = teacher_all.dims[1];
      for (int64_t i = 0; i < o_.val_samples; ++i) {
        auto row = teacher_all.v.begin() + i * classes;
        val.labels.push_back(std::max_element(row, row + classes) - row);
      }
    }
    const int64_t train_n = all.samples() - o_.val_samples;
    train::Dataset train_set = rows(all, o_.val_samples, train_n);
    train_set.labels.clear();  // short-term and long-term fine-tunes distil label-free
    train::Buf teacher = logitRows(teacher_all, o_.val_samples, train_n);

    Calibration probe_c = c;
    probe_c.limit = 64;
    DNNC_ASSIGN(CalibrationSet probe, loadCalibrationSet(model, probe_c));
    ResourceMeter meter(o_, probe, threads, ctx.input_shapes);
    DNNC_TRY(meter.init());
    DNNC_ASSIGN(const double r0, meter(original));
    DNNC_ASSIGN(double acc0, train::accuracy(original, val, threads));
    const double target = o_.budget * r0;

    std::vector<NetAdaptStep> trajectory = {{.iteration = 0, .resource = 1.0, .accuracy = percent(acc0)}};
    double r = r0, step = o_.step, accuracy = acc0;
    int iteration = 0;
    while (r > target * (1 + 1e-9) && iteration < o_.iterations) {
      ++iteration;
      const double goal = std::max(target, r - step * r0);
      ctx.progress(iteration, o_.iterations, "netadapt: iteration");
      std::optional<Model> best;
      double best_acc = -1, best_r = r;
      std::string best_layer;
      DNNC_ASSIGN(std::vector<std::string> layers, candidates(model, ctx));
      for (const std::string& layer : layers) {
        DNNC_ASSIGN(auto proposal, propose(model, layer, goal, meter, ctx));
        if (!proposal) continue;
        Model m = std::move(proposal->first);
        train::FinetuneOptions ft;
        ft.epochs = 1;
        ft.optimizer.lr = o_.lr;
        ft.threads = threads;
        ft.seed = ctx.seed + static_cast<uint64_t>(iteration);  // from --seed, a stream per iteration
        const int64_t n = std::min(o_.short_samples, train_n);
        train::Dataset part = rows(train_set, 0, n);
        train::Buf part_teacher = logitRows(teacher, 0, n);
        DNNC_TRY(train::finetune(m, part, &part_teacher, nullptr, ft));
        DNNC_ASSIGN(double acc, train::accuracy(m, val, threads));
        ctx.log->rewrite("proposal", {layer}, {{"iteration", iteration}, {"resource", proposal->second / r0}, {"accuracy", percent(acc)}});
        if (acc > best_acc) {
          best_acc = acc, best_r = proposal->second, best_layer = layer;
          best = std::move(m);
        }
      }
      if (!best) break;  // nothing can shrink further
      model = std::move(*best);
      ctx.analyses.invalidate(PreservedAnalyses::none());  // a layer shrank
      r = best_r, accuracy = best_acc;
      trajectory.push_back({.iteration = iteration, .resource = r / r0, .accuracy = percent(accuracy), .layer = best_layer});
      step *= o_.decay;
    }
    if (o_.long_epochs > 0) {
      DNNC_TRY(longFinetune(model, train_set, teacher, threads, ctx.seed));
      DNNC_ASSIGN(accuracy, train::accuracy(model, val, threads));
    }
    NetAdaptSummary summary{.resource = o_.resource,
                            .measure = o_.resource == "macs" ? "count" : o_.measure,
                            .budget = o_.budget,
                            .resource_before = r0,
                            .resource_after = r,
                            .resource_ratio = r / r0,
                            .accuracy_metric = c.labels.empty() ? "top-1 agreement with the original (%)" : "top-1 (%)",
                            .accuracy_before = percent(acc0),
                            .accuracy_after = percent(accuracy),
                            .iterations = iteration,
                            .trajectory = std::move(trajectory)};
    if (o_.compare_uniform) {
      DNNC_ASSIGN(summary.uniform, uniformBaseline(original, target, r0, meter, train_set, teacher, val, ctx));
    }
    ctx.log->summary = summary;
    if (r > target * (1 + 1e-9))
      return Error(Exit::Target, "netadapt: budget ", formatDouble(o_.budget), " of ", o_.resource,
                   " not reached (", formatDouble(std::round(1e4 * r / r0) / 1e4), " after ", iteration, " iterations)")
          .withHint("raise iterations or step");
    return PreservedAnalyses::none();
  }

 private:
  NetAdaptParams o_;

  // The final fine-tune (also the uniform baseline's): label-free distillation, cosine schedule,
  // shuffled from `seed` (--seed).
  Status longFinetune(Model& m, const train::Dataset& train_set, const train::Buf& teacher, int threads,
                      uint64_t seed) const {
    train::FinetuneOptions ft;
    ft.epochs = o_.long_epochs;
    ft.optimizer.lr = o_.lr;
    ft.schedule = "cosine";
    ft.threads = threads;
    ft.seed = seed;
    DNNC_TRY(train::finetune(m, train_set, &teacher, nullptr, ft));
    return {};
  }

  static Expected<Model> pruneFilters(const Model& model, const std::string& params, int threads) {
    Model m = model;
    DNNC_ASSIGN(auto pipeline, parsePipeline(strCat("prune-structured(", params, ")"), builtinPasses()));
    PassContext inner;
    inner.threads = threads;
    DNNC_TRY(runPipeline(m, pipeline, builtinPasses(), inner));
    return m;
  }

  // The baseline NetAdapt is measured against: the same fraction of filters removed from every group
  // (prune-structured's global L2 ranking per group), the smallest fraction that meets the same budget on
  // the same meter, then the same final fine-tune, scored on the same held-out samples.
  Expected<NetAdaptUniform> uniformBaseline(const Model& original, double target, double r0, ResourceMeter& meter,
                                           const train::Dataset& train_set, const train::Buf& teacher,
                                           const train::Dataset& val, PassContext& ctx) const {
    ctx.progress(0, 1, "netadapt: uniform baseline");
    double lo = 0, hi = 0.95;
    DNNC_ASSIGN(Model best, pruneFilters(original, strCat("sparsity=", formatDouble(hi)), ctx.threads));
    DNNC_ASSIGN(double best_r, meter(best));
    if (best_r > target)
      return NetAdaptUniform{.reached = false, .sparsity = hi, .resource_ratio = best_r / r0};
    for (int i = 0; i < 8; ++i) {
      const double mid = 0.5 * (lo + hi);
      DNNC_ASSIGN(Model m, pruneFilters(original, strCat("sparsity=", formatDouble(mid)), ctx.threads));
      DNNC_ASSIGN(double rm, meter(m));
      if (rm <= target) hi = mid, best = std::move(m), best_r = rm;
      else lo = mid;
    }
    DNNC_ASSIGN(double one_shot, train::accuracy(best, val, ctx.threads));
    if (o_.long_epochs > 0) DNNC_TRY(longFinetune(best, train_set, teacher, ctx.threads, ctx.seed));
    DNNC_ASSIGN(double acc, train::accuracy(best, val, ctx.threads));
    return NetAdaptUniform{.reached = true,
                           .sparsity = hi,
                           .resource_ratio = best_r / r0,
                           .accuracy_one_shot = percent(one_shot),
                           .accuracy = percent(acc)};
  }

  // The first source of every filter group prune-structured may shrink.
  Expected<std::vector<std::string>> candidates(Model& model, PassContext& ctx) const {
    DNNC_ASSIGN(const ChannelGroups* groups, ctx.analyses.get(model, ChannelGroupsAnalysis{ctx.input_shapes}));
    Graph graph(model.graph(), model.base_dir);
    std::vector<std::string> out;
    for (const auto& g : groups->groups)
      if (!g.blocked && !g.sources.empty()) out.push_back(nodeLabel(graph.node(g.sources.front())));
    return out;
  }

  // The model with the fewest filters of `layer`'s group removed that meets `goal`, and its resource;
  // nullopt when even removing 90 % does not.
  Expected<std::optional<std::pair<Model, double>>> propose(const Model& model, const std::string& layer, double goal,
                                                            ResourceMeter& meter, PassContext& ctx) const {
    auto prune = [&](double fraction) {
      return pruneFilters(model, strCat("layer-sparsity='", layer, "=", formatDouble(fraction), "'"), ctx.threads);
    };
    double lo = 0, hi = 0.9;
    DNNC_ASSIGN(Model most, prune(hi));
    DNNC_ASSIGN(double r_most, meter(most));
    if (r_most > goal) return std::optional<std::pair<Model, double>>();
    std::pair<Model, double> best{std::move(most), r_most};
    for (int i = 0; i < 6; ++i) {
      const double mid = 0.5 * (lo + hi);
      DNNC_ASSIGN(Model m, prune(mid));
      DNNC_ASSIGN(double rm, meter(m));
      if (rm <= goal) {
        hi = mid;
        best = {std::move(m), rm};
      } else {
        lo = mid;
      }
    }
    return std::optional<std::pair<Model, double>>(std::move(best));
  }
};

}  // namespace

const ParamFields<NetAdaptParams>& NetAdaptParams::fields() {
  using P = NetAdaptParams;
  static const auto f =
      ParamFields<P>()
          .field("resource", &P::resource, "energy", "what the budget limits", {"energy", "latency", "macs"})
          .field("budget", &P::budget, "0.5", "target resource as a fraction of the original")
          .field("measure", &P::measure, "model", "model: the accelerator model; cpu: dnnc's executor, measured",
                 {"model", "cpu"})
          .field("accel", &P::accel, "eyeriss", "accelerator preset or spec file for measure=model")
          .field("step", &P::step, "0.1", "first iteration's resource cut, as a fraction of the original")
          .field("decay", &P::decay, "0.96", "the step shrinks by this factor every iteration")
          .field("iterations", &P::iterations, "20", "at most this many iterations")
          .field("short-samples", &P::short_samples, "1000", "samples of label-free distillation per proposal")
          .field("long-epochs", &P::long_epochs, "1", "epochs of the final fine-tune")
          .field("val-samples", &P::val_samples, "500", "calibration samples held out to score proposals")
          .field("lr", &P::lr, "0.005", "learning rate of the fine-tunes (SGD with momentum)")
          .field("compare-uniform", &P::compare_uniform, "false",
                 "also report uniform filter pruning at the same budget, with the same final fine-tune");
  return f;
}

Expected<std::unique_ptr<Pass>> createNetAdapt(const NetAdaptParams& o) {
  if (o.budget <= 0 || o.budget >= 1) return Error(Exit::Usage, "netadapt: budget must be in (0,1), got ", o.budget);
  if (o.step <= 0 || o.step >= 1) return Error(Exit::Usage, "netadapt: step must be in (0,1), got ", o.step);
  if (o.decay <= 0 || o.decay > 1) return Error(Exit::Usage, "netadapt: decay must be in (0,1], got ", o.decay);
  if (o.iterations < 1 || o.short_samples < 1 || o.val_samples < 1 || o.long_epochs < 0)
    return Error(Exit::Usage, "netadapt: iterations, short-samples and val-samples must be >= 1, long-epochs >= 0");
  return std::unique_ptr<Pass>(new NetAdapt(o));
}

DNNC_PASS_ENTRY(NetAdapt)

}  // namespace dnnc
