// prune-obd: zero the weights with the smallest saliency s_k = h_kk * w_k^2 / 2, where h_kk is the
// diagonal of the loss Hessian by Gauss-Newton back-propagation on calibration data (the cached
// HessianDiag analysis, lib/train/hessian_diag.h); optionally in rounds of prune -> retrain.
// Before: Conv/Gemm/MatMul weights dense (or partly zero). After: the same graph, `sparsity` of those
// weights exactly zero (globally, or in every layer with scope=layer); with granularity=filter, whole
// Conv output filters ranked by their summed saliency are zeroed instead (Gemm/MatMul are left alone),
// with the filter's bias and, after a BatchNormalization, its scale and shift, so the channel is 0.
// Rounds (iterations=R): round r prunes to sparsity * r / R, then retrains finetune-epochs epochs with
// the pruned weights masked — steps 2-6 of the paper. Retraining distils from the model as it entered
// the pass (label-free without labels=; alpha CE + (1 - alpha) T^2 KL with them) unless distill=false.
// criterion=magnitude ranks by |w| instead, under the same schedule, for comparison.
// Requires: data= (calibration and retraining inputs). Ref: LeCun, Denker, Solla, "Optimal Brain
// Damage", NeurIPS 1989; Han et al. 2015 for the iterative schedule.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "lib/analysis/weight_layers.h"
#include "lib/ir/graph.h"
#include "lib/ir/node.h"
#include "lib/pass/pass.h"
#include "lib/train/finetune_job.h"
#include "lib/train/hessian_diag.h"
#include "passes/finetune_params.h"
#include "passes/registry.h"

namespace dnnc {

namespace {

struct Layer {
  std::string node, weight;
  bool rows_are_filters = true;  // WeightLayer::rowsAreFilters: Conv, Gemm transB=1; else columns are outputs
};

}  // namespace

// prune-obd's own parameters, then the fine-tuning ones of its retraining rounds (all but epochs,
// which it calls finetune-epochs).
struct PruneObdParams {
  double sparsity = 0;
  std::string scope, granularity, criterion;
  int64_t iterations = 0, finetune_epochs = 0, calib_samples = 0;
  bool distill = false;
  FinetuneParams finetune;
  static const ParamFields<PruneObdParams>& fields();
};

namespace {

class PruneObd : public Pass {
 public:
  PruneObd(const PruneObdParams& p, train::FinetuneJob job)
      : sparsity_(p.sparsity), scope_(p.scope), granularity_(p.granularity), criterion_(p.criterion),
        iterations_(p.iterations), ft_epochs_(p.finetune_epochs), calib_(p.calib_samples), distill_(p.distill),
        finetune_params_(p.finetune), job_(std::move(job)) {}

  Expected<PreservedAnalyses> run(Model& model, PassContext& ctx) override {
    DNNC_TRY(completeFromContext(job_, finetune_params_, ctx, "prune-obd"));
    std::vector<Layer> layers = findLayers(model, *ctx.log);
    if (layers.empty()) {
      ctx.log->summary = {{"pruned", 0}};
      return PreservedAnalyses::all();
    }
    const Model original = model;
    nlohmann::json rounds = nlohmann::json::array();
    for (int64_t r = 1; r <= iterations_; ++r) {
      const double target = sparsity_ * static_cast<double>(r) / static_cast<double>(iterations_);
      DNNC_TRY(pruneTo(model, ctx, layers, target));
      nlohmann::json round = {{"round", r}, {"sparsity", target}};
      ctx.analyses.invalidate(weightValuesChanged());
      if (ft_epochs_ > 0) {
        train::FinetuneJob job = job_;
        job.options.epochs = ft_epochs_;
        job.options.threads = ctx.threads;
        job.options.seed = job.options.seed + static_cast<uint64_t>(r);
        const Model* teacher = distill_ && job.teacher.empty() ? &original : nullptr;
        if (!teacher && job.teacher.empty() && job.labels.empty())
          return Error(Exit::Usage, "prune-obd: retraining needs labels= or distill=true");
        auto progress = [&](int64_t epoch, int64_t done, int64_t total, double, double) {
          ctx.progress(((r - 1) * ft_epochs_ + epoch - 1) * total + done, iterations_ * ft_epochs_ * total, "prune-obd retrain");
        };
        DNNC_ASSIGN(train::FinetuneReport fr, train::runFinetuneJob(model, job, teacher, progress));
        round["finetune"] = train::finetuneReportJson(fr);
        ctx.analyses.invalidate(weightValuesChanged());
      }
      rounds.push_back(round);
    }
    // Per-layer result.
    Graph graph(model.graph(), model.base_dir);
    int64_t total = 0, zeros = 0;
    for (const auto& l : layers) {
      DNNC_ASSIGN(Tensor w, graph.readWeight(l.weight));
      const int64_t z = w.numel() - w.countNonzero();
      total += w.numel(), zeros += z;
      ctx.log->rewrite("zero low-saliency weights", {l.node},
                       {{"weight", l.weight}, {"params", w.numel()}, {"zeros", z},
                        {"sparsity", w.numel() ? double(z) / double(w.numel()) : 0.0}});
    }
    ctx.log->summary = {{"criterion", criterion_}, {"granularity", granularity_}, {"scope", scope_}, {"params", total},
                        {"zeros", zeros}, {"sparsity", total ? double(zeros) / double(total) : 0.0}, {"rounds", rounds}};
    return weightValuesChanged();
  }

