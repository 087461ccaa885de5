// Depthwise 2-D convolution (group = input channels = output channels: MobileNet's and EfficientNet's
// 3x3 and 5x5 layers) with the output row in the vector lanes.
//
// As a grouped GEMM a depthwise layer is one GEMM per channel with a single row (M = 1) and depth
// kh x kw (9 or 25): the micro-kernel runs one row of its tile, and im2col copies every input sample
// kh x kw times. Here a channel's plane is copied once into a zero-bordered plane and each output vector
// (16 consecutive outputs of a row with AVX-512, 8 with AVX2) is kh x kw FMAs of a broadcast weight and
// the input row read in place (stride 2: the plane is kept as its even and its odd columns, so a tap is
// still one load of consecutive samples).
// Eight output vectors are in flight at a time, so the FMA latency is hidden even on 7-wide maps (rows
// of one vector each). Runs on the AVX2 and AVX-512 paths (isa.h); depthwiseAvailable() says whether
// the caller may use it.
#pragma once
#include <cstdint>

namespace dnnc::gemm {

struct DepthwiseGeometry {
  int64_t H = 0, W = 0, kh = 0, kw = 0, sh = 1, sw = 1;
  int64_t pt = 0, pl = 0, Hp = 0, Wp = 0, OH = 0, OW = 0;
};

// The geometry of a depthwise convolution of H x W planes, zero-bordered by pads (top, left, bottom,
// right), with a kh x kw kernel at strides sh, sw (no dilation).
DepthwiseGeometry depthwiseGeometry(int64_t H, int64_t W, int64_t kh, int64_t kw, const int64_t pads[4], int64_t sh,
                                    int64_t sw);

// Whether depthwiseConv runs this geometry on this machine (not the generic path; horizontal stride 1
// or 2).
bool depthwiseAvailable(const DepthwiseGeometry& g);

// Floats of scratch one depthwiseConv call needs (a zero-bordered plane, or its two column phases at
// stride 2, and slack).
int64_t depthwiseScratchFloats(const DepthwiseGeometry& g);

// Channels [c0, c1) of one image: x holds the image's planes (H x W each), w the kernels (kh x kw per
// channel), y the output planes (OH x OW each). Per channel c: y = scale[c] * (w_c * x_c) + bias[c], then
// max(., 0) when relu; scale and bias may be null (1 and 0). scratch: depthwiseScratchFloats(g) floats,
// zeroed by the caller before its first call (the borders stay zero across calls with one geometry).
void depthwiseConv(const DepthwiseGeometry& g, const float* x, const float* w, const float* scale, const float* bias,
                   bool relu, int64_t c0, int64_t c1, float* y, float* scratch);

}  // namespace dnnc::gemm
