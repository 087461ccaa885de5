// A string hash that is the same on every platform and run (FNV-1a, 64 bit): for seeds derived from
// names, where std::hash is implementation-defined.
#pragma once
#include <cstdint>
#include <string_view>

namespace dnnc {

inline uint64_t stableHash(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace dnnc
