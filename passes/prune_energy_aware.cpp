// prune-energy-aware: prune the layers that cost the most energy first, each as far as its share of an
// accuracy budget allows; within a layer remove the smallest weights, restore those whose removal hurts
// the output feature map most, and refit the kept weights by least squares on the original outputs.
// Before: a trained model. After: the same graph, with zeros in Conv/Gemm/MatMul weights.
// Requires: calibration data (PassContext::calibration; with labels the budget is in top-1 points, without
// them in points of top-1 agreement with the original model).
// Params: accel, accuracy-budget, target-energy, restore, refit, max-sparsity, steps, samples, skip,
// compare-magnitude, finetune-epochs (step 4: global label-free distillation from the original model),
// rounds (prune and fine-tune again from the recovered accuracy).
// Energy is re-estimated after every layer with the activation zeros measured anew,
// since pruning one layer changes the sparsity the next ones see.
// Ref: Yang, Chen, Sze, "Designing Energy-Efficient Convolutional Neural Networks using Energy-Aware
// Pruning", CVPR 2017.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "lib/analysis/layer_names.h"
#include "lib/analysis/linear_layer.h"
#include "lib/energy/energy.h"
#include "lib/energy/model_energy.h"
#include "lib/energy/model_energy_analysis.h"
#include "lib/exec/activation_stats.h"
#include "lib/exec/classifier_score.h"
#include "lib/exec/executor.h"
#include "lib/ir/node.h"
#include "lib/linalg/masked_least_squares.h"
#include "lib/pass/pass.h"
#include "passes/registry.h"
#include "lib/support/glob.h"
#include "lib/support/stable_hash.h"
#include "lib/train/finetune_job.h"

namespace dnnc {
namespace {

struct Options {
  std::string accel;
  double budget_pts = 1.0, target_energy = 0, restore = 0.1, max_sparsity = 0.98;
  bool refit = true, compare_magnitude = false;
  int steps = 7;
  int64_t finetune_epochs = 0;
  int rounds = 1;
  double finetune_lr = 0.01;
  int64_t samples = 256;
  std::vector<std::string> skip;
};

// One value of the model on the first `samples` calibration samples, concatenated along the batch axis.
Expected<Tensor> fetchValue(const Model& model, const CalibrationSet& set, const std::string& value, int64_t samples,
                            int threads) {
  DNNC_ASSIGN(auto exec, Executor::create(model, {.threads = threads}));
  std::vector<Tensor> parts;
  int64_t seen = 0, rows = 0;
  for (const Tensor& batch : set.batches) {
    if (seen >= samples) break;
    ExecRunOptions run;
    run.fetch = {value};
    DNNC_ASSIGN(auto out, exec->run({&batch}, run));
    seen += batch.dims()[0];
    rows += out[0].dims()[0];
    parts.push_back(std::move(out[0]));
  }
  std::vector<int64_t> dims = parts.front().dims();
  dims[0] = rows;
  Tensor all(DType::Float, dims);
  float* dst = all.data<float>();
  for (const Tensor& p : parts) dst = std::copy_n(p.data<float>(), p.numel(), dst);
  return all;
}

// Prunes w (M x K) to `sparsity` (fraction of all weights): existing zeros stay; the smallest magnitudes
// go, over-pruning by `restore` of the count, then the over-pruned weights with the largest output error
// w^2 E[x^2] come back ("closest weight restoration").
void pruneWithRestoration(RowMatrixF& w, double sparsity, double restore, const Eigen::VectorXd& power) {
  const int64_t n = w.size(), k = w.cols();
  const int64_t target_zeros = std::llround(sparsity * double(n));
  std::vector<int64_t> nonzero;
  for (int64_t i = 0; i < n; ++i)
    if (w.data()[i] != 0.0f) nonzero.push_back(i);
  const int64_t zeros = n - static_cast<int64_t>(nonzero.size());
  const int64_t prune = std::max<int64_t>(0, target_zeros - zeros);
  if (prune == 0) return;
  const int64_t over = std::min<int64_t>(nonzero.size(), prune + std::llround(restore * double(prune)));
  auto magnitude = [&](int64_t i) { return std::abs(w.data()[i]); };
  std::nth_element(nonzero.begin(), nonzero.begin() + over, nonzero.end(),
                   [&](int64_t a, int64_t b) { return magnitude(a) < magnitude(b) || (magnitude(a) == magnitude(b) && a < b); });
  std::vector<int64_t> removed(nonzero.begin(), nonzero.begin() + over);
  auto harm = [&](int64_t i) { return double(w.data()[i]) * w.data()[i] * power(i % k); };
  std::sort(removed.begin(), removed.end(), [&](int64_t a, int64_t b) { return harm(a) > harm(b) || (harm(a) == harm(b) && a < b); });
  for (size_t j = static_cast<size_t>(over - prune); j < removed.size(); ++j) w.data()[removed[j]] = 0.0f;
}

// Sampled rows per unknown weight of an output that the least-squares refit needs to generalise.
constexpr int64_t kRowsPerUnknown = 2;

// A layer the pass may prune, with its modelled energy in the original model.
struct Target {
  LinearLayer layer;
  double energy_pj = 0;
};

class PruneEnergyAware : public Pass {
 public:
  explicit PruneEnergyAware(Options o) : o_(std::move(o)) {}

