// The depthwise convolution's instruction-set paths as conv_depthwise.cpp dispatches to them. Internal
// to lib/exec/gemm.
#pragma once
#include <cstdint>

#include "lib/exec/gemm/conv_depthwise.h"

namespace dnnc::gemm::detail {

using DepthwiseFn = void (*)(const DepthwiseGeometry&, const float*, const float*, const float*, const float*, bool,
                             int64_t, int64_t, float*, float*);
DepthwiseFn depthwiseAvx2();    // nullptr where not compiled in (not x86)
DepthwiseFn depthwiseAvx512();  // nullptr where not compiled in

}  // namespace dnnc::gemm::detail
