#include "lib/train/finetune.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <random>

#include "lib/exec/executor.h"
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
      correct += (std::max_element(z, z + c) - z) == data.labels[first + i];
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

  // Masks: the exact zeros of prunable parameters at the start.
  std::vector<std::vector<uint8_t>> keep(static_cast<size_t>(tape->numParams()));
  for (int k = 0; k < tape->numParams(); ++k) {
    rep.params += tape->param(k).numel();
    if (!tape->paramPrunable(k)) continue;
    const Buf& p = tape->param(k);
    int64_t zeros = std::count(p.v.begin(), p.v.end(), 0.0f);
    if (zeros == 0) continue;
    rep.masked_zeros += zeros;
    keep[k].resize(p.v.size());
    for (size_t i = 0; i < p.v.size(); ++i) keep[k][i] = p.v[i] != 0.0f;
  }

  Optimizer opt(o.optimizer, tape->numParams());
  std::mt19937_64 rng(o.seed);
  std::vector<int64_t> order(static_cast<size_t>(train.samples()));
  std::iota(order.begin(), order.end(), 0);
  const int64_t per_epoch = (train.samples() + o.batch - 1) / o.batch, total_steps = per_epoch * o.epochs;
  Buf grad, tbatch;
  std::vector<int64_t> labels;
  for (int64_t e = 0; e < o.epochs; ++e) {
    auto start = std::chrono::steady_clock::now();
    // Fisher-Yates from our own rng draws: the same order on every platform for a seed.
    for (int64_t i = train.samples() - 1; i > 0; --i) std::swap(order[i], order[rng() % static_cast<uint64_t>(i + 1)]);
    double loss_sum = 0;
    int64_t correct = 0, done = 0;
    EpochReport er;
    er.epoch = e + 1;
    for (int64_t first = 0; first < train.samples(); first += o.batch) {
      const int64_t n = std::min(o.batch, train.samples() - first);
      DNNC_TRY(tape->forward(train.batch(order, first, n), Phase::Train));
      labels.clear();
      for (int64_t i = 0; i < n && !train.labels.empty(); ++i) labels.push_back(train.labels[order[first + i]]);
      const Buf* tb = nullptr;
      if (teacher) {
        const int64_t c = teacher->dims[1];
        tbatch.reshape({n, c});
        for (int64_t i = 0; i < n; ++i) std::copy_n(teacher->data() + order[first + i] * c, c, tbatch.data() + i * c);
        tb = &tbatch;
      }
      const Buf& out = tape->output();
      if (out.rank() != 2 || out.dims[0] != n)
        return Error(Exit::Input, "the model's output is ", out.rank(), "-D; training needs logits [batch, classes]");
      if (tb && tb->dims[1] != out.dims[1])
        return Error(Exit::Input, "the teacher gives ", tb->dims[1], " classes, the model ", out.dims[1]);
      for (int64_t y : labels)
        if (y < 0 || y >= out.dims[1]) return Error(Exit::Input, "label ", y, " is outside [0, ", out.dims[1], ")");
      LossValue lv = lossAndGrad(out, labels, tb, o.loss, grad);
      tape->seedGrad(grad);
      tape->backward(Mode::Gradient);
      const double lr = scheduledLr(o.schedule, o.optimizer.lr, rep.steps, total_steps);
      for (int k = 0; k < tape->numParams(); ++k) {
        Buf& g = tape->paramGrad(k);
        Buf& p = tape->param(k);
        if (!keep[k].empty())
          for (size_t i = 0; i < g.v.size(); ++i)
            if (!keep[k][i]) g.v[i] = 0.0f;
        opt.step(k, p, g, lr);
        // Weight decay and momentum cannot move a masked weight off zero, but make it exact.
        if (!keep[k].empty())
          for (size_t i = 0; i < p.v.size(); ++i)
            if (!keep[k][i]) p.v[i] = 0.0f;
      }
      ++rep.steps;
      loss_sum += lv.loss * n;
      correct += lv.correct;
      done += n;
      er.lr = lr;
      if (progress) progress(e + 1, done, train.samples(), loss_sum / done, static_cast<double>(correct) / done);
    }
    er.loss = loss_sum / std::max<int64_t>(done, 1);
    er.train_accuracy = static_cast<double>(correct) / std::max<int64_t>(done, 1);
    if (val) {
    DNNC_ASSIGN(er.val_accuracy, tapeAccuracy(*tape, *val));
  }
    er.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rep.epochs.push_back(er);
  }
  DNNC_TRY(tape->writeBack(model));
  return rep;
}

}  // namespace dnnc::train