  Expected<PreservedAnalyses> run(Model& model, PassContext& ctx) override {
    if (!ctx.calibration)
      return Error(Exit::Usage, "prune-energy-aware needs calibration data: give --data (and --labels for accuracy)");
    DNNC_ASSIGN(auto spec, energy::loadAcceleratorSpec(o_.accel));
    DNNC_ASSIGN(CalibrationSet set, loadCalibrationSet(model, *ctx.calibration));
    const int threads = ctx.threads;
    ClassifierScorer scorer(set, threads);
    const ActivationStatsOptions stats = energy::energyStatsOptions();
    const Model original = model;

    // The unpruned model's score and energy: analyses, so an earlier pass or run on the same data may
    // have measured them already.
    DNNC_ASSIGN(const ClassifierScore* measured,
                ctx.analyses.get(model, energy::ActivationStatsAnalysis{*ctx.calibration, threads}));
    ClassifierScore base = *measured;
    if (set.labels.empty()) {
      scorer.setReference(base.predictions);
      base.accuracy = 100.0;
    }
    DNNC_ASSIGN(const energy::MeasuredModelEnergy* measured_energy,
                ctx.analyses.get(model, energy::ModelEnergyAnalysis{o_.accel, energy::Objective::Energy, *ctx.calibration, threads}));
    const energy::ModelEnergy energy0 = measured_energy->energy;
    energy::MappingCache cache = measured_energy->mappings;
    DNNC_ASSIGN(std::vector<Target> targets, findTargets(model, energy0, *ctx.log));
    if (targets.empty()) return Error(Exit::Input, "prune-energy-aware: no Conv, Gemm or MatMul layer it can prune");
    std::stable_sort(targets.begin(), targets.end(), [](const Target& a, const Target& b) { return a.energy_pj > b.energy_pj; });
    const double prunable_pj = std::accumulate(targets.begin(), targets.end(), 0.0,
                                               [](double s, const Target& t) { return s + t.energy_pj; });

    nlohmann::json rows = nlohmann::json::array(), rounds = nlohmann::json::array();
    double accuracy = base.accuracy, accuracy_pruned = accuracy, finetune_accuracy = -1;
    energy::ModelEnergy current = energy0;
    // Yang et al. iterate: prune every layer within the budget, fine-tune globally, and prune again from
    // the recovered accuracy (the budget stays relative to the original), until a fine-tune stops paying.
    for (int round = 1; round <= o_.rounds; ++round) {
      double cumulative_pj = 0;
      int done = 0;
      for (const Target& t : targets) {
        ctx.progress(done, static_cast<int64_t>(targets.size()), "prune-energy-aware: " + t.layer.name);
        if (o_.target_energy > 0 && current.cost.energy_pj.total() <= o_.target_energy * energy0.cost.energy_pj.total()) {
          ctx.log->skip(t.layer.name, "energy target already met");
          continue;
        }
        cumulative_pj += t.energy_pj;
        // The budget goes to layers in proportion to their energy; what a layer leaves unused carries over.
        const double allowed_drop = o_.budget_pts * cumulative_pj / prunable_pj;
        DNNC_ASSIGN(auto chosen, pruneLayer(model, original, set, scorer, t.layer, base.accuracy, allowed_drop, threads,
                                                   ctx.seed, *ctx.log));
        model = std::move(chosen.first);
        const double sparsity = chosen.second;
        DNNC_ASSIGN(ClassifierScore now, scorer.score(model, &stats));
        accuracy = now.accuracy;
        DNNC_ASSIGN(current, energy::evaluateModelEnergy(model, spec, now.stats, &cache));
        rows.push_back({{"layer", t.layer.name},
                        {"round", round},
                        {"op", t.layer.op},
                        {"energy_pj_before", t.energy_pj},
                        {"sparsity", sparsity},
                        {"accuracy_after", accuracy},
                        {"allowed_drop", allowed_drop},
                        {"model_energy_after", current.cost.energy_pj.total() / energy0.cost.energy_pj.total()}});
        ctx.log->rewrite(strCat("pruned to ", formatDouble(std::round(sparsity * 1e4) / 1e4), " sparsity"), {t.layer.name},
                         {{"accuracy_after", accuracy}});
        ++done;
      }
      // Step 4: global fine-tuning, label-free distillation from the original (pruned weights stay zero).
      accuracy_pruned = accuracy;
      if (o_.finetune_epochs <= 0) break;  // another round would find the same layers at the same accuracy
      Model tuned_model = model;
      DNNC_TRY(finetuneFromOriginal(tuned_model, original, *ctx.calibration, threads, ctx.seed));
      DNNC_ASSIGN(ClassifierScore tuned, scorer.score(tuned_model, &stats));
      finetune_accuracy = tuned.accuracy;
      const bool kept = tuned.accuracy >= accuracy;
      rounds.push_back({{"round", round}, {"accuracy_pruned", accuracy}, {"accuracy_finetuned", tuned.accuracy},
                        {"finetune_kept", kept}});
      // A fine-tune that loses accuracy on the calibration data is not kept: nothing is lost by trying.
      if (!kept) break;
      model = std::move(tuned_model);
      accuracy = tuned.accuracy;
      DNNC_ASSIGN(current, energy::evaluateModelEnergy(model, spec, tuned.stats, &cache));
      rounds.back()["energy_ratio"] = current.cost.energy_pj.total() / energy0.cost.energy_pj.total();
    }
    // The final per-layer energy, after every layer is done (later layers change earlier ones' ofmaps).
    for (auto& row : rows) {
      int i = current.layers.find(row["layer"].get<std::string>());
      row["energy_pj_after"] = i >= 0 ? current.cost.layers[i].energy_pj.total() : 0.0;
    }
    nlohmann::json summary = {
        {"accelerator", o_.accel},
        {"accuracy_metric", set.labels.empty() ? "top-1 agreement with the original model (%)" : "top-1 (%)"},
        {"samples", set.samples},
        {"layers", rows},
        {"original", totals(original, energy0, base.accuracy)},
        {"pruned", totals(model, current, accuracy)},
    };
    if (o_.finetune_epochs > 0) {
      summary["finetune_epochs"] = o_.finetune_epochs;
      summary["accuracy_before_finetune"] = accuracy_pruned;
      summary["accuracy_after_finetune"] = finetune_accuracy;
      summary["finetune_kept"] = finetune_accuracy >= accuracy_pruned;
      summary["rounds"] = rounds;
    }
    summary["energy_reduction"] = energy0.cost.energy_pj.total() / current.cost.energy_pj.total();
    if (!spec.zeros.gate_weight_zeros() && spec.zeros.weight_compression() == energy::Compression::None)
      summary["note"] = strCat("'", o_.accel, "' neither skips zero weights nor compresses them in DRAM: unstructured ",
                               "pruning saves little energy there; prefer filter granularity (prune-structured, netadapt) ",
                               "or an accelerator such as eyeriss-sparse");
    if (o_.compare_magnitude) {
      DNNC_ASSIGN(summary["magnitude_at_same_accuracy"],
                  magnitudeBaseline(original, targets, scorer, spec, cache, accuracy, energy0, *ctx.calibration, threads,
                                    ctx.seed, static_cast<int64_t>(rounds.size()) * o_.finetune_epochs));
    }
    ctx.log->summary = summary;
    if (o_.target_energy > 0 && current.cost.energy_pj.total() > o_.target_energy * energy0.cost.energy_pj.total() * (1 + 1e-9))
      return Error(Exit::Target, "prune-energy-aware: energy target ", formatDouble(o_.target_energy),
                   " not reachable within an accuracy budget of ", formatDouble(o_.budget_pts), " points (reached ",
                   formatDouble(std::round(1e4 * current.cost.energy_pj.total() / energy0.cost.energy_pj.total()) / 1e4),
                   ")")
          .withHint("raise accuracy-budget, or fine-tune and prune again");
    return weightValuesChanged();
  }

