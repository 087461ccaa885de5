// What the executor needs to know of a BatchNormalization node to fold it into the convolution before it
// (ConvKernel applies it while packing its weights: KernelContext::fuseBatchNorm).
#pragma once
#include <vector>

#include "lib/exec/kernel.h"

namespace dnnc::ops {

// An inference-mode BatchNormalization whose scale, B, mean and var are known before running
// (initializers or Constant outputs), as y = x * scale[c] + shift[c]: scale then shift, C floats each,
// computed as the kernel computes them. Empty for any other node (training mode, runtime statistics).
std::vector<float> inferenceBatchNormAffine(const NodeInfo& info);

}  // namespace dnnc::ops
