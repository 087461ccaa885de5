// The analysis key for the diagonal of the loss Hessian with respect to each weight (OBD's h_kk).
// The prune-obd work computes and stores it in the AnalysisManager; weight sharing with
// method=hessian (Choi et al., ICLR 2017) reads it when present and errors out otherwise.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace dnnc {

struct HessianDiagonal {
  // Initializer name -> one non-negative value per element, in the weight's C order.
  std::map<std::string, std::vector<float>> per_weight;
  // How it was obtained (e.g. "gauss-newton, 5000 samples"), for reports.
  std::string method;
};

}  // namespace dnnc
