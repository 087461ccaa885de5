// The transpose of `batch` row-major planes of 32-bit elements: dst plane b (cols x rows) = the
// transpose of src plane b (rows x cols). Transpose and Slice reach it through stridedCopy whenever the
// permutation, once size-1 dims are dropped and contiguous ones merged, swaps the last two dims of a
// batch of planes (NCHW <-> NHWC: ConvNeXt's 46 Transposes). 32 x 32 tiles, so that each source cache line
// is read once per tile; within a tile 8 x 8 blocks by AVX2 unpacks and shuffles where the CPU has them
// (gemm::activeIsa()), else element by element.
#pragma once
#include <cstdint>

namespace dnnc::ops {

void transposePlanes(const uint32_t* src, int64_t batch, int64_t rows, int64_t cols, uint32_t* dst, int threads);

}  // namespace dnnc::ops
