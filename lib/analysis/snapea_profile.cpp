#include "lib/analysis/snapea_profile.h"

#include <algorithm>
#include <cmath>

namespace dnnc {

SnapeaProfiler::SnapeaProfiler(const Executor& exec, SnapeaProfileOptions options)
    : options_(std::move(options)), coverage_(findSnapeaSites(exec)) {
  const size_t sites = coverage_.sites.size();
  terms_.assign(sites, 0);
  n_.assign(sites, {});
  all_.assign(sites, {});
  positive_.assign(sites, {});
  pending_.assign(sites, {});
}

void SnapeaProfiler::beforeNode(int index, const onnx::NodeProto& node, std::span<const Value* const> inputs) {
  for (size_t k = 0; k < coverage_.sites.size(); ++k) {
    if (coverage_.sites[k].conv != index || !status_) continue;
    auto geometry = snapeaGeometry(node, inputs, coverage_.sites[k].node);
    if (!geometry) {
      status_ = std::move(geometry).error();
      return;
    }
    const SnapeaConv& c = *geometry;
    const int64_t terms = c.channels / c.group * c.kernel_h * c.kernel_w;
    if (n_[k].empty()) {
      terms_[k] = terms;
      for (double f : options_.n_fractions) {
        const int64_t n = std::clamp<int64_t>(std::llround(f * static_cast<double>(terms)), 1, terms);
        if (std::find(n_[k].begin(), n_[k].end(), n) == n_[k].end()) n_[k].push_back(n);
      }
      all_[k].assign(n_[k].size(), {});
      positive_[k].assign(n_[k].size(), {});
    }
    const float* b = inputs.size() > 2 && inputs[2] ? inputs[2]->as<float>() : nullptr;
    pending_[k].clear();
    for (int64_t n : n_[k]) pending_[k].push_back(speculativeSums(c, inputs[0]->as<float>(), inputs[1]->as<float>(), b, n));
  }
}

void SnapeaProfiler::afterNode(int index, const onnx::NodeProto& node, std::span<const Value* const> outputs) {
  for (size_t k = 0; k < coverage_.sites.size(); ++k) {
    if (coverage_.sites[k].conv != index || !status_) continue;
    const Value* y = outputs.empty() ? nullptr : outputs[0];  // the Conv's output, before the Relu
    if (!y || y->dtype != DType::Float || pending_[k].empty() || static_cast<size_t>(y->numel()) != pending_[k][0].size()) {
      status_ = Error(Exit::Internal, "SnaPEA profile of Conv '", coverage_.sites[k].node, "' lost track of its output ('",
                      node.name(), "')");
      return;
    }
    const float* v = y->as<float>();
    for (size_t j = 0; j < pending_[k].size(); ++j) {
      const std::vector<double>& s = pending_[k][j];
      all_[k][j].insert(all_[k][j].end(), s.begin(), s.end());
      for (size_t i = 0; i < s.size(); ++i)
        if (v[i] > 0) positive_[k][j].push_back(s[i]);
    }
    pending_[k].clear();
  }
}

std::vector<SnapeaCandidate> SnapeaProfiler::candidates(size_t k) const {
  std::vector<SnapeaCandidate> out;
  const int64_t terms = terms_[k];
  for (size_t j = 0; j < n_[k].size(); ++j) {
    std::vector<double> all = all_[k][j], positive = positive_[k][j];
    if (all.empty()) continue;
    std::sort(all.begin(), all.end());
    std::sort(positive.begin(), positive.end());
    for (double loss : options_.positive_losses) {
      SnapeaCandidate c;
      c.prediction.node = coverage_.sites[k].node;
      c.prediction.n = n_[k][j];
      // Predicted: sum < threshold. With no positive output at all, every output may be predicted.
      if (positive.empty()) {
        c.prediction.threshold = all.back() + 1.0;
      } else {
        const size_t at = std::min(positive.size() - 1, static_cast<size_t>(loss * static_cast<double>(positive.size())));
        c.prediction.threshold = positive[at];
      }
      const double th = c.prediction.threshold;
      c.positive_loss = positive.empty() ? 0.0
                                         : static_cast<double>(std::lower_bound(positive.begin(), positive.end(), th) - positive.begin()) /
                                               static_cast<double>(positive.size());
      c.predicted_fraction =
          static_cast<double>(std::lower_bound(all.begin(), all.end(), th) - all.begin()) / static_cast<double>(all.size());
      c.estimated_skip = c.predicted_fraction * static_cast<double>(terms - c.prediction.n) / static_cast<double>(terms);
      const bool duplicate = std::any_of(out.begin(), out.end(), [&](const SnapeaCandidate& o) {
        return o.prediction.n == c.prediction.n && o.prediction.threshold == c.prediction.threshold;
      });
      if (!duplicate && c.predicted_fraction > 0) out.push_back(c);
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const SnapeaCandidate& a, const SnapeaCandidate& b) { return a.estimated_skip < b.estimated_skip; });
  return out;
}

}  // namespace dnnc
