#include "lib/train/finetune.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "lib/exec/executor.h"
#include "lib/exec/top_class.h"
#include "lib/support/cancellation.h"
#include "lib/support/glob.h"
#include "lib/train/frozen_bn_scaling.h"
#include "lib/train/tape.h"

namespace dnnc::train {

namespace {

constexpr int64_t kEvalBatch = 256;

Expected<double> tapeAccuracy(Tape& tape, const Dataset& data) {
  if (data.labels.empty()) return Error(Exit::Input, "the validation set has no labels");
  std::vector<int64_t> idx(static_cast<size_t>(data.samples()));
  std::iota(idx.begin(), idx.end(), 0);
  int64_t correct = 0;
  for (int64_t first = 0; first < data.samples(); first += kEvalBatch) {
    const int64_t n = std::min(kEvalBatch, data.samples() - first);
    DNNC_TRY(tape.forward(data.batch(idx, first, n), Phase::Eval));
    const Buf& out = tape.output();
    const int64_t c = out.numel() / n;
    for (int64_t i = 0; i < n; ++i) {
      const float* z = out.data() + i * c;
      correct += topClass(z, c) == data.labels[first + i];
    }
  }
  return static_cast<double>(correct) / static_cast<double>(data.samples());
}

}  // namespace

Expected<double> accuracy(const Model& model, const Dataset& data, int threads) {
  DNNC_ASSIGN(auto tape, Tape::create(model, {.threads = threads}));
  return tapeAccuracy(*tape, data);
}

Expected<Buf> teacherLogits(const Model& teacher, const Dataset& data, int threads) {
  DNNC_ASSIGN(auto exec, Executor::create(teacher, {.threads = threads}));
  Buf out;
  for (int64_t first = 0; first < data.samples(); first += kEvalBatch) {
    const int64_t n = std::min(kEvalBatch, data.samples() - first);
    std::vector<int64_t> dims = data.x.dims;
    dims[0] = n;
    const int64_t s = data.sampleSize();
    Tensor x = Tensor::fromFloats(std::span<const float>(data.x.data() + first * s, static_cast<size_t>(n * s)), dims);
    DNNC_ASSIGN(auto outs, exec->run({&x}));
    const Tensor& z = outs.at(0);
    if (z.rank() < 1 || z.dims()[0] != n) return Error(Exit::Input, "the teacher's output is not [batch, classes]");
    const int64_t c = z.numel() / n;
    if (first == 0) out = Buf({data.samples(), c});
    if (out.dims[1] != c) return Error(Exit::Input, "the teacher's output changed size between batches");
    auto f = z.toFloats();
    std::copy(f.begin(), f.end(), out.data() + first * c);
  }
  return out;
}

namespace {

// Top-1 on the first samples of the training set in inference mode: against the labels, or against the
// teacher's top-1 when there are none. The divergence guard's yardstick.
Expected<double> probeScore(Tape& tape, const Dataset& train, const Buf* teacher, int64_t n) {
  std::vector<int64_t> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  int64_t agree = 0;
  for (int64_t first = 0; first < n; first += kEvalBatch) {
    const int64_t m = std::min(kEvalBatch, n - first);
    DNNC_TRY(tape.forward(train.batch(idx, first, m), Phase::Eval));
    const Buf& out = tape.output();
    const int64_t c = out.numel() / m;
    for (int64_t i = 0; i < m; ++i) {
      const float* z = out.data() + i * c;
      int64_t want = 0;
      if (!train.labels.empty()) {
        want = train.labels[first + i];
      } else {
        const float* t = teacher->data() + (first + i) * c;
        want = topClass(t, c);
      }
      const bool finite = std::all_of(z, z + c, [](float v) { return std::isfinite(v); });
      agree += finite && topClass(z, c) == want;
    }
  }
  return static_cast<double>(agree) / static_cast<double>(n);
}

// The distinct nonzero values of a parameter, sorted.
std::vector<float> distinctNonzero(const Buf& p) {
  std::vector<float> v;
  v.reserve(p.v.size());
  for (float x : p.v)
    if (x != 0.0f) v.push_back(x);
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// A weight whose nonzeros share values: at most share's 2^16 of them, and at least 1.25 weights per
// value. A trained dense layer repeats almost no value; a materialized shared layer repeats each value
// nonzeros/K times.
constexpr size_t kMaxSharedValues = size_t{1} << 16;
bool looksShared(size_t values, int64_t nonzeros) {
  return values > 0 && values <= kMaxSharedValues && 4 * nonzeros >= 5 * static_cast<int64_t>(values);
}

// A weight trained with its values tied: every element holds one of `centroids` (or is a pruned zero).
struct TiedValues {
  std::vector<int32_t> cls;  // per element: its centroid, -1 for a pruned zero
  Buf centroids, grad;       // [values]
  std::vector<double> sum;   // the gradient sums per value
};

// One fine-tuning run: the tape, the masks, the optimiser state and the shuffled order.
class Trainer {
 public:
  Trainer(Tape& tape, const Dataset& train, const Buf* teacher, const FinetuneOptions& o, const FinetuneProgress& progress)
      : tape_(tape), train_(train), teacher_(teacher), o_(o), progress_(progress), opt_(o.optimizer, tape.numParams()),
        rng_(o.seed), order_(static_cast<size_t>(train.samples())) {
    std::iota(order_.begin(), order_.end(), 0);
  }

  // Masks: the exact zeros of prunable parameters at the start.
  void findMasks(FinetuneReport& rep) {
    keep_.assign(static_cast<size_t>(tape_.numParams()), {});
    for (int k = 0; k < tape_.numParams(); ++k) {
      rep.params += tape_.param(k).numel();
      if (!tape_.paramPrunable(k)) continue;
      const Buf& p = tape_.param(k);
      int64_t zeros = std::count(p.v.begin(), p.v.end(), 0.0f);
      if (zeros == 0) continue;
      rep.masked_zeros += zeros;
      keep_[k].resize(p.v.size());
      for (size_t i = 0; i < p.v.size(); ++i) keep_[k][i] = p.v[i] != 0.0f;
    }
  }

  // Shared layers: Gather codebooks (trained by the tape's scatter-add) and weights with few distinct
  // values, which are tied here when they have at most shared_values of them.
  void findShared(FinetuneReport& rep) {
    tied_.assign(static_cast<size_t>(tape_.numParams()), {});
    for (int k = 0; k < tape_.numParams(); ++k) {
      if (!tape_.paramPrunable(k)) continue;
      const Buf& p = tape_.param(k);
      const std::vector<float> values = distinctNonzero(p);
      SharedLayerReport sl{tape_.paramName(k), "", static_cast<int64_t>(values.size()), 0};
      if (p.rank() == 1) {
        sl.form = "codebook";  // a prunable rank-1 parameter is a Gather codebook
      } else {
        const int64_t nonzeros = p.numel() - std::count(p.v.begin(), p.v.end(), 0.0f);
        if (!looksShared(values.size(), nonzeros)) continue;
        const bool tie = static_cast<int64_t>(values.size()) <= o_.shared_values;
        sl.form = tie ? "tied" : "free";
        if (tie) tieValues(k, values);
      }
      rep.shared.push_back(sl);
      shared_params_.push_back(k);
    }
  }

  // The parameters trained tied to their values.
  std::vector<int> tiedParams() const {
    std::vector<int> out;
    for (int k = 0; k < static_cast<int>(tied_.size()); ++k)
      if (!tied_[static_cast<size_t>(k)].cls.empty()) out.push_back(k);
    return out;
  }

  // The distinct values of the shared layers after training.
  void finishShared(FinetuneReport& rep) const {
    for (size_t i = 0; i < rep.shared.size(); ++i)
      rep.shared[i].values_after = static_cast<int64_t>(distinctNonzero(tape_.param(shared_params_[i])).size());
  }

  // The parameters `freeze` names; every pattern must name one.
  Status findFrozen() {
    frozen_.assign(static_cast<size_t>(tape_.numParams()), 0);
    for (const std::string& pattern : o_.freeze) {
      bool any = false;
      for (int k = 0; k < tape_.numParams(); ++k)
        if (globMatch(pattern, tape_.paramName(k))) frozen_[static_cast<size_t>(k)] = 1, any = true;
      if (!any) return Error(Exit::Usage, "freeze: '", pattern, "' names no trained parameter");
    }
    return {};
  }

  void useBnScaling(FrozenBnScaling s) { bn_scaling_ = std::move(s); }

  std::vector<Buf> saveParams() {
    std::vector<Buf> out;
    for (int k = 0; k < tape_.numParams(); ++k) out.push_back(tape_.param(k));
    return out;
  }

  // Back to `saved`, with fresh optimiser state (the momentum of a diverging run must not carry over).
  void restore(const std::vector<Buf>& saved) {
    for (int k = 0; k < tape_.numParams(); ++k) {
      tape_.param(k) = saved[static_cast<size_t>(k)];
      // A tied weight's centroids are the values its elements hold.
      TiedValues& tv = tied_[static_cast<size_t>(k)];
      for (size_t i = 0; i < tv.cls.size(); ++i)
        if (tv.cls[i] >= 0) tv.centroids.v[tv.cls[i]] = tape_.param(k).v[i];
    }
    opt_ = Optimizer(o_.optimizer, tape_.numParams());
  }

  // One pass over the training set; lr_scale multiplies the scheduled learning rate.
  Expected<EpochReport> epoch(int64_t e, int64_t& step, int64_t total_steps, double lr_scale) {
    // Fisher-Yates from our own rng draws: the same order on every platform for a seed.
    for (int64_t i = train_.samples() - 1; i > 0; --i) std::swap(order_[i], order_[rng_() % static_cast<uint64_t>(i + 1)]);
    double loss_sum = 0;
    int64_t correct = 0, done = 0;
    EpochReport er;
    er.epoch = e + 1;
    for (int64_t first = 0; first < train_.samples(); first += o_.batch) {
      // dnnc compress's SIGINT or time budget: an epoch of a large set takes minutes.
      if (cancelRequested()) return Error(Exit::Target, "training stopped early (interrupted or out of time)");
      const int64_t n = std::min(o_.batch, train_.samples() - first);
      DNNC_TRY(tape_.forward(train_.batch(order_, first, n), Phase::Train));
      labels_.clear();
      for (int64_t i = 0; i < n && !train_.labels.empty(); ++i) labels_.push_back(train_.labels[order_[first + i]]);
      const Buf* tb = nullptr;
      if (teacher_) {
        const int64_t c = teacher_->dims[1];
        tbatch_.reshape({n, c});
        for (int64_t i = 0; i < n; ++i) std::copy_n(teacher_->data() + order_[first + i] * c, c, tbatch_.data() + i * c);
        tb = &tbatch_;
      }
      const Buf& out = tape_.output();
      if (out.rank() != 2 || out.dims[0] != n)
        return Error(Exit::Input, "the model's output is ", out.rank(), "-D; training needs logits [batch, classes]");
      if (tb && tb->dims[1] != out.dims[1])
        return Error(Exit::Input, "the teacher gives ", tb->dims[1], " classes, the model ", out.dims[1]);
      for (int64_t y : labels_)
        if (y < 0 || y >= out.dims[1]) return Error(Exit::Input, "label ", y, " is outside [0, ", out.dims[1], ")");
      LossValue lv = lossAndGrad(out, labels_, tb, o_.loss, grad_);
      tape_.seedGrad(grad_);
      tape_.backward(Mode::Gradient);
      bn_scaling_.scaleGradients(tape_);
      const double lr = lr_scale * scheduledLr(o_.schedule, o_.optimizer.lr, step, total_steps);
      update(lr);
      ++step;
      loss_sum += lv.loss * n;
      correct += lv.correct;
      done += n;
      er.lr = lr;
      if (progress_) progress_(e + 1, done, train_.samples(), loss_sum / done, static_cast<double>(correct) / done);
    }
    er.loss = loss_sum / std::max<int64_t>(done, 1);
    er.train_accuracy = static_cast<double>(correct) / std::max<int64_t>(done, 1);
    return er;
  }

 private:
  void tieValues(int k, const std::vector<float>& values) {
    const Buf& p = tape_.param(k);
    TiedValues& tv = tied_[static_cast<size_t>(k)];
    tv.centroids = Buf({static_cast<int64_t>(values.size())});
    tv.centroids.v = values;
    tv.grad = Buf({static_cast<int64_t>(values.size())});
    tv.cls.resize(p.v.size());
    for (size_t i = 0; i < p.v.size(); ++i)
      tv.cls[i] = p.v[i] == 0.0f ? -1 : static_cast<int32_t>(std::lower_bound(values.begin(), values.end(), p.v[i]) - values.begin());
  }

  void update(double lr) {
    for (int k = 0; k < tape_.numParams(); ++k) {
      if (bn_scaling_.holds(k) || frozen_[static_cast<size_t>(k)]) continue;
      Buf& g = tape_.paramGrad(k);
      Buf& p = tape_.param(k);
      const auto& keep = keep_[static_cast<size_t>(k)];
      if (!keep.empty())
        for (size_t i = 0; i < g.v.size(); ++i)
          if (!keep[i]) g.v[i] = 0.0f;
      TiedValues& tv = tied_[static_cast<size_t>(k)];
      if (!tv.cls.empty()) {
        // Each value moves by the summed gradients of the weights that hold it (Han et al. 2016), as a
        // Gather codebook does; the weights then take their values again.
        tv.sum.assign(tv.centroids.v.size(), 0.0);  // in double, as Gather's: clusters of thousands
        for (size_t i = 0; i < tv.cls.size(); ++i)
          if (tv.cls[i] >= 0) tv.sum[tv.cls[i]] += g.v[i];
        for (size_t c = 0; c < tv.sum.size(); ++c) tv.grad.v[c] = static_cast<float>(tv.sum[c]);
        opt_.step(k, tv.centroids, tv.grad, lr);
        for (size_t i = 0; i < tv.cls.size(); ++i) p.v[i] = tv.cls[i] >= 0 ? tv.centroids.v[tv.cls[i]] : 0.0f;
        continue;
      }
      opt_.step(k, p, g, lr);
      // Weight decay and momentum cannot move a masked weight off zero, but make it exact.
      if (!keep.empty())
        for (size_t i = 0; i < p.v.size(); ++i)
          if (!keep[i]) p.v[i] = 0.0f;
    }
  }

  Tape& tape_;
  const Dataset& train_;
  const Buf* teacher_;
  const FinetuneOptions& o_;
  const FinetuneProgress& progress_;
  Optimizer opt_;
  std::mt19937_64 rng_;
  std::vector<int64_t> order_;
  std::vector<std::vector<uint8_t>> keep_;
  std::vector<TiedValues> tied_;     // per parameter; empty cls: trained freely
  std::vector<int> shared_params_;   // the parameter of each FinetuneReport::shared entry
  std::vector<uint8_t> frozen_;      // per parameter: left as it is (FinetuneOptions::freeze)
  FrozenBnScaling bn_scaling_;
  Buf grad_, tbatch_;
  std::vector<int64_t> labels_;
};

// The divergence guard: an epoch after which the probe score fell by more than this is undone.
constexpr double kDivergedDrop = 0.02;
constexpr int kMaxBackoffs = 4;  // halvings of the learning rate per epoch before giving up on it
constexpr int64_t kProbeSamples = 512;

}  // namespace

Expected<FinetuneReport> finetune(Model& model, const Dataset& train, const Buf* teacher, const Dataset* val,
                                  const FinetuneOptions& o, const FinetuneProgress& progress) {
  if (train.labels.empty() && !teacher)
    return Error(Exit::Usage, "fine-tuning needs labels, a teacher, or both");
  if (o.epochs < 0 || o.batch <= 0) return Error(Exit::Usage, "epochs must be >= 0 and batch > 0");
  TapeOptions topts{.threads = o.threads, .bn_batch_stats = o.bn_batch_stats, .seed = o.seed};
  DNNC_ASSIGN(auto tape, Tape::create(model, topts));
  FinetuneReport rep;
  rep.objective = teacher && !train.labels.empty() ? "labels+distillation" : teacher ? "distillation" : "labels";
  rep.samples = train.samples();
  if (val) {
    DNNC_ASSIGN(rep.val_accuracy_before, tapeAccuracy(*tape, *val));
  }
  Trainer trainer(*tape, train, teacher, o, progress);
  trainer.findMasks(rep);
  trainer.findShared(rep);
  DNNC_TRY(trainer.findFrozen());
  // SGD through frozen BN takes the folded model's steps (see frozen_bn_scaling.h).
  if (!o.bn_batch_stats && o.optimizer.kind == "sgd") {
    FrozenBnScaling s = FrozenBnScaling::find(model, *tape);
    // A tied layer steps as its Gather form does (a codebook has no folded form).
    for (int k : trainer.tiedParams()) s.release(k);
    rep.bn_scaled_layers = s.layers();
    trainer.useBnScaling(std::move(s));
  }

  // A learning rate too large for the model makes training diverge (the loss blows up and top-1 falls to
  // chance). Each epoch is checked on a probe of training samples, in inference mode; an epoch that loses
  // more than kDivergedDrop of it is undone and retried at half the learning rate.
  const int64_t probe_n = std::min(kProbeSamples, train.samples());
  DNNC_ASSIGN(double probe, probeScore(*tape, train, teacher, probe_n));
  const int64_t per_epoch = (train.samples() + o.batch - 1) / o.batch, total_steps = per_epoch * o.epochs;
  int64_t step = 0;
  double lr_scale = 1.0;
  for (int64_t e = 0; e < o.epochs; ++e) {
    auto start = std::chrono::steady_clock::now();
    const std::vector<Buf> saved = trainer.saveParams();
    const int64_t step0 = step;
    EpochReport er;
    for (int attempt = 0;; ++attempt) {
      step = step0;
      DNNC_ASSIGN(er, trainer.epoch(e, step, total_steps, lr_scale));
      DNNC_ASSIGN(double now, probeScore(*tape, train, teacher, probe_n));
      if (std::isfinite(er.loss) && now >= probe - kDivergedDrop) {
        probe = std::max(probe, now);
        break;
      }
      trainer.restore(saved);
      if (attempt == kMaxBackoffs) {
        er.diverged = true;  // the epoch is undone: the weights are those before it
        break;
      }
      lr_scale *= 0.5;
      ++rep.lr_backoffs;
    }
    rep.steps = step;
    if (val) {
      DNNC_ASSIGN(er.val_accuracy, tapeAccuracy(*tape, *val));
    }
    er.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rep.epochs.push_back(er);
  }
  rep.lr_scale = lr_scale;
  trainer.finishShared(rep);
  DNNC_TRY(tape->writeBack(model));
  return rep;
}

}  // namespace dnnc::train
