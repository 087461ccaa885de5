// Runtime choice of the kernels' instruction set (see isa.h).
#include "lib/exec/gemm/isa.h"

#include <cstdlib>
#include <fstream>

namespace dnnc::gemm {
namespace {

#if defined(__x86_64__) || defined(__i386__)
constexpr bool kX86 = true;
#else
constexpr bool kX86 = false;
#endif

// The AVX-512 kernels use F (the 512-bit FMAs and masked loads/stores); BW, DQ and VL are what GCC's
// intrinsics for masked and 256-bit forms want enabled alongside, and every AVX-512 CPU since Skylake-SP
// has all four.
bool cpuHasAvx512() {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

bool cpuHasAvx2() {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

Isa choose() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();  // a no-op after libgcc's own constructor, needed if we run before it (static init)
#endif
  const Isa widest = cpuHasAvx512() ? Isa::Avx512 : cpuHasAvx2() ? Isa::Avx2 : Isa::Generic;
  const std::string want = isaRequest();
  Isa asked = widest;
  if (want == "generic") asked = Isa::Generic;
  else if (want == "avx2") asked = Isa::Avx2;
  else if (want == "avx512") asked = Isa::Avx512;
  return isaSupported(asked) ? asked : widest;
}

}  // namespace

bool isaSupported(Isa isa) {
  switch (isa) {
    case Isa::Generic: return true;
    case Isa::Avx2: return kX86 && cpuHasAvx2();
    case Isa::Avx512: return kX86 && cpuHasAvx512();
  }
  return false;
}

Isa activeIsa() {
  static const Isa isa = choose();
  return isa;
}

const char* isaName(Isa isa) {
  switch (isa) {
    case Isa::Generic: return "generic";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
  }
  return "?";
}

std::string isaRequest() {
  const char* v = std::getenv("DNNC_ISA");
  return v ? v : "";
}

std::string cpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon == std::string::npos) break;
      const auto start = line.find_first_not_of(' ', colon + 1);
      return start == std::string::npos ? "" : line.substr(start);
    }
  return "";
}

}  // namespace dnnc::gemm
