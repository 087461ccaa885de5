// Dense tensors in C order and their mode-n unfoldings, the matrix views every tensor decomposition
// works on. unfold(t, n) is the matrix of size dims[n] x (numel / dims[n]) whose columns run over the
// remaining modes in C order (numpy's moveaxis(t, n, 0).reshape(dims[n], -1), as TensorLy's unfold);
// fold() is its inverse.
#pragma once
#include <Eigen/Core>
#include <cstdint>
#include <vector>

namespace dnnc::linalg {

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

struct DenseTensor {
  std::vector<int64_t> dims;
  Vector data;  // C order

  DenseTensor() = default;
  explicit DenseTensor(std::vector<int64_t> d);
  DenseTensor(std::vector<int64_t> d, Vector values);
  int64_t numel() const { return data.size(); }
  int order() const { return static_cast<int>(dims.size()); }
  double norm() const { return data.norm(); }
};

Matrix unfold(const DenseTensor& t, int mode);
DenseTensor fold(const Matrix& m, int mode, const std::vector<int64_t>& dims);
// t x_mode m: contracts mode `mode` of t with the columns of m (dims[mode] == m.cols()); the result has
// m.rows() in that mode.
DenseTensor modeProduct(const DenseTensor& t, int mode, const Matrix& m);
// ||a - b|| / ||a|| (0 for a zero a that equals b).
double relativeError(const DenseTensor& a, const DenseTensor& b);

}  // namespace dnnc::linalg