 private:
  // The weight layers (lib/analysis/weight_layers.h) of rank >= 2; filters only of convolutions (a Gemm's
  // output rows may be the classes themselves).
  std::vector<Layer> findLayers(Model& model, PassLog& log) const {
    std::vector<Layer> out;
    Graph graph(model.graph(), model.base_dir);
    WeightLayers all = enumerateWeightLayers(graph);
    for (const auto& s : all.skipped) log.skip(s.node, s.reason);
    for (const auto& l : all.layers) {
      if (l.dims.size() < 2 || (granularity_ == "filter" && l.kind != LayerKind::Conv)) continue;
      out.push_back({l.name, l.weight, l.rowsAreFilters()});
    }
    return out;
  }

  // Scores per unit (weight, or filter) of one layer: saliency or magnitude.
  Expected<std::vector<double>> scores(const Layer& l, const Tensor& w, const train::HessianDiag* h) const {
    std::vector<float> wv = w.toFloats();
    std::vector<float> hv;
    if (criterion_ == "obd") {
      const auto* d = h->find(l.weight);
      if (!d) return Error(Exit::Input, "prune-obd: no Hessian diagonal for '", l.weight, "'");
      hv = *d;
    } else {
      hv.assign(wv.size(), 2.0f);  // magnitude: rank by w^2, the same order as |w|
    }
    if (granularity_ == "weight") return train::saliency(hv, wv);
    // Filters: output units; for [K, N] weights (MatMul, Gemm transB=0) they are columns.
    std::vector<int64_t> dims = w.dims();
    if (!l.rows_are_filters) transpose(wv, hv, dims);
    return train::filterSaliency(hv, wv, dims);
  }

  static void transpose(std::vector<float>& w, std::vector<float>& h, std::vector<int64_t>& dims) {
    const int64_t R = dims[0], C = static_cast<int64_t>(w.size()) / R;
    std::vector<float> wt(w.size()), ht(h.size());
    for (int64_t i = 0; i < R; ++i)
      for (int64_t j = 0; j < C; ++j) wt[j * R + i] = w[i * C + j], ht[j * R + i] = h[i * C + j];
    w.swap(wt), h.swap(ht);
    dims = {C, R};
  }

  Status pruneTo(Model& model, PassContext& ctx, const std::vector<Layer>& layers, double target) {
    const train::HessianDiag* h = nullptr;
    if (criterion_ == "obd") {
      train::CalibrationSpec spec{job_.data, calib_};
      DNNC_ASSIGN(h, train::hessianDiagAnalysis(model, ctx, spec));
    }
    Graph graph(model.graph(), model.base_dir);
    std::vector<Tensor> weights;
    std::vector<std::vector<double>> score;
    for (const auto& l : layers) {
      DNNC_ASSIGN(Tensor w, graph.readWeight(l.weight));
      DNNC_ASSIGN(auto s, scores(l, w, h));
      weights.push_back(std::move(w));
      score.push_back(std::move(s));
    }
    // Units to zero: the lowest scores, globally or per layer. Ties broken by (layer, index) order.
    std::vector<std::vector<uint8_t>> cut(layers.size());
    auto pick = [&](std::vector<std::pair<size_t, int64_t>> units, int64_t count) {
      std::stable_sort(units.begin(), units.end(), [&](const auto& a, const auto& b) {
        return score[a.first][a.second] < score[b.first][b.second];
      });
      for (int64_t i = 0; i < count && i < static_cast<int64_t>(units.size()); ++i) cut[units[i].first][units[i].second] = 1;
    };
    std::vector<std::pair<size_t, int64_t>> all;
    int64_t all_size = 0;
    for (size_t l = 0; l < layers.size(); ++l) {
      cut[l].assign(score[l].size(), 0);
      std::vector<std::pair<size_t, int64_t>> units;
      for (int64_t i = 0; i < static_cast<int64_t>(score[l].size()); ++i) units.emplace_back(l, i);
      // Weighted by elements per unit so the global target counts weights, not filters.
      if (scope_ == "layer") pick(units, std::llround(target * static_cast<double>(units.size())));
      else all.insert(all.end(), units.begin(), units.end()), all_size += static_cast<int64_t>(units.size());
    }
    if (scope_ == "global") {
      if (granularity_ == "weight") {
        pick(all, std::llround(target * static_cast<double>(all_size)));
      } else {
        // Filters differ in size between layers: take filters in score order until the weight target.
        int64_t total = 0;
        for (const auto& w : weights) total += w.numel();
        std::stable_sort(all.begin(), all.end(), [&](const auto& a, const auto& b) { return score[a.first][a.second] < score[b.first][b.second]; });
        int64_t removed = 0;
        for (const auto& [l, i] : all) {
          const int64_t per = weights[l].numel() / static_cast<int64_t>(score[l].size());
          if (removed + per > std::llround(target * static_cast<double>(total))) break;
          cut[l][i] = 1, removed += per;
        }
      }
    }
    for (size_t l = 0; l < layers.size(); ++l) {
      Tensor& w = weights[l];
      float* v = w.data<float>();
      const int64_t units = static_cast<int64_t>(cut[l].size());
      if (granularity_ == "weight") {
        for (int64_t i = 0; i < units; ++i)
          if (cut[l][i]) v[i] = 0.0f;
      } else {
        const int64_t R = w.dims()[0], C = w.numel() / R;
        for (int64_t f = 0; f < units; ++f) {
          if (!cut[l][f]) continue;
          if (layers[l].rows_are_filters) std::fill(v + f * C, v + (f + 1) * C, 0.0f);
          else for (int64_t i = 0; i < R; ++i) v[i * C + f] = 0.0f;
        }
      }
      graph.setWeight(layers[l].weight, w);
      if (granularity_ == "filter") DNNC_TRY(silenceFilters(graph, layers[l], cut[l]));
    }
    return {};
  }

