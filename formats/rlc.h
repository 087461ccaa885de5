// Eyeriss run-length coding (Chen, Krishna, Emer, Sze, "Eyeriss: An Energy-Efficient Reconfigurable
// Accelerator for Deep Convolutional Neural Networks", JSSC 2017, Sec. V-B): the format Eyeriss uses
// to move sparse activations to and from DRAM, so the energy model's DRAM traffic is its size.
//
// A pair is a 5-bit run (zeros before the value) and a 16-bit level (the value). Three pairs fill 63
// bits of a 64-bit word; the remaining bit (bit 0) is Eyeriss' "term" flag, set only on the last word.
// Pairs are placed left to right as in the paper's figure, most significant bits first:
//   bits 63..59 run0 | 58..43 level0 | 42..38 run1 | 37..22 level1 | 21..17 run2 | 16..1 level2 | 0 term
// Runs longer than 31: the pair (31, 0) stands for 32 zeros (31 zeros then a zero level) and the run
// continues in the next pair. Trailing zeros are coded too: the last pair is (r - 1, 0) for a final
// run of r <= 32 zeros. The decoder is told the element count n (Eyeriss knows it from the layer
// shape); slots after the n-th value in the last word are (0, 0) padding.
// Layout and worked example: docs/formats/rlc.md.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "lib/support/error.h"

namespace dnnc::formats {

inline constexpr unsigned kRlcRunBits = 5;
inline constexpr unsigned kRlcLevelBits = 16;
inline constexpr unsigned kRlcPairsPerWord = 3;
inline constexpr unsigned kRlcMaxRun = 31;

std::vector<uint64_t> rlcEncode(std::span<const uint16_t> values);
std::vector<uint64_t> rlcEncode(std::span<const int16_t> values);
// Decodes exactly n values; validates the term flag, the padding and the canonical form.
Expected<std::vector<uint16_t>> rlcDecode(std::span<const uint64_t> words, size_t n);
Expected<std::vector<int16_t>> rlcDecodeSigned(std::span<const uint64_t> words, size_t n);

// Number of (run, level) pairs for a sequence (the size formula: words = ceil(pairs / 3)).
uint64_t rlcPairCount(std::span<const uint16_t> values);
// Exact size of rlcEncode's output in bits: 64 * ceil(pairs / 3).
uint64_t rlcEncodedBits(std::span<const uint16_t> values);
// The RLC size of a float activation tensor quantised to 16 bits, from its zero pattern alone
// (a value is zero iff x == 0.0f, so -0.0 is zero and NaN is not). For the energy model's DRAM traffic.
uint64_t rlcEncodedBits(const float* x, size_t n);

// Words as little-endian bytes, and back (the byte count must be a multiple of 8).
std::vector<uint8_t> rlcWordsToBytes(std::span<const uint64_t> words);
Expected<std::vector<uint64_t>> rlcBytesToWords(std::span<const uint8_t> bytes);

}  // namespace dnnc::formats
