// Shared by the decompose-* passes (svd, tucker, cp): how ranks are chosen, which Conv nodes can be
// decomposed, and building the replacement Conv nodes. Not a pass itself.
#pragma once
#include <onnx/onnx_pb.h>

#include <optional>
#include <string>
#include <vector>

#include "lib/ir/graph.h"
#include "lib/ir/node.h"
#include "lib/ir/shapes.h"
#include "lib/linalg/unfold.h"
#include "lib/pass/pass.h"

namespace dnnc::decompose {

// A prefix for the names of what replaces a node: its name, or its first output when it has none.
std::string nameBase(const onnx::NodeProto& n);

// How the ranks are chosen: by EVBMF (the default), a fixed rank, a params ratio or (SVD) an energy share.
struct RankChoice {
  enum Kind { Evbmf, Fixed, Ratio, Energy } kind = Evbmf;
  int64_t rank = 0;
  double ratio = 0, energy = 0;
  std::string source() const;  // "evbmf", "rank", "ratio", "energy"
};
// Reads `rank`, `ratio` and (when allowed) `energy`; at most one may be given. Bad values are usage errors.
Expected<RankChoice> parseRankChoice(const PassParams& params, const std::string& pass, bool allow_energy,
                                     bool allow_evbmf);
// The parameter specs every decompose pass shares.
std::vector<ParamSpec> commonParams(bool with_energy, const std::string& default_doc);

// A Conv that can be decomposed, with what the rewrite needs.
struct ConvLayer {
  NodeId id = -1;
  std::string label, base, input, output, bias;  // bias "" when absent; base: see nameBase()
  Tensor weight;                           // float32 [K, C, h, w]
  int64_t K = 0, C = 0, h = 0, w = 0;
  std::vector<int64_t> strides{1, 1}, pads{0, 0, 0, 0}, dilations{1, 1};
  std::string auto_pad;  // "" or NOTSET when pads are explicit
  // Spatial sizes from shape inference, -1 when unknown (then MACs are not reported).
  int64_t in_h = -1, in_w = -1, out_h = -1, out_w = -1;
  bool macsKnown() const { return in_h > 0 && in_w > 0 && out_h > 0 && out_w > 0; }
};
// The Conv at id as a ConvLayer, or nullopt with `why` when it stays as it is (grouped or depthwise, a
// 1x1 kernel, not 2-D, weights not float32 initializers, ...).
Expected<std::optional<ConvLayer>> matchConv(const Graph& graph, NodeId id, const ShapeMap& shapes, std::string& why);

// A 2-D Conv node; pads/strides/dilations omitted when default, auto_pad copied when set.
onnx::NodeProto makeConv(const std::string& name, const std::vector<std::string>& inputs, const std::string& output,
                         std::vector<int64_t> kernel, std::vector<int64_t> strides, std::vector<int64_t> pads,
                         std::vector<int64_t> dilations, int64_t group, const std::string& auto_pad);

linalg::DenseTensor toDense(const Tensor& t);
// A float32 tensor of the given dims from a matrix, read row by row.
Tensor fromMatrix(const linalg::Matrix& m, std::vector<int64_t> dims);
Tensor fromDense(const linalg::DenseTensor& t);

// Replaces node `id` by `replacement` (in order; the last must produce the node's output), then
// logs the rewrite. The caller compacts the graph once at the end.
void replaceNode(Graph& graph, NodeId id, std::vector<onnx::NodeProto> replacement);

// The Exit::Target error of a decomposition that finds no layer it can decompose, with the log's first
// skip reasons: a request with nothing to act on is not met.
Error nothingToDecompose(const std::string& pass, const std::string& kind, const PassLog& log);

}  // namespace dnnc::decompose