  // A zeroed filter still emits its bias, and after a BatchNormalization beta - gamma * mean / sigma: a
  // constant channel. Removing a filter means its channel is 0, so zero the Conv bias entry and, when
  // the Conv feeds only a BatchNormalization, that channel's scale, shift and running mean.
  Status silenceFilters(Graph& graph, const Layer& l, const std::vector<uint8_t>& cut) const {
    auto zeroEntries = [&](const std::string& name) -> Status {
      if (!graph.isWeight(name)) return {};
      DNNC_ASSIGN(Tensor t, graph.readWeight(name));
      if (t.dtype() != DType::Float || t.numel() != static_cast<int64_t>(cut.size())) return {};
      float* v = t.data<float>();
      for (size_t f = 0; f < cut.size(); ++f)
        if (cut[f]) v[f] = 0.0f;
      graph.setWeight(name, t);
      return {};
    };
    for (NodeId id : graph.nodes()) {
      const auto& conv = graph.node(id);
      if (conv.op_type() != "Conv" || conv.input_size() < 2 || conv.input(1) != l.weight) continue;
      if (conv.input_size() > 2 && !conv.input(2).empty()) DNNC_TRY(zeroEntries(conv.input(2)));
      auto uses = graph.consumers(conv.output(0));
      if (uses.size() != 1 || graph.isGraphOutput(conv.output(0))) continue;
      const auto& bn = graph.node(uses[0].node);
      if (bn.op_type() != "BatchNormalization" || bn.input_size() < 3 || bn.input(0) != conv.output(0)) continue;
      DNNC_TRY(zeroEntries(bn.input(1)));
      DNNC_TRY(zeroEntries(bn.input(2)));
      if (bn.input_size() > 3) DNNC_TRY(zeroEntries(bn.input(3)));  // mean 0: x^ = 0, gamma stays untrained
    }
    return {};
  }

  double sparsity_;
  std::string scope_, granularity_, criterion_;
  int64_t iterations_, ft_epochs_, calib_;
  bool distill_;
  FinetuneParams finetune_params_;
  train::FinetuneJob job_;
};

}  // namespace

const ParamFields<PruneObdParams>& PruneObdParams::fields() {
  using P = PruneObdParams;
  static const auto f =
      ParamFields<P>()
          .field("sparsity", &P::sparsity, "0.9", "fraction of Conv/Gemm/MatMul weights to zero")
          .field("scope", &P::scope, "global", "rank all layers together or each layer to the target", {"global", "layer"})
          .field("granularity", &P::granularity, "weight", "zero single weights or whole output filters (summed saliency)",
                 {"weight", "filter"})
          .field("criterion", &P::criterion, "obd", "obd saliency h*w^2/2, or magnitude |w| for comparison",
                 {"obd", "magnitude"})
          .field("iterations", &P::iterations, "1", "prune -> retrain rounds, the target reached linearly")
          .field("finetune-epochs", &P::finetune_epochs, "0", "retraining epochs after each round")
          .field("calib-samples", &P::calib_samples, "1000", "samples of data= for the Hessian diagonal (0: all)")
          .field("distill", &P::distill, "true", "retrain against the model as it entered the pass (knowledge distillation)")
          .fields(&P::finetune, FinetuneParams::fields(), {"epochs"});
  return f;
}

Expected<std::unique_ptr<Pass>> createPruneObd(const PruneObdParams& params) {
  DNNC_ASSIGN(train::FinetuneJob job, finetuneJobFromParams(params.finetune));
  const double s = params.sparsity;
  if (!(s >= 0.0 && s < 1.0)) return Error(Exit::Usage, "prune-obd: sparsity must be in [0, 1), got ", s);
  if (params.iterations < 1) return Error(Exit::Usage, "prune-obd: iterations must be >= 1");
  if (params.finetune_epochs < 0) return Error(Exit::Usage, "prune-obd: finetune-epochs must be >= 0");
  return std::unique_ptr<Pass>(new PruneObd(params, std::move(job)));
}

DNNC_PASS_ENTRY(PruneObd)

}  // namespace dnnc
