// The depthwise convolution's AVX-512 kernel as conv_depthwise.cpp dispatches to it. Internal to
// lib/exec/gemm.
#pragma once
#include <cstdint>

#include "lib/exec/gemm/conv_depthwise.h"

namespace dnnc::gemm::detail {

using DepthwiseFn = void (*)(const DepthwiseGeometry&, const float*, const float*, const float*, const float*, bool,
                             int64_t, int64_t, float*, float*);
DepthwiseFn depthwiseAvx512();  // nullptr where not compiled in (not x86)

}  // namespace dnnc::gemm::detail
