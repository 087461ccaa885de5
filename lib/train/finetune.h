// Fine-tuning and knowledge distillation on the model itself: mini-batch SGD or Adam over the tape's
// parameters, with the loss of lib/train/loss.h. After compression:
//   - masks: every exact zero of a weight matrix, kernel or Gather codebook at the start stays exactly
//     zero (its gradient and update are masked), so pruned weights stay pruned;
//   - shared weights: Gather(codebook, indices) gets its gradient by scatter-add, so each centroid moves
//     by the sum of its cluster's gradients and the weights stay shared (Han et al. 2016). A weight
//     matrix or kernel that holds few distinct values (share(materialize=true) wrote them as plain
//     floats) is trained the same way: its values are the centroids, each moved by the summed gradients
//     of the weights that hold it, and written back, so it keeps its number of distinct values;
//   - distillation: with teacher logits the soft term is added (alpha CE + (1 - alpha) T^2 KL), and with
//     a teacher and no labels the run is label-free;
//   - frozen BatchNormalization: SGD takes the steps of the fold-bn model (lib/train/frozen_bn_scaling.h);
//   - divergence guard: an epoch that loses more than 2 points of top-1 (or of agreement with the teacher)
//     on the first 512 training samples is undone and retried at half the learning rate, so a learning
//     rate too large for the model costs time, never the model.
// Deterministic for a given seed and thread count (shuffles from the seed; reductions in fixed order).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "lib/ir/model.h"
#include "lib/train/dataset.h"
#include "lib/train/loss.h"
#include "lib/train/optimizer.h"

namespace dnnc::train {

struct FinetuneOptions {
  int64_t epochs = 1;
  int64_t batch = 64;
  OptimizerOptions optimizer;
  std::string schedule = "none";  // none | step | cosine
  LossOptions loss;
  bool bn_batch_stats = false;  // BatchNormalization uses batch statistics while training
  // A weight matrix/kernel with at most this many distinct nonzero values (and at least 1.25 nonzero
  // weights per value) trains with its values tied, as a shared layer; 0: every weight trains freely.
  int64_t shared_values = 256;
  // Parameters (initializer names or globs) left as they are: e.g. biases shared after training, which
  // the weights then learn around.
  std::vector<std::string> freeze;
  uint64_t seed = 0;
  int threads = 0;
};

struct EpochReport {
  int64_t epoch = 0;
  double loss = 0, train_accuracy = 0, lr = 0, seconds = 0;
  double val_accuracy = -1;  // -1: no validation set
  bool diverged = false;     // diverged at every learning rate tried: undone, the weights are those before it
};

// A layer whose weights are shared: a Gather codebook, or a weight that holds few distinct values.
struct SharedLayerReport {
  std::string weight;  // initializer name (the codebook's for a Gather)
  std::string form;    // "codebook": Gather(codebook, indices); "tied": few values, trained tied;
                       // "free": few values, but more than shared_values: trained freely, sharing lost
  int64_t values_before = 0, values_after = 0;  // distinct nonzero values
};

struct FinetuneReport {
  std::string objective;  // "labels", "distillation" or "labels+distillation"
  int64_t samples = 0, steps = 0, masked_zeros = 0, params = 0;
  int bn_scaled_layers = 0;  // layers trained with the folded model's steps (frozen_bn_scaling.h)
  int lr_backoffs = 0;       // epochs undone by the divergence guard and retried at half the learning rate
  double lr_scale = 1.0;     // the learning rate the run ended with, as a fraction of the one asked for
  double val_accuracy_before = -1;
  std::vector<EpochReport> epochs;
  std::vector<SharedLayerReport> shared;  // in parameter (graph) order
};

// (epoch, samples done in it, samples per epoch, running loss, running accuracy)
using FinetuneProgress = std::function<void(int64_t, int64_t, int64_t, double, double)>;

// Trains `model` in place. teacher: nullptr or logits [samples, C] for `train`'s samples. val: nullptr or
// a labelled set scored before and after every epoch.
Expected<FinetuneReport> finetune(Model& model, const Dataset& train, const Buf* teacher, const Dataset* val,
                                  const FinetuneOptions& options, const FinetuneProgress& progress = {});

// The teacher's logits on every sample (forward with lib/exec's Executor).
Expected<Buf> teacherLogits(const Model& teacher, const Dataset& data, int threads);

// Top-1 accuracy of the model on a labelled set (forward on the tape, inference mode).
Expected<double> accuracy(const Model& model, const Dataset& data, int threads);

}  // namespace dnnc::train
