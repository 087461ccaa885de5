// Empirical Shannon entropy: the lower bound any symbol-by-symbol code (Huffman) is measured against,
// and what the pack report prints next to the achieved size.
#pragma once
#include <cstdint>
#include <span>

namespace dnnc::formats {

// Total bits -sum c_i log2(c_i / n) of a sequence with these symbol counts (0 for n <= 1 or one symbol).
double entropyBits(std::span<const uint64_t> counts);

// Total empirical entropy in bits of a symbol sequence (any values; counted by sorting for 32-bit input).
template <class T>
double shannonEntropyBits(std::span<const T> symbols);

}  // namespace dnnc::formats
