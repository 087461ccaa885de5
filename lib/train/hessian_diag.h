// The diagonal of the loss Hessian with respect to every parameter, by Gauss-Newton (Levenberg-
// Marquardt) back-propagation of second derivatives (LeCun, Denker, Solla, "Optimal Brain Damage", 1989):
//   d2E/da_i^2 = f'(a_i)^2 sum_l w_li^2 d2E/da_l^2,     d2E/dw_ij^2 = d2E/da_i^2 x_j^2,
// seeded at the logits with the cross-entropy's diagonal p (1 - p), and averaged over the data. It is
// the tape's reverse sweep in Mode::Curvature (every local derivative squared).
//
// A cached analysis: passes get it through hessianDiagAnalysis(), so OBD's prune -> retrain rounds and
// Hessian-weighted k-means (weight sharing) reuse one computation until a pass changes the weights.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lib/ir/model.h"
#include "lib/pass/pass.h"
#include "lib/train/dataset.h"

namespace dnnc::train {

struct HessianDiag {
  std::vector<std::string> params;                   // trainable initializers, in graph order
  std::map<std::string, std::vector<float>> diag;    // h_kk per element, shaped like the initializer
  std::map<std::string, std::vector<int64_t>> dims;  // the initializer's dims
  int64_t samples = 0;                               // calibration samples averaged over
  std::string data;                                  // where they came from (for reports)

  // nullptr when `name` is not a parameter.
  const std::vector<float>* find(const std::string& name) const {
    auto it = diag.find(name);
    return it == diag.end() ? nullptr : &it->second;
  }
};

Expected<HessianDiag> computeHessianDiag(const Model& model, const Dataset& data, int threads, int64_t batch = 256);

// OBD saliency per weight: s_k = h_kk w_k^2 / 2.
std::vector<double> saliency(const std::vector<float>& h, const std::vector<float>& w);
// Filter-level saliency: the saliencies of each output filter (row of dims[0]) summed, for coarse
// (filter) pruning.
std::vector<double> filterSaliency(const std::vector<float>& h, const std::vector<float>& w, const std::vector<int64_t>& dims);

// Where the analysis reads its calibration data: a pass's data/scale/mean/std params.
struct CalibrationSpec {
  DataOptions data;
  int64_t limit = 0;  // first N samples; 0: all
};

// The analysis: the Hessian diagonal on the given calibration data (its path, preprocessing and sample
// count are the key: a 100-sample result never answers a 1,000-sample request).
struct HessianDiagAnalysis {
  using Result = HessianDiag;
  CalibrationSpec spec;
  int threads = 0;
  std::string key() const;
  Expected<HessianDiag> run(const Model& model, AnalysisManager& am) const;
};

// The cached HessianDiag of the model in ctx.analyses, computed on first use. A pass that changes
// weights and does not preserve HessianDiagAnalysis invalidates it.
Expected<const HessianDiag*> hessianDiagAnalysis(const Model& model, PassContext& ctx, const CalibrationSpec& spec);

}  // namespace dnnc::train
