// A Conv, Gemm or MatMul with a constant weight seen as one linear map per output position:
// y[m] = sum_k W[m, k] x[k] (+ b[m]), where x is one im2col column (C*R*S values for a convolution of
// group 1, the C inputs of a fully-connected layer). Pruning passes that look at data (energy-aware
// pruning's weight restoration and least-squares refit) read layers through this view.
#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "lib/ir/graph.h"
#include "lib/ir/tensor.h"

namespace dnnc {

struct LinearLayer {
  int node = -1;          // index in the graph
  std::string name;       // node name (first output when unnamed)
  std::string op;         // Conv, Gemm, MatMul
  std::string input, output, weight, bias;  // value names; bias "" when absent
  bool transposed = false;  // the weight is stored [K, M] (Gemm transB=0, MatMul): rows are inputs
  int64_t outputs = 0, fan_in = 0;  // M and K
  // Convolution geometry (group 1, 2-D): kernel, strides, dilations, pads (top, left).
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1, ph = 0, pw = 0;
  bool conv() const { return op == "Conv"; }
};

// The layer at node `id`, or the reason it cannot be seen as a linear layer (grouped convolutions,
// computed weights, transA, alpha != 1, auto_pad other than NOTSET/VALID, non-2-D kernels).
std::optional<LinearLayer> linearLayer(const Graph& graph, int id, std::string& why);

// W as an M x K row-major matrix (transposing a [K, M] weight), and back into the weight's layout.
RowMatrixF weightMatrix(const LinearLayer& layer, const Tensor& weight);
void storeWeightMatrix(const LinearLayer& layer, const RowMatrixF& w, Tensor& weight);

// Up to `max_columns` input columns and the matching outputs, sampled uniformly (seeded) over samples
// and output positions: X is K x n, Y is M x n. `in` is the layer's input activation ([N, C, H, W] or
// [..., C]); `out` the output ([N, M, E, F] or [..., M]) of the layer whose behaviour is the target.
struct LayerSamples {
  Eigen::MatrixXf x, y;
};
LayerSamples sampleLayer(const LinearLayer& layer, const Tensor& in, const Tensor& out, int64_t max_columns,
                         std::mt19937_64& rng);

}  // namespace dnnc
