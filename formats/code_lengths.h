// Optimal length-limited prefix-code lengths by package-merge (Larmore & Hirschberg 1990).
// Plain Huffman can produce codes as long as the alphabet; the table-driven decoder wants a bound
// (16 bits), and package-merge gives the cheapest code within that bound, not just a feasible one.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace dnnc::formats {

// Code length per symbol (0 for symbols with count 0) minimising sum(count * length) subject to
// length <= max_length. When the used symbols cannot fit (2^max_length < used), the limit is raised
// to ceil(log2(used)). A single used symbol gets length 1, so every coded symbol costs at least one
// bit (which bounds decoders' allocations by their input size). The result satisfies Kraft with
// equality whenever two or more symbols are used. Requires max_length in 1..32 and at most 2^16 used
// symbols.
std::vector<uint8_t> limitedCodeLengths(std::span<const uint64_t> counts, unsigned max_length);

}  // namespace dnnc::formats
