#include "lib/train/hessian_diag.h"

#include <numeric>

#include "lib/train/loss.h"
#include "lib/train/tape.h"

namespace dnnc::train {

Expected<HessianDiag> computeHessianDiag(const Model& model, const Dataset& data, int threads, int64_t batch) {
  DNNC_ASSIGN(auto tape, Tape::create(model, {.threads = threads}));
  HessianDiag h;
  h.samples = data.samples();
  if (h.samples == 0) return Error(Exit::Input, "no calibration samples for the Hessian diagonal");
  for (int k = 0; k < tape->numParams(); ++k) {
    h.params.push_back(tape->paramName(k));
    h.diag[tape->paramName(k)].assign(tape->param(k).v.size(), 0.0f);
    h.dims[tape->paramName(k)] = tape->param(k).dims;
  }
  std::vector<int64_t> idx(static_cast<size_t>(h.samples));
  std::iota(idx.begin(), idx.end(), 0);
  Buf seed;
  for (int64_t first = 0; first < h.samples; first += batch) {
    const int64_t n = std::min(batch, h.samples - first);
    DNNC_TRY(tape->forward(data.batch(idx, first, n), Phase::Eval));
    if (tape->output().rank() != 2) return Error(Exit::Input, "the Hessian diagonal needs logits [batch, classes]");
    crossEntropyCurvature(tape->output(), seed);
    tape->seedGrad(seed);
    tape->backward(Mode::Curvature);
    // The seed averages over this batch; weight each batch by its share of all samples.
    const float w = static_cast<float>(static_cast<double>(n) / static_cast<double>(h.samples));
    for (int k = 0; k < tape->numParams(); ++k) {
      auto& d = h.diag[tape->paramName(k)];
      const Buf& g = tape->paramGrad(k);
      for (size_t i = 0; i < d.size(); ++i) d[i] += w * g.v[i];
    }
  }
  return h;
}

std::vector<double> saliency(const std::vector<float>& h, const std::vector<float>& w) {
  std::vector<double> s(w.size());
  for (size_t i = 0; i < w.size(); ++i) s[i] = 0.5 * static_cast<double>(h[i]) * w[i] * w[i];
  return s;
}

std::vector<double> filterSaliency(const std::vector<float>& h, const std::vector<float>& w, const std::vector<int64_t>& dims) {
  const int64_t filters = dims.empty() ? 1 : dims[0];
  const int64_t per = filters ? static_cast<int64_t>(w.size()) / filters : 0;
  std::vector<double> s(static_cast<size_t>(filters), 0.0);
  for (int64_t f = 0; f < filters; ++f)
    for (int64_t i = 0; i < per; ++i) s[f] += 0.5 * static_cast<double>(h[f * per + i]) * w[f * per + i] * w[f * per + i];
  return s;
}

std::string HessianDiagAnalysis::key() const {
  return strCat(spec.data.path, "|scale=", spec.data.scale, "|mean=", spec.data.mean, "|std=", spec.data.std,
                "|limit=", spec.limit);
}

Expected<HessianDiag> HessianDiagAnalysis::run(const Model& model, AnalysisManager&) const {
  DNNC_ASSIGN(auto data, loadDataset(model, spec.data, "", spec.limit));
  DNNC_ASSIGN(HessianDiag h, computeHessianDiag(model, data, threads));
  h.data = spec.data.path;
  return h;
}

Expected<const HessianDiag*> hessianDiagAnalysis(const Model& model, PassContext& ctx, const CalibrationSpec& spec) {
  return ctx.analyses.get(model, HessianDiagAnalysis{spec, ctx.threads});
}

}  // namespace dnnc::train
