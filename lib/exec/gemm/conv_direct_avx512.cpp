// Placeholder until the AVX-512 tile exists: the AVX2 tile serves.
#include "lib/exec/gemm/conv_direct_backend.h"
namespace dnnc::gemm::detail {
DirectConvFn directConvAvx512() { return nullptr; }
}  // namespace dnnc::gemm::detail
