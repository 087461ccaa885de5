// The search behind `dnnc compress`: greedy, NetAdapt-like steps from the input model towards resource
// goals, each step one compression move chosen by sensitivity and then retrained, kept only while top-1
// on held-out data stays within the accuracy budget. Phases:
//   stretch: (first) a long retraining after a cut that meets the goals at once, which short rounds after
//           small steps cannot match. First, for energy, latency and MAC goals, the uniform cut: the smallest
//           share of every filter group that meets the goals (prune-structured, BN statistics
//           re-estimated), retrained for stretch-epochs on the whole training part (cosine, distilled,
//           batch statistics). If that misses the budget, NetAdapt's schedule: the prune phase's moves,
//           each followed by one short retraining round and kept while held-out accuracy stays above a
//           floor kStretchDepth budgets down, until the goals are met (a size goal: until sharing at 5 bits
//           would meet it, where the prune phase stops); the end point is retrained as long,
//           and if it misses the budget, the points of the way by bisection. The furthest point within the
//           budget is kept (a point of the way already within it needs no long retraining, and is the
//           fallback) and the prune phase goes on from it; none, and from the input. With a time budget
//           the way takes at most half of it. On the residual CNN the floor-keeping steps alone stopped at
//           2.35x lower energy, where the uniform cut (56 % of every group) and 16 epochs keep 91.74 %
//           held-out (-0.76) at 4.1x. With a size goal the long retraining ends with every layer shared at
//           5 bits, so a kept point is judged with its sharing, and the share phase goes on from it (Han
//           et al.'s schedule: pruning interleaved with retraining, a long retraining, then sharing; on
//           LeNet-5 the prune phase's short rounds alone stopped at 28x).
//           The stretch is one step for checkpoints: a search killed in it
//           resumes at its start.
//   prune:  per-layer unstructured magnitude pruning. Every step proposes, for each layer, removing a share
//           (its step, first 1/2) of the weights it still has; each proposal is scored one-shot on a probe
//           of the held-out set, and the one that buys the most resource per point of accuracy lost is
//           applied. When it keeps the accuracy one-shot it is kept as it is; otherwise it is retrained
//           (labels + distillation from the input model; up to 3 rounds of one epoch while each helps)
//           and kept if it then does. A rejected step halves
//           that layer's step; below 1/16 the layer is done; a proposal that buys nothing doubles it (up
//           to 3/4, then the layer is done). With a size goal pruning may spend 60 % of the
//           budget, and stops once sharing at 5 bits would meet the goal.
//   share:  (size goals) per-layer weight sharing: all layers at 6 bits (8 if that fails), then one layer
//           one bit lower per step, chosen and retrained the same way (shared values stay tied while
//           retraining); a rejected step ends that layer.
//           With an energy, latency or MAC goal, every step also proposes removing a quarter of the
//           filters of each prunable filter group (prune-structured), scored the same way: the
//           feature maps shrink with them, which zeros in the weights do not achieve. With an energy or
//           modelled latency goal a step also proposes raising the activation cut-off (prune-activations,
//           one target for every Relu, calibrated on the training part): zero activations are gated or
//           skipped and travel compressed. And with a latency goal measured on the CPU, for every layer
//           neither pruned nor shared yet, once, a decomposition to half its weights (decompose-svd for
//           Gemm/MatMul, decompose-tucker for kxk Conv): dense kernels gain nothing from zero weights, but
//           from dense factors. A kept one replaces the layer's knob with its factors' knobs.
//   reprune: (size goals not met by sharing) the prune moves again on the shared model, with the whole
//           budget and steps of 1/4; pruned shared layers keep a subset of their values, so stay shared.
//   recover: before share or reprune ends with the size goal unmet (no move left, or none that keeps the
//           accuracy), one retraining epoch as polish's; kept when it raises held-out accuracy, which
//           reopens the phase's moves (prune steps of 1/8, one bit fewer per layer) with the headroom it
//           won. At most kMaxRecoveries per search: retraining between pruning rounds as Han et al. do.
//   biases: (size goals still unmet, every layer shared) the Conv/Gemm biases shared too, at the fewest
//           bits from 8 down that keep the budget, one-shot. On LeNet-300-100 the float biases were 1.4 KB
//           of a 22.4 KB file.
//   polish: a long retraining of the final model (polish_epochs; the biases frozen when they were shared,
//           as retraining would train them apart), kept when it keeps the budget: every step was chosen on
//           the held-out set, so a retraining that generalises better hardly shows there.
//   int8:   (energy or modelled latency goals on an accelerator with narrow_data levels) the float weights
//           as INT8 (quantize, per channel), one-shot after the last retraining (the trainer does not run
//           DequantizeLinear), kept when it keeps the budget and lowers the goals' metrics; when INT8
//           everywhere loses the budget, the layers that keep it, largest first (greedy). On the presets
//           every weight travels as a 16-bit word, so INT8 buys nothing there and the phase is skipped.
// Every step is pipeline text (prune-magnitude / share / finetune), so any point is `dnnc run --passes`
// on the input model with the accepted steps before it. Each accepted step is checkpointed into the
// workdir (model + state JSON) so a killed search resumes where it stopped.
#pragma once
#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/compress_meter.h"
#include "cli/compress_target.h"
#include "lib/exec/calibration.h"
#include "lib/ir/model.h"