 private:
  Options o_;

  // Label-free distillation from the original on the calibration data, cosine schedule (pruned weights
  // stay zero), shuffled from `seed` (--seed); `epochs` defaults to finetune-epochs.
  Status finetuneFromOriginal(Model& m, const Model& original, const Calibration& c, int threads, uint64_t seed,
                              int64_t epochs = 0) const {
    train::FinetuneJob job;
    job.data = c.data;
    job.limit = c.limit;
    job.options.epochs = epochs > 0 ? epochs : o_.finetune_epochs;
    job.options.optimizer.lr = o_.finetune_lr;
    job.options.schedule = "cosine";
    job.options.threads = threads;
    job.options.seed = seed;
    DNNC_TRY(train::runFinetuneJob(m, job, &original));
    return {};
  }

  Expected<std::vector<Target>> findTargets(Model& model, const energy::ModelEnergy& e, PassLog& log) const {
    Graph graph(model.graph(), model.base_dir);
    std::vector<Target> out;
    for (NodeId id : graph.nodes()) {
      const auto& n = graph.node(id);
      if (n.op_type() != "Conv" && n.op_type() != "Gemm" && n.op_type() != "MatMul") continue;
      std::string why;
      auto layer = linearLayer(graph, id, why);
      const std::string name = nodeLabel(n);
      if (!layer) {
        if (why != "not a layer") log.skip(name, why);
        continue;
      }
      const std::vector<std::string> aliases = layerAliases(n, layer->weight);
      if (std::any_of(o_.skip.begin(), o_.skip.end(), [&](const std::string& g) {
            return std::any_of(aliases.begin(), aliases.end(), [&](const std::string& a) { return globMatch(g, a); });
          })) {
        log.skip(name, "matches skip");
        continue;
      }
      if (graph.weightUseCount(layer->weight) > 1) {
        log.skip(name, "its weight is shared with other nodes");
        continue;
      }
      int i = e.layers.find(layer->name);
      if (i < 0) {
        log.skip(name, "the energy model cannot score it");
        continue;
      }
      out.push_back({*layer, e.cost.layers[i].energy_pj.total()});
    }
    return out;
  }

