// libFuzzer target for the .dnnc decoders (not built by CMake: tools/fuzz_unpack.sh builds it with
// clang++ -fsanitize=fuzzer,address,undefined). The first input byte picks the mode:
//   even: the rest is a whole .dnnc file for unpackModel (container CRCs, model section, sections);
//   odd:  the rest feeds one tensor decoder directly, bypassing the CRCs that would otherwise stop
//         most mutations early: byte 1 = codec, byte 2 = element width selector, bytes 3-5 = element
//         count (little-endian, < 2^24), then the codec body.
// Any input must give a value or an Error, never a crash, an over-read, a leak or a huge allocation.
#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/pack/pack.h"
#include "lib/pack/tensor_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dnnc::pack;
  if (size < 1) return 0;
  std::span<const uint8_t> in(data + 1, size - 1);
  if ((data[0] & 1) == 0) {
    auto m = unpackModel(in);
    if (m.ok()) (void)m->ByteSizeLong();
    return 0;
  }
  if (in.size() < 5) return 0;
  const Codec codec = allCodecs()[in[0] % allCodecs().size()];
  static constexpr unsigned kWidths[4] = {1, 2, 4, 8};
  Layout layout{Field::Raw, kWidths[in[1] % 4], uint64_t(in[2]) | uint64_t(in[3]) << 8 | uint64_t(in[4]) << 16};
  auto out = decodeTensor(codec, in.subspan(5), layout);
  if (out.ok() && out->size() != layout.bytes()) __builtin_trap();
  return 0;
}
