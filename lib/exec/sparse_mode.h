// Whether the executor runs pruned Conv/Gemm/MatMul weights on the CSR kernels (lib/exec/gemm/csr.h).
#pragma once

namespace dnnc {

enum class SparseMode {
  Auto,    // per layer and call: CSR where the measured crossover says it is faster (gemm::csrPays)
  Never,   // always the dense GEMM
  Always,  // CSR for every Conv/Gemm/MatMul with constant weights (tests, benchmarks)
};

}  // namespace dnnc