  // The most-pruned version of `layer` in `model` whose accuracy stays within `allowed_drop` of
  // `base_accuracy` (binary search over the sparsity), with its sparsity.
  Expected<std::pair<Model, double>> pruneLayer(const Model& model, const Model& original, const CalibrationSet& set,
                                                const ClassifierScorer& scorer, const LinearLayer& layer, double base_accuracy,
                                                double allowed_drop, int threads, uint64_t seed, PassLog& log) const {
    // Each layer's samples from --seed and its name: the same on every platform, independent of order.
    std::mt19937_64 rng(seed ^ 0x5eed ^ stableHash(layer.name));
    // The refit solves for fan_in weights per output from the sampled rows: it needs several rows per
    // unknown, or it fits the refit samples and loses accuracy everywhere else (LeNet-5's fc1, 800 inputs
    // with one row per image, refitted from 256 images: pruned to 73.5 % when scored on 1,000 calibration
    // images that held those 256, not at all on 5,000, and to 75 % there without the refit). A Gemm gets
    // one row per sample, so it reads more samples.
    const int64_t rows_wanted = kRowsPerUnknown * layer.fan_in;
    const int64_t n_samples = layer.conv() ? o_.samples : std::max(o_.samples, rows_wanted);
    DNNC_ASSIGN(Tensor in, fetchValue(model, set, layer.input, n_samples, threads));
    DNNC_ASSIGN(Tensor out, fetchValue(original, set, layer.output, n_samples, threads));
    LayerSamples samples = sampleLayer(layer, in, out, std::max<int64_t>(16384, rows_wanted), rng);
    const bool refit = o_.refit && samples.x.cols() >= rows_wanted;
    if (o_.refit && !refit)
      log.skip(layer.name, strCat("refit: ", samples.x.cols(), " sampled rows for ", layer.fan_in,
                                  " inputs (needs ", rows_wanted, "); pruned without the least-squares refit"));
    LeastSquaresSystem system = leastSquaresSystem(samples.x, samples.y);
    const Eigen::VectorXd power = system.inputPower();

    Model work = model;
    Graph graph(work.graph(), work.base_dir);
    DNNC_ASSIGN(Tensor w_tensor, graph.readWeight(layer.weight));
    const RowMatrixF w0 = weightMatrix(layer, w_tensor);
    std::vector<float> b0;
    if (!layer.bias.empty()) {
      DNNC_ASSIGN(Tensor b, graph.readWeight(layer.bias));
      b0 = b.toFloats();
    }
    const double existing = 1.0 - double((w0.array() != 0.0f).count()) / double(w0.size());

    auto candidate = [&](double sparsity) -> Model {
      RowMatrixF w = w0;
      std::vector<float> b = b0;
      pruneWithRestoration(w, sparsity, o_.restore, power);
      if (refit) refitOnSupport(system, w, b.empty() ? nullptr : &b, 1e-4, threads);
      Model m = model;
      Graph g(m.graph(), m.base_dir);
      Tensor wt = w_tensor;
      storeWeightMatrix(layer, w, wt);
      g.setWeight(layer.weight, wt);
      if (!b.empty()) g.setWeight(layer.bias, Tensor::fromFloats(b, {static_cast<int64_t>(b.size())}));
      return m;
    };

    double lo = existing, hi = std::max(existing, o_.max_sparsity);
    Model best = model;
    if (refit && existing > 0) {
      best = candidate(existing);  // a refit of an already pruned layer can only help
      DNNC_ASSIGN(ClassifierScore s, scorer.score(best));
      if (base_accuracy - s.accuracy > allowed_drop) best = model;
    }
    for (int step = 0; step < o_.steps && hi - lo > 1e-3; ++step) {
      const double mid = step == 0 ? hi : 0.5 * (lo + hi);  // try the maximum first: often it just fits
      Model m = candidate(mid);
      DNNC_ASSIGN(ClassifierScore s, scorer.score(m));
      if (base_accuracy - s.accuracy <= allowed_drop) {
        lo = mid;
        best = std::move(m);
        if (step == 0) break;
      } else {
        hi = mid;
      }
    }
    return std::make_pair(std::move(best), lo);
  }

