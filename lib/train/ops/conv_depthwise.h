// The depthwise convolution's reverse pass on the tape (group = input channels = output channels, equal
// strides, no dilation: MobileNet's 3x3 layers), one channel at a time.
//
// As a grouped GEMM each channel is a product with a single row (M = 1) and depth kh x kw: im2col
// copies every input sample kh x kw times, the micro-kernel runs one row of its tile, and col2im adds
// the copies back, which made these layers about 30 % of MobileNetV2's training step. Here a channel's
// input plane is copied once into a zero-bordered plane, split into stride x stride phases, and for
// every kernel tap one loop over the whole plane (output rows laid end to end, as wide as the phase)
// does both products: dW[tap] += dY . X_shifted (a dot product in vector lanes) and dX_shifted +=
// w[tap] dY (into a zero-bordered dX plane, added back once per plane).
//
// Threads take whole channels; each channel's dW is summed over the batch in image order (row sums
// in float lanes, rows and images in double), so results do not depend on the thread count.
#pragma once
#include <cstdint>
#include <vector>

namespace dnnc::train {

struct DepthwiseShape {
  int64_t N = 0, C = 0, H = 0, W = 0, kh = 0, kw = 0, sh = 1, sw = 1;
  int64_t pt = 0, pl = 0, OH = 0, OW = 0;
};

// One thread's planes, kept between steps.
struct DepthwiseScratch {
  std::vector<float> x, gx, dy;
};

// gw (C x kh x kw) += dLoss/dW and gx (N x C x H x W) += dLoss/dX (written when gx_fresh) for channels
// [c0, c1); either may be null. squared: the Gauss-Newton sweep (W and X squared). Strides must be equal.
void depthwiseBackward(const DepthwiseShape& s, const float* x, const float* w, const float* gy, float* gw, float* gx,
                       bool gx_fresh, bool squared, int64_t c0, int64_t c1, DepthwiseScratch& scratch);

}  // namespace dnnc::train
