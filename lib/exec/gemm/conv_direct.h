// Direct 2-D convolution with the output channels in the vector lanes, for narrow maps (7x7, 14x14).
//
// The im2col GEMM (sgemm.h) puts output positions in the vector lanes: a 7x7 map is 49 positions, three
// full 16-wide panels and a 1-wide one, or 63 over the "wide" padded rows (29 % computed and dropped).
// Here the lanes hold 16 output channels instead, and a tile is 6 output positions x 16 channels (12 ymm
// accumulators, as in the GEMM's micro-kernel): per kernel tap and input channel, 2 loads of packed
// weights, 6 broadcasts of input samples straight from the zero-bordered input planes, 12 FMAs. Each
// position carries its own input pointer, so a tile may span output rows and images: nothing is wasted
// but the last tile of a block, and nothing is copied but the input into its zero-bordered planes (ORT's
// NCHWc convolution does the same on blocked layouts; here the tensors stay NCHW and the write-back
// scatters a tile to 16 planes). Used by the executor's Conv and by the training tape's Conv (forward,
// and dX as the convolution of dY with the flipped kernel).
//
// That is the AVX2 tile (conv_direct_avx2.cpp); the AVX-512 one (conv_direct_avx512.cpp) is 8 positions
// x 32 channels, two of the packing's 16-channel blocks side by side in 16 zmm accumulators. Runs on
// either path (isa.h; directConvAvailable()); callers fall back to their GEMM path on the generic one.
#pragma once
#include <cstdint>
#include <vector>

#include "lib/exec/gemm/sgemm.h"

namespace dnnc::gemm {

bool directConvAvailable();
inline constexpr int64_t kDirectLanes = 16;  // output channels per block
inline constexpr int64_t kDirectTile = 6;    // output positions per tile

// Weights W[M x C x kh x kw] as blocks of 16 output channels, [M/16][C*kh*kw][16] (channels past M are
// zero), each row multiplied by row_scale[m] when given (a BatchNormalization folded in).
class DirectConvWeights {
 public:
  DirectConvWeights() = default;
  DirectConvWeights(const float* w, int64_t M, int64_t K, const float* row_scale);  // owns its storage
  // Packs into caller storage of at least floatsFor(M, K) floats, 32-byte aligned (per-call packing).
  DirectConvWeights(const float* w, int64_t M, int64_t K, const float* row_scale, float* storage);
  static size_t floatsFor(int64_t M, int64_t K);
  int64_t rows() const { return rows_; }
  int64_t depth() const { return depth_; }
  const float* block(int64_t b) const { return data_ + b * depth_ * kDirectLanes; }

 private:
  void pack(const float* w, const float* row_scale);
  AlignedFloats own_;
  float* data_ = nullptr;
  int64_t rows_ = 0, depth_ = 0;
};

// Geometry of one call: `images` images of C zero-bordered planes of Hp x Wp floats each (image i at
// x + i * C * Hp * Wp), kernel taps at the given plane offsets, output OH x OW with strides sh, sw.
struct DirectConvGeometry {
  int64_t C = 0, Hp = 0, Wp = 0;
  int64_t OH = 0, OW = 0, sh = 1, sw = 1;
  std::vector<int32_t> taps;  // offset of each (kh, kw) tap in a padded plane, in W's order
};

// The geometry of a convolution of C planes of H x W, zero-bordered by pads (top, left, bottom, right),
// with a kh x kw kernel at strides sh, sw and dilations dh, dw.
DirectConvGeometry directConvGeometry(int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw, const int64_t pads[4],
                                      int64_t sh, int64_t sw, int64_t dh, int64_t dw);

// `planes` H x W planes from src into the interiors (top and left borders pt, pl) of Hp x Wp planes at dst.
// The borders stay zero if they were: the caller zeroes them once per buffer, not per copy. dst needs
// kBorderedSlack floats past the last plane (a row's tail may be stored as a whole vector).
inline constexpr int64_t kBorderedSlack = 8;
void copyIntoBordered(const float* src, int64_t planes, int64_t H, int64_t W, int64_t pt, int64_t pl, int64_t Hp,
                      int64_t Wp, float* dst);

// Output channels [m0, m1) (m0 a multiple of 16) of `images` images into y (image i at y + i * y_image,
// channel m at + m * OH * OW). bias: M floats or nullptr; relu: max(., 0) on the way out; accumulate: add
// to y instead of writing it (a gradient that other ops also add to).
void directConv(const DirectConvWeights& w, const DirectConvGeometry& g, const float* x, int64_t images, int64_t m0,
                int64_t m1, float* y, int64_t y_image, const float* bias, bool relu, bool accumulate = false);

}  // namespace dnnc::gemm