namespace dnnc::cli {

struct CompressSettings {
  std::string model_path;  // the input: every retraining distils from it
  double accuracy_budget = 0.5;  // points of top-1 on the held-out set
  // The training set as the finetune pass reads it (never the held-out set).
  DataOptions train;
  std::string train_labels;
  int64_t finetune_samples = 0;  // per retraining round (0: the whole training set)
  int retrain_rounds = 3;        // at most, per step, while each raises held-out accuracy
  double lr = 0.003;
  int64_t polish_epochs = 8;
  int64_t stretch_epochs = 16;  // the stretch's long retraining (0: no stretch phase)
  int threads = 0;
  uint64_t seed = 0;
  double time_budget_s = 0;  // 0: none
  int64_t probe_samples = 1000;  // held-out samples that score one-shot proposals
  // Kinds of move the search may use where its goals gain from them (--without leaves them out).
  bool activation_moves = true, decompose_moves = true, int8_phase = true;
};

// One layer the search tunes.
struct LayerKnob {
  std::string layer;  // node label, as pipelines name it
  bool conv = false;
  int64_t params = 0;
  double sparsity = 0, step = 0.5;
  bool prune_done = false;
  bool step_grown = false;  // the step was doubled because a smaller one bought nothing (growStep)
  int bits = 0;  // 0: not shared
  bool bits_done = false;
  // A decompose move may split it (a dense Gemm/MatMul by SVD, a dense kxk Conv by Tucker-2) until it
  // was tried once; the layers a decomposition makes are not split again.
  bool decomposable = false;
};

// One step tried: the move, its pipeline text, what it measured after retraining, and whether it was kept.
struct CompressStep {
  int index = 0;
  std::string phase, move, layer;
  bool accepted = false;
  double accuracy = -1;        // held-out top-1 (%) after retraining
  double probe_accuracy = -1;  // one-shot, before retraining
  std::vector<double> values = {};  // per goal
  double seconds = 0;
  std::string pipeline = {};   // this step's text
  std::string reproduce = {};  // the accepted steps before it and this one: `dnnc run --passes` on the input
};

// One filter group (prune-structured's channel analysis, named by its first producing layer) the
// search may shrink when a goal is energy, latency or MACs: removing filters shrinks the feature maps too.
struct GroupKnob {
  std::string layer;
  double step = 0.25;  // the share of its current filters a move removes
  bool done = false;
};

// The activation cut-off the search may raise when a goal is energy or modelled latency: one target
// fraction of zeros after every Relu (prune-activations, Cnvlutin's thresholds). Zero activations are
// gated or skipped and travel run-length coded, which zeros in the weights do not buy: on the residual CNN
// the feature maps dominate the modelled energy once the filters are cut.
struct ActivationKnob {
  double target = 0;  // 0: the Relus as they are
  double step = 0.25;  // a move takes this share of the activations still nonzero at the target
  bool step_grown = false;
  bool done = true;  // no energy or modelled latency goal, or no move left
};

struct CompressState {
  std::string phase = "prune";  // stretch, prune, share, reprune, biases, polish, int8, done
  std::vector<LayerKnob> knobs;
  std::vector<GroupKnob> groups;
  ActivationKnob activations;
  std::vector<CompressStep> steps;
  std::vector<std::string> accepted;  // pipeline texts of the accepted steps, in order
  Measures original, current;
  double seconds = 0;  // search time over every run
  std::string stop_reason;  // why the last run ended
  int recoveries = 0;  // recover steps tried
};

nlohmann::json toJson(const CompressState& s);
Expected<CompressState> compressStateFromJson(const nlohmann::json& j);

struct CompressHooks {
  std::function<bool()> stop_requested = [] { return false; };
  // After every step: the state (with the step appended) and the current (best) model.
  std::function<Status(const CompressState&, const Model&)> checkpoint = [](const CompressState&, const Model&) {
    return Status{};
  };
  std::function<void(const CompressState&, const std::string& what)> progress = [](const CompressState&,
                                                                                   const std::string&) {};
};

class CompressSearch {
 public:
  CompressSearch(CompressSettings settings, CompressMeter& meter, const CalibrationSet& val, const CalibrationSet& probe)
      : s_(std::move(settings)), meter_(meter), val_(val), probe_(probe) {}