  nlohmann::json totals(const Model& m, const energy::ModelEnergy& e, double accuracy) const {
    int64_t weights = 0, nonzero = 0;
    for (const auto& info : e.layers.info) {
      weights += info.weights;
      nonzero += info.nonzero_weights;
    }
    return {{"accuracy", accuracy},
            {"weights", weights},
            {"nonzero_weights", nonzero},
            {"macs", e.cost.macs},
            {"nonzero_macs", e.cost.nonzero_macs},
            {"energy_pj", e.cost.energy_pj.total()},
            {"latency_cycles", e.cost.latency_cycles}};
  }

  // Han-style global magnitude pruning of the same layers at the accuracy energy-aware pruning reached:
  // the largest single threshold that keeps accuracy >= `accuracy` (binary search), and what it costs.
  // With `finetune_epochs` > 0 (energy-aware pruning's fine-tunes, in total) every candidate gets that much of
  // the same fine-tuning (kept when it does not lose accuracy), so both methods get the same recovery.
  Expected<nlohmann::json> magnitudeBaseline(const Model& original, const std::vector<Target>& targets,
                                             const ClassifierScorer& scorer, const energy::AcceleratorSpec& spec,
                                             energy::MappingCache& cache, double accuracy,
                                             const energy::ModelEnergy& energy0, const Calibration& calibration,
                                             int threads, uint64_t seed, int64_t finetune_epochs) const {
    std::vector<float> magnitudes;
    {
      Model copy = original;
      Graph g(copy.graph(), copy.base_dir);
      for (const auto& t : targets) {
        DNNC_ASSIGN(Tensor w, g.readWeight(t.layer.weight));
        for (float v : w.toFloats()) magnitudes.push_back(std::abs(v));
      }
    }
    std::sort(magnitudes.begin(), magnitudes.end());
    auto at = [&](double s) -> Expected<Model> {
      const float threshold = magnitudes[std::min(magnitudes.size() - 1, size_t(s * double(magnitudes.size())))];
      Model m = original;
      Graph g(m.graph(), m.base_dir);
      for (const auto& t : targets) {
        DNNC_ASSIGN(Tensor w, g.readWeight(t.layer.weight));
        for (float& v : w.span<float>())
          if (std::abs(v) < threshold) v = 0.0f;
        g.setWeight(t.layer.weight, w);
      }
      if (finetune_epochs > 0) {
        // Like energy-aware pruning's own fine-tunes, one that loses calibration accuracy is not kept.
        Model tuned = m;
        DNNC_TRY(finetuneFromOriginal(tuned, original, calibration, threads, seed, finetune_epochs));
        DNNC_ASSIGN(ClassifierScore before, scorer.score(m));
        DNNC_ASSIGN(ClassifierScore after, scorer.score(tuned));
        if (after.accuracy >= before.accuracy) m = std::move(tuned);
      }
      return m;
    };
    double lo = 0, hi = o_.max_sparsity;
    for (int step = 0; step < o_.steps + 3; ++step) {
      const double mid = 0.5 * (lo + hi);
      DNNC_ASSIGN(Model m, at(mid));
      DNNC_ASSIGN(ClassifierScore s, scorer.score(m));
      (s.accuracy >= accuracy ? lo : hi) = mid;
    }
    DNNC_ASSIGN(Model m, at(lo));
    const ActivationStatsOptions stats = energy::energyStatsOptions();
    DNNC_ASSIGN(ClassifierScore s, scorer.score(m, &stats));
    DNNC_ASSIGN(auto e, energy::evaluateModelEnergy(m, spec, s.stats, &cache));
    nlohmann::json j = totals(m, e, s.accuracy);
    j["global_sparsity"] = lo;
    j["finetune_epochs"] = finetune_epochs;
    j["energy_reduction"] = energy0.cost.energy_pj.total() / e.cost.energy_pj.total();
    return j;
  }
};

}  // namespace

struct PruneEnergyAwareParams {
  std::string accel;
  double accuracy_budget = 0, target_energy = 0, restore = 0, max_sparsity = 0, finetune_lr = 0;
  bool refit = false, compare_magnitude = false;
  int64_t steps = 0, samples = 0, finetune_epochs = 0, rounds = 0;
  std::optional<std::string> skip;
  static const ParamFields<PruneEnergyAwareParams>& fields();
};

const ParamFields<PruneEnergyAwareParams>& PruneEnergyAwareParams::fields() {
  using P = PruneEnergyAwareParams;
  static const auto f =
      ParamFields<P>()
          .field("accel", &P::accel, "eyeriss-sparse", "accelerator preset or spec file (YAML) that scores energy")
          .field("accuracy-budget", &P::accuracy_budget, "1", "top-1 points the whole model may lose (before fine-tuning)")
          .field("target-energy", &P::target_energy, "0", "stop once energy is this fraction of the original (0: prune all layers)")
          .field("restore", &P::restore, "0.1", "over-prune by this share, then restore the weights whose loss hurts most")
          .field("refit", &P::refit, "true", "refit kept weights and bias by least squares on the original outputs")
          .field("max-sparsity", &P::max_sparsity, "0.98", "largest sparsity tried for one layer")
          .field("steps", &P::steps, "7", "binary-search steps per layer")
          .field("samples", &P::samples, "256", "calibration samples used for the least-squares refit")
          .field("skip", &P::skip, "", "comma-separated globs of layers (node or short names) to leave alone")
          .field("compare-magnitude", &P::compare_magnitude, "false", "also report global magnitude pruning at the same accuracy")
          .field("finetune-epochs", &P::finetune_epochs, "0", "then fine-tune globally: label-free distillation from the original")
          .field("finetune-lr", &P::finetune_lr, "0.01", "learning rate of that fine-tune (SGD with momentum, cosine schedule)")
          .field("rounds", &P::rounds, "1", "prune, fine-tune and prune again this many times (needs finetune-epochs)");
  return f;
}

Expected<std::unique_ptr<Pass>> createPruneEnergyAware(const PruneEnergyAwareParams& p) {
  Options o;
  o.accel = p.accel;
  o.budget_pts = p.accuracy_budget;
  o.target_energy = p.target_energy;
  o.restore = p.restore;
  o.refit = p.refit;
  o.max_sparsity = p.max_sparsity;
  o.steps = static_cast<int>(p.steps);
  o.samples = p.samples;
  if (p.skip) o.skip = splitList(*p.skip);
  o.compare_magnitude = p.compare_magnitude;
  o.finetune_epochs = p.finetune_epochs;
  o.finetune_lr = p.finetune_lr;
  o.rounds = static_cast<int>(p.rounds);
  if (o.rounds < 1 || o.rounds > 100) return Error(Exit::Usage, "prune-energy-aware: rounds must be in [1, 100], got ", o.rounds);
  if (o.finetune_epochs < 0 || o.finetune_lr <= 0)
    return Error(Exit::Usage, "prune-energy-aware: finetune-epochs must be >= 0 and finetune-lr positive");
  if (o.budget_pts < 0) return Error(Exit::Usage, "prune-energy-aware: accuracy-budget must be >= 0, got ", o.budget_pts);
  if (o.target_energy < 0 || o.target_energy >= 1)
    return Error(Exit::Usage, "prune-energy-aware: target-energy must be in [0,1), got ", o.target_energy);
  if (o.max_sparsity <= 0 || o.max_sparsity >= 1)
    return Error(Exit::Usage, "prune-energy-aware: max-sparsity must be in (0,1), got ", o.max_sparsity);
  if (o.restore < 0 || o.restore > 1) return Error(Exit::Usage, "prune-energy-aware: restore must be in [0,1], got ", o.restore);
  if (o.steps < 1 || o.samples < 1) return Error(Exit::Usage, "prune-energy-aware: steps and samples must be >= 1");
  return std::unique_ptr<Pass>(new PruneEnergyAware(std::move(o)));
}

DNNC_PASS_ENTRY(PruneEnergyAware)

}  // namespace dnnc
