// The direct convolution's instruction-set paths (conv_direct.h): the tile loop over output positions
// and lane blocks, for AVX2 (conv_direct_avx2.cpp) and AVX-512 (conv_direct_avx512.cpp). Internal to
// lib/exec/gemm.
#pragma once
#include <cstdint>

#include "lib/exec/gemm/conv_direct.h"

namespace dnnc::gemm::detail {

// Output channels [m0, m1) (m0 a multiple of 16) of the n output positions whose window origins in x are
// xoff[p] and whose first-channel outputs in y are yoff[p] (channel m at + m * P).
struct DirectConvCall {
  const DirectConvWeights* w;
  const DirectConvGeometry* g;
  const float* x;
  const int64_t* xoff;
  const int64_t* yoff;
  int64_t n, m0, m1;
  float* y;
  int64_t P;
  const float* bias;
  bool relu, accumulate;
};
using DirectConvFn = void (*)(const DirectConvCall& call);

DirectConvFn directConvAvx2();    // nullptr where not compiled in (not x86)
DirectConvFn directConvAvx512();  // nullptr where not compiled in
// copyIntoBordered (conv_direct.h) with AVX2 vectors, nullptr where not compiled in.
using CopyIntoBorderedFn = void (*)(const float*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, float*);
CopyIntoBorderedFn copyIntoBorderedAvx2();

}  // namespace dnnc::gemm::detail
