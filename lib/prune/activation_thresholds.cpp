#include "lib/ir/node.h"
#include "lib/prune/activation_thresholds.h"

#include <algorithm>
#include <map>

#include "lib/prune/threshold.h"
#include "lib/analysis/weight_layers.h"

namespace dnnc {

std::vector<ReluSite> findRelus(const Graph& graph) {
  std::vector<ReluSite> out;
  for (NodeId id : graph.nodes()) {
    const auto& n = graph.node(id);
    const bool thresholded = n.op_type() == "ThresholdedRelu";
    if ((n.op_type() != "Relu" && !thresholded) || !isDefaultDomain(n) || n.input_size() < 1 || n.output_size() < 1)
      continue;
    ReluSite s{id, nodeLabel(n), n.input(0), n.output(0), {}};
    s.aliases = {s.name, s.output};
    if (thresholded) s.alpha = attrFloat(n, "alpha", 1.0f);  // the ONNX default
    out.push_back(std::move(s));
  }
  return out;
}

void setReluThreshold(Model& model, const ReluSite& site, float alpha) {
  onnx::NodeProto& n = *model.graph().mutable_node(site.node);
  n.clear_attribute();
  if (alpha <= 0) {
    n.set_op_type("Relu");
    return;
  }
  n.set_op_type("ThresholdedRelu");
  auto* a = n.add_attribute();
  a->set_name("alpha");
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(alpha);
}

namespace {

// Counts zeros after the sites; optionally samples the input of one site.
class ReluObserver : public NodeObserver {
 public:
  ReluObserver(const std::vector<ReluSite>& sites, int sample_site, int64_t stride)
      : counts_(sites.size()), sample_site_(sample_site), stride_(stride) {
    for (size_t i = 0; i < sites.size(); ++i) by_output_[sites[i].output] = static_cast<int>(i);
  }
  void beforeNode(int, const onnx::NodeProto& node, std::span<const Value* const> inputs) override {
    if (sample_site_ < 0 || node.output_size() < 1 || !inputs.size() || !inputs[0]) return;
    auto it = by_output_.find(node.output(0));
    if (it == by_output_.end() || it->second != sample_site_ || inputs[0]->dtype != DType::Float) return;
    auto v = inputs[0]->span<float>();
    for (; offset_ < static_cast<int64_t>(v.size()); offset_ += stride_) values_.push_back(v[static_cast<size_t>(offset_)]);
    offset_ -= static_cast<int64_t>(v.size());
  }
  void afterNode(int, const onnx::NodeProto& node, std::span<const Value* const> outputs) override {
    if (node.output_size() < 1 || !outputs.size() || !outputs[0] || outputs[0]->dtype != DType::Float) return;
    auto it = by_output_.find(node.output(0));
    if (it == by_output_.end()) return;
    auto v = outputs[0]->span<float>();
    auto& c = counts_[static_cast<size_t>(it->second)];
    c.count += static_cast<int64_t>(v.size());
    c.zeros += std::count(v.begin(), v.end(), 0.0f);
  }
  std::vector<ZeroCount> counts_;
  std::vector<float> values_;

 private:
  std::map<std::string, int> by_output_;
  int sample_site_;
  int64_t stride_, offset_ = 0;
};

}  // namespace

Expected<ActivationMeasure> measureActivations(const Model& model, const std::vector<ReluSite>& sites, const EvalSet& set,
                                               int threads) {
  DNNC_ASSIGN(auto exec, Executor::create(model, {.threads = threads}));
  ActivationStatsCollector stats(*exec);
  ReluObserver relus(sites, -1, 1);
  // Both observers see every node.
  struct Both : NodeObserver {
    NodeObserver *a, *b;
    void beforeNode(int i, const onnx::NodeProto& n, std::span<const Value* const> in) override {
      a->beforeNode(i, n, in);
      b->beforeNode(i, n, in);
    }
    void afterNode(int i, const onnx::NodeProto& n, std::span<const Value* const> out) override {
      a->afterNode(i, n, out);
      b->afterNode(i, n, out);
    }
  } both;
  both.a = &stats;
  both.b = &relus;
  ActivationMeasure m;
  DNNC_TRY(set.run(*exec, both));
  m.relu_zeros = relus.counts_;
  m.layer_inputs = stats.results();
  return m;
}

Expected<std::vector<float>> calibrateThresholds(const Model& model, const std::vector<ReluSite>& sites,
                                                 const EvalSet& set, double target, int threads, int64_t max_values) {
  Model work = model;
  std::vector<float> alphas(sites.size(), 0.0f);
  for (size_t i = 0; i < sites.size(); ++i) {
    // The stride: one value in `stride` keeps at most max_values over the set (elements per sample from
    // a first look at the site's input).
    DNNC_ASSIGN(auto exec, Executor::create(work, {.threads = threads}));
    ExecRunOptions probe;
    probe.fetch = {sites[i].input};
    DNNC_ASSIGN(auto first, exec->run({&set.batches().front()}, probe));
    const int64_t per_sample = first[0].numel() / std::max<int64_t>(1, set.batches().front().dims()[0]);
    const int64_t total = per_sample * set.samples();
    const int64_t stride = std::max<int64_t>(1, (total + max_values - 1) / max_values);
    ReluObserver obs(sites, static_cast<int>(i), stride);
    DNNC_TRY(set.run(*exec, obs));
    float alpha = quantile(obs.values_, target);
    alphas[i] = alpha > 0 ? alpha : 0.0f;
    setReluThreshold(work, sites[i], alphas[i]);
  }
  return alphas;
}

}  // namespace dnnc
