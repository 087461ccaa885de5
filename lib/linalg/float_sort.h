// Sorting the float arrays weight sharing clusters (up to a VGG-16 fc6 of 100M weights) several times
// faster than std::sort: radix sorts on the values' bit patterns. Up to 32M values a least-significant-digit
// sort through a buffer of their size; past that a most-significant-digit sort partitioned in place by
// cycles (American flag sort) down to buckets of 1M values, each finished through a 4 MB buffer, so that
// the largest layers take no second copy.
#pragma once
#include <cstddef>
#include <span>

namespace dnnc {

// Sorts v ascending, as std::sort with operator< would for values without NaN (-0 is placed before +0).
// `key_bits` (a multiple of 8): the values agree in all but the low key_bits bits of their order key
// (sign, exponent, mantissa, negatives flipped), as within one of NonzeroValueBuckets' buckets (16), so
// only those are sorted on. Up to `largest_buffered` values (default 32M, a 128 MB buffer) through a
// buffer, past that in place.
void sortFloats(std::span<float> v, int key_bits = 32, size_t largest_buffered = size_t{1} << 25);

}  // namespace dnnc
