// LayerShape: what the energy model needs to know about one Conv or FC layer, independent of ONNX.
// The glue that reads a model fills one per Conv (grouped and depthwise included) and per Gemm/MatMul
// (as a 1x1 convolution with H = W = E = F = 1). Sparsity fields default to dense.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lib/support/error.h"

namespace dnnc::energy {

// The zero structure of a feature map, measured on real activations: the exact input for RLC sizes.
// runs[L] counts the maximal runs of exactly L zeros (runs[0] is unused), in the order the map is
// stored (row-major per channel plane); a run that ends the stream counts as well.
struct ZeroRunHistogram {
  std::uint64_t elements = 0;  // values measured
  std::uint64_t nonzeros = 0;  // values that are not zero
  std::vector<std::uint64_t> runs;

  double zeroFraction() const { return elements ? 1.0 - double(nonzeros) / double(elements) : 0.0; }
};

// Builds the histogram of one stream of values (e.g. a whole activation tensor, NCHW order).
ZeroRunHistogram measureZeroRuns(std::span<const float> values);
// The same for coded 16-bit words (delta_stats.h), zero being the word 0.
ZeroRunHistogram measureZeroRuns(std::span<const std::uint16_t> values);
// Adds the counts of `other` (another batch or tensor) into `into`.
void mergeZeroRuns(ZeroRunHistogram& into, const ZeroRunHistogram& other);

// The zero content of one feature map (ifmap or ofmap) as stored in DRAM, padding excluded.
struct FmapSparsity {
  double zero_fraction = 0.0;                 // fraction of zero values, in [0, 1]
  std::optional<ZeroRunHistogram> zero_runs;  // when present, sizes are exact and zero_fraction is ignored

  double fraction() const { return zero_runs ? zero_runs->zeroFraction() : zero_fraction; }
};

struct LayerShape {
  enum class Kind { Conv, Fc };

  std::string name;
  Kind kind = Kind::Conv;
  int N = 1;         // batch
  int M = 1;         // output channels (all groups)
  int C = 1;         // input channels per group
  int G = 1;         // groups (depthwise: G = input channels, C = 1)
  int H = 1, W = 1;  // ifmap height and width, padding excluded
  int pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  int R = 1, S = 1;                // filter height and width
  int E = 1, F = 1;                // ofmap height and width
  int stride_h = 1, stride_w = 1;  // U in the Eyeriss papers
  int dilation_h = 1, dilation_w = 1;

  FmapSparsity ifmap;  // the layer's input as read from DRAM
  FmapSparsity ofmap;  // the layer's output as written to DRAM (after ReLU when the chip applies it)
  double weight_zero_fraction = 0.0;
  bool first_layer = false;  // its ifmap is the network input (never RLC-compressed on Eyeriss)
  // Bits per value where the model stores a data type narrower than a word (0: a word): codebook indices
  // of shared weights, INT8 weights or activations. The spec's narrow_data says on which levels it counts.
  int weight_bits = 0;
  int ifmap_bits = 0;
  // SnaPEA early termination (lib/analysis/snapea.h), as fractions of the layer's MACs: the terms never
  // computed, and of those the ones whose ifmap operand is a real nonzero value. A skipped term saves
  // what a gated one does (zero_handling.ifmap_zero_gates); see rs_core.cpp.
  double snapea_skipped = 0.0, snapea_skipped_nonzero = 0.0;

  // Derived sizes.
  int Hp() const { return H + pad_top + pad_bottom; }
  int Wp() const { return W + pad_left + pad_right; }
  int Reff() const { return (R - 1) * dilation_h + 1; }  // ifmap rows one filter spans
  int Seff() const { return (S - 1) * dilation_w + 1; }
  int Mg() const { return M / G; }  // filters per group
  double macs() const { return double(N) * M * C * R * S * E * F; }
  double ifmapWords() const { return double(N) * C * G * H * W; }
  double filterWords() const { return double(M) * C * R * S; }
  double ofmapWords() const { return double(N) * M * E * F; }
};

// A conv layer from its ONNX-style attributes; E and F follow from the others.
LayerShape convLayer(std::string name, int N, int C_total, int H, int W, int M, int R, int S, int stride = 1,
                     int pad = 0, int groups = 1, int dilation = 1);
// A Gemm/MatMul as a 1x1 convolution on a 1 x positions ifmap: one position for a classifier, one per
// token or time step where the same weights apply to every position of a sample (a Transformer's
// projections, a recurrent layer's steps).
LayerShape fcLayer(std::string name, int N, int in_features, int out_features, int positions = 1);

// Checks that the shape is consistent (positive sizes, M divisible by G, E and F matching the
// convolution arithmetic, fractions in [0, 1]). Errors name the layer and field, with Exit::Input.
Status validateLayer(const LayerShape& layer);

}  // namespace dnnc::energy