  // A fresh state for `model`: its knobs and its measures.
  Expected<CompressState> start(const Model& model);
  // Runs until the goals are met and polished, nothing more can be kept, the time budget is spent or a stop is
  // requested; `model` is the state's current model and stays the best one that meets the accuracy budget.
  Status run(CompressState& state, Model& model, const CompressHooks& hooks);

  // The lowest held-out accuracy a phase keeps ("stretch": the way's).
  double floorAccuracy(const CompressState& state, const std::string& phase) const;
  bool goalsMet(const CompressState& state) const;

 private:
  struct Proposal {
    std::string move, layer;
    std::vector<LayerKnob> knobs = {};  // after the move
    std::vector<GroupKnob> groups = {};
    ActivationKnob activations = {};
    std::string compress_text = {};     // the move's pipeline element(s), without retraining
  };

  // A point of the stretch's way: the model after a kept move and its short retraining.
  struct StretchPoint {
    Model model;
    Measures measures;
    std::vector<LayerKnob> knobs;
    std::vector<GroupKnob> groups;
    size_t step = 0;  // its entry in the stretch's steps
  };

  std::vector<Proposal> proposals(const CompressState& state) const;
  // Log-reduction of the unmet goals' values from `from` to `to` (met goals count a tenth).
  double gain(const CompressState& state, const std::vector<double>& from, const std::vector<double>& to) const;
  // Scores every proposal one-shot on the probe set; the index of the one that buys the most resource per
  // point of probe accuracy lost (-1: none buys anything) and its probe accuracy. Groups that cannot
  // shrink further are marked done.
  Expected<std::pair<int, double>> chooseProposal(CompressState& state, const Model& model,
                                                  const std::vector<Proposal>& props,
                                                  const std::function<bool()>& out_of_time);
  // A prune proposal that buys nothing: its layer's step doubles (up to kMaxStep; past it the layer is done).
  void growStep(CompressState& state, const std::string& layer) const;
  // An activation move that buys nothing: its step doubles (up to kMaxStep; past it, no more such moves).
  static void growActivationStep(ActivationKnob& a);
  // The activation move from `a`: prune-activations at the next target, calibrated on the training part.
  std::optional<Proposal> activationProposal(const CompressState& state) const;
  // Decompose moves for the layers that can still take one.
  void addDecomposeProposals(const CompressState& state, std::vector<Proposal>& out) const;
  // After a kept decomposition: the knobs and groups of `model`, those of layers that were there before as
  // they were, the factors' new.
  Status refreshKnobs(CompressState& state, const Model& model) const;
  // The knobs and filter groups of a model, fresh.
  Expected<std::pair<std::vector<LayerKnob>, std::vector<GroupKnob>>> freshKnobs(const Model& model) const;
  // A move not kept: its layer's step halves (prune, filters) or its layer is done (bits, share).
  void rejectMove(CompressState& state, const Proposal& p) const;
  // The stretch phase (see above). Ends in the prune phase, unless it was stopped (time, SIGINT): then
  // the state and model are those it started from and the stop reason is set.
  Status stretch(CompressState& state, Model& model, const CompressHooks& hooks,
                 const std::function<bool()>& out_of_time);
  // The smallest share of every filter group whose removal meets the goals (bisection on the resources
  // alone, to 1/128); none when removing kMaxUniformShare does not.
  Expected<std::optional<double>> uniformShare(const CompressState& state, const Model& model,
                                               const std::function<bool()>& out_of_time);
  std::string uniformText(double share) const;
  // The stretch's long retraining of one point of its way, recorded as a step.
  Expected<std::pair<Model, Measures>> retrainLong(CompressState& work, const StretchPoint& point,
                                                   const CompressHooks& hooks);
  std::string finetuneText(int step_index, int64_t samples, int64_t epochs, double lr, bool cosine,
                           bool batch_statistics = false) const;
  // After a prune or filter move on a model with BatchNormalization: re-estimate its statistics on the
  // training part (the layers behind the pruned weights see other inputs than their statistics were taken
  // on); "" without BatchNormalization.
  std::string recalibrateText() const;
  std::string preprocessText() const;  // ",scale=...,mean=...,std=..." of the training data, as given
  // Measured wall times (--measure cpu): carried over through a retraining; measured again for a step.
  void keepMeasuredTimes(const Measures& current, Measures& retrained) const;
  Expected<std::vector<double>> timesMeasuredNow(std::vector<double> values, const Model& model);
  static std::string pruneText(const std::vector<LayerKnob>& knobs);
  static std::string shareText(const std::vector<LayerKnob>& knobs, int bias_bits = 0);
  Expected<Model> applyText(const Model& model, const std::string& text) const;
  // run()'s loop; run() adds the cancellation of a retraining in progress (SIGINT, time budget).
  Status search(CompressState& state, Model& model, const CompressHooks& hooks);
  // Advances to the next phase; false when the search is over.
  bool nextPhase(CompressState& state) const;
  // Before a share or reprune phase ends short of a size goal: a recover step (see above). True when it
  // was kept and the phase goes on; false when the phase should end.
  Expected<bool> recover(CompressState& state, Model& model, const CompressHooks& hooks);
  Expected<bool> shareWouldMeetSize(const CompressState& state, const Model& model);
  // Whether the biases phase comes before polish: a size goal still unmet, every layer shared, and no
  // biases step yet.
  bool biasesDue(const CompressState& state) const;
  // Whether a biases step was kept: polish then freezes the biases (",freeze=..." of frozenBiasesText).
  static bool biasesShared(const CompressState& state);
  static std::string frozenBiasesText(const Model& model);
  // Whether the int8 phase follows polish: a goal activation zeros could lower (energy, modelled latency)
  // on an accelerator that moves narrow data, and no int8 step yet.
  bool int8Due(const CompressState& state) const;
  // quantize's text for the model: every layer, or the ones named.
  static std::string int8Text(const Model& model, const std::vector<std::string>& layers);
  // The int8 phase (see above): one step, one-shot; per layer when INT8 everywhere loses the budget.
  Status quantizeInt8(CompressState& state, Model& model, const CompressHooks& hooks);
  // A one-step phase's (biases, recover, int8) step, ended: its time, appended, checkpointed, reported.
  static Status record(CompressState& state, CompressStep step, const Model& model, const CompressHooks& hooks,
                       double t0, double seconds0);
  // A step tried from the current model: its reproduce text, and when kept, the candidate and its measures
  // become the current ones and its text joins the accepted pipeline.
  static void settle(CompressState& state, CompressStep& step, Model& model, Model&& candidate, const Measures& after);
  // A whole-model step at the end (polish, int8) keeps the accuracy budget and is no further from the goals.
  bool keepsBudgetAndGoals(const CompressState& state, const Measures& after) const;
  // The biases phase (see above): one step, the fewest bias bits that keep the budget, one-shot.
  Status shareBiases(CompressState& state, Model& model, const CompressHooks& hooks);
  // The knobs with every layer shared at kSizeEstimateBits (the width the prune phase's size estimate uses).
  static std::vector<LayerKnob> sharedKnobs(std::vector<LayerKnob> knobs);
  // A point's knobs after the stretch's long retraining: shared as sharedKnobs with a size goal.
  std::vector<LayerKnob> retrainedKnobs(std::vector<LayerKnob> knobs) const;

  CompressSettings s_;
  CompressMeter& meter_;
  const CalibrationSet& val_;
  const CalibrationSet& probe_;
  bool batch_norm_ = false;  // the model holds BatchNormalization (set by start() and run())
  double run_t0_ = 0;        // when run() started (the time budget counts from there)
  bool has_size_goal() const;
  // A goal activation zeros and narrow data can lower: energy, or latency modelled on the accelerator.
  bool modelledGoal() const;
  // Activation moves: a modelled goal, and not left out (--without activations).
  bool activationGoal() const;
  // Decompose moves: a latency goal measured on the CPU, no size goal, and not left out (--without decompose).
  bool decomposeGoal() const;
};

}  // namespace dnnc::cli
