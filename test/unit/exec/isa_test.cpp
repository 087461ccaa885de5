// The kernels' instruction-set choice (lib/exec/gemm/isa.h): the widest path the CPU has, or the one
// DNNC_ISA names where the CPU has it; the GEMM's panels follow the path. ctest runs the GEMM and conv
// tests once per path (test/CMakeLists.txt), and this test checks that each run took the path it asked for.
#include <catch2/catch.hpp>

#include <string>

#include "lib/exec/gemm/conv_direct.h"
#include "lib/exec/gemm/isa.h"
#include "lib/exec/gemm/sgemm.h"

using namespace dnnc::gemm;

TEST_CASE("the kernels run the instruction set DNNC_ISA asks for, where the CPU has it", "[exec][isa]") {
  const Isa widest = isaSupported(Isa::Avx512) ? Isa::Avx512 : isaSupported(Isa::Avx2) ? Isa::Avx2 : Isa::Generic;
  const std::string asked = isaRequest();
  Isa want = widest;
  for (Isa isa : {Isa::Generic, Isa::Avx2, Isa::Avx512})
    if (asked == isaName(isa) && isaSupported(isa)) want = isa;
  INFO("DNNC_ISA='" << asked << "', widest supported " << isaName(widest));
  CHECK(isaName(activeIsa()) == std::string(isaName(want)));
  CHECK(isaSupported(Isa::Generic));

  // The packed layouts are the active micro-kernel's.
  const int64_t mr = activeIsa() == Isa::Avx512 ? 12 : activeIsa() == Isa::Avx2 ? 6 : 1;
  const int64_t nr = activeIsa() == Isa::Avx512 ? 32 : activeIsa() == Isa::Avx2 ? 16 : 1;
  CHECK(rowPanel() == mr);
  CHECK(columnPanel() == nr);
  CHECK(PackedA::floatsFor(13, 5) == static_cast<size_t>((13 + mr - 1) / mr * mr * 5));
  CHECK(PackedB::floatsFor(5, 33) == static_cast<size_t>(5 * ((33 + nr - 1) / nr * nr)));
  CHECK(directConvAvailable() == (activeIsa() != Isa::Generic));
}
