// Which instruction set the executor's float kernels run on (GEMM, direct convolution), chosen at run
// time so that one binary serves both an AVX2 machine and an AVX-512 one: the widest the CPU supports,
// unless DNNC_ISA (generic, avx2 or avx512) asks for a narrower one, so that tests can run every path on
// an AVX-512 machine. A request the CPU cannot run (avx512 on an AVX2 machine) falls back to the widest
// supported path: executing it would stop the process on an illegal instruction. An unknown value is
// ignored the same way; isaRequest() reports what was asked, so a caller can name the mismatch.
//
// The choice is made once per process, at the first call, and never changes: packed operands (sgemm.h)
// are laid out for the path that packed them.
#pragma once
#include <string>

namespace dnnc::gemm {

enum class Isa { Generic, Avx2, Avx512 };

Isa activeIsa();                // the path the kernels run
bool isaSupported(Isa isa);     // can this CPU run it (and was it compiled in)
const char* isaName(Isa isa);   // "generic", "avx2", "avx512"
std::string isaRequest();       // DNNC_ISA as given, "" when unset
std::string cpuModel();         // the CPU's model name (/proc/cpuinfo), "" when unknown

}  // namespace dnnc::gemm
