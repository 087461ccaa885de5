// matmul: C = A * B or C += A * B for the training ops, on lib/exec's packed AVX2/FMA GEMM (sgemm.h),
// split over threads. Transposed operands are strided MatrixRefs (MatrixRef::transposed), so the
// transposes of the reverse pass (W^T dY, dY col^T) cost nothing beyond sgemm's packing.
//
// The split: C's columns in whole 16-column panels when C is wide enough; else the depth (each thread
// multiplies its slice into its own partial C, the partials are summed in thread order), which is what
// a weight gradient with few columns and a long depth (N * output positions) needs. Either way the
// result is deterministic for a thread count, and no thread spins waiting for another inside the GEMM.
#pragma once
#include <cstdint>

#include "lib/exec/gemm/sgemm.h"

namespace dnnc::train {

enum class Store { Overwrite, Accumulate };

// C (rows a.rows, cols b.cols, row stride ldc) = or += A * B, over up to `threads` threads.
void matmul(gemm::MatrixRef a, gemm::MatrixRef b, float* c, int64_t ldc, Store store, int threads);

}  // namespace dnnc::train
