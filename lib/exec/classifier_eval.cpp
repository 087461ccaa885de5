#include "lib/exec/classifier_eval.h"
#include "lib/exec/top_class.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace dnnc {

namespace {

// Scores [n, classes] as floats (any trailing dims flattened into classes).
Expected<std::vector<float>> scores(const Tensor& t, int64_t n, int64_t& classes, const std::string& what) {
  if (t.rank() < 1 || t.dims()[0] != n)
    return Error(Exit::Input, what, " output is ", dimsToString(t.dims()), ", expected [", n, ", classes]");
  classes = n ? t.numel() / n : 0;
  return t.toFloats();
}


}  // namespace

std::optional<double> ClassifierScores::sqnrDb() const {
  if (noise <= 0) return std::nullopt;
  return 10.0 * std::log10(signal / noise);
}

Expected<ClassifierScores> evaluateClassifier(Executor& model, Executor* reference, BatchLoader& data, const std::vector<int64_t>& labels,
                              const ClassifierEvalSettings& settings, const std::function<void(int64_t, int64_t)>& progress) {
  ClassifierScores r;
  r.has_labels = !labels.empty();
  r.has_reference = reference != nullptr;
  const int64_t total = settings.limit > 0 ? std::min(settings.limit, data.samples()) : data.samples();
  if (r.has_labels && static_cast<int64_t>(labels.size()) < total)
    return Error(Exit::Input, "the labels hold ", labels.size(), " entries for ", total, " samples");
  int64_t batch = settings.batch;
  const auto& in_dims = model.inputs()[0].dims;
  if (!in_dims.empty() && in_dims[0] > 0) batch = in_dims[0];
  Tensor x;
  auto start = std::chrono::steady_clock::now();
  while (r.samples < total) {
    DNNC_ASSIGN(bool more, data.next(std::min(batch, total - r.samples), x));
    if (!more) break;
    const int64_t n = x.dims()[0];
    DNNC_ASSIGN(auto out, model.run({&x}));
    DNNC_ASSIGN(auto s, scores(out[0], n, r.classes, "the model's"));
    if (r.classes == 0) return Error(Exit::Input, "the model's output has no classes");
    std::vector<float> rs;
    if (reference) {
      DNNC_ASSIGN(auto rout, reference->run({&x}));
      int64_t rclasses = 0;
      DNNC_ASSIGN(rs, scores(rout[0], n, rclasses, "the reference's"));
      if (rclasses != r.classes)
        return Error(Exit::Input, "the model gives ", r.classes, " scores per sample, the reference ", rclasses);
    }
    const int64_t k = r.classes;
    for (int64_t i = 0; i < n && r.has_labels; ++i) {
      const float* row = s.data() + i * k;
      const int64_t label = labels[static_cast<size_t>(r.samples + i)];
      if (label < 0 || label >= k)
        return Error(Exit::Input, "label ", label, " of sample ", r.samples + i, " is outside [0, ", k, ")");
      int64_t above = 0;  // classes scoring strictly higher than the label's
      for (int64_t c = 0; c < k; ++c) above += row[c] > row[label];
      r.top1 += topClass(row, k) == label;
      r.top5 += above < 5;
      if (reference) r.reference_top1 += topClass(rs.data() + i * k, k) == label;
    }
    if (reference) {
      for (int64_t i = 0; i < n; ++i) r.agree += topClass(s.data() + i * k, k) == topClass(rs.data() + i * k, k);
      for (size_t j = 0; j < s.size(); ++j) {
        double d = std::abs(double(s[j]) - rs[j]);
        r.max_abs_diff = std::max(r.max_abs_diff, d);
        r.sum_abs_diff += d;
        r.signal += double(rs[j]) * rs[j];
        r.noise += d * d;
      }
      r.diff_count += static_cast<int64_t>(s.size());
    }
    r.samples += n;
    if (progress) progress(r.samples, total);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (r.samples == 0) return Error(Exit::Input, "the data holds no samples");
  return r;
}

}  // namespace dnnc
