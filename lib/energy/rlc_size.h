// Compressed sizes of feature maps and weights in DRAM, without encoding them.
//
// Eyeriss RLC (Chen et al., JSSC 2017, Sec. V-B): a stream is coded as (run, level) pairs, `run` counting
// up to 2^run_bits - 1 zeros before the `level` value; a longer run is cut by a pair whose level is a zero.
// `pairs_per_word` pairs (3 of 5 + 16 bits) fill one 64-bit word, whose last bit marks the end.
// Significance map (Yang et al., CVPR 2017): one bit per value, plus the value bits of each nonzero.
//
// formats/rlc.h encodes real streams (5/16/3, fixed); this file gives the sizes the model needs without
// the values: exact from a zero-run histogram, expected for i.i.d. zeros, and expected for a zero-padded
// plane, for any run/level width the spec gives. The pair counts equal formats/rlc's (tested).
// feature_rlc.h measures real streams instead: the encoded size of every sample's feature map over a data set.
#pragma once
#include <cstdint>

#include "lib/energy/layer_shape.h"

namespace dnnc::energy {

struct RlcParams {
  int run_bits = 5;
  int level_bits = 16;
  int word_bits = 64;
  int pairs_per_word = 3;
  int maxRun() const { return (1 << run_bits) - 1; }
};

// Expected pairs per value for i.i.d. zeros with probability z: (1 - z) / (1 - z^(maxRun+1)).
double rlcPairsPerValueIid(double zero_fraction, const RlcParams& p);

// Exact number of pairs for a stream with the given zero runs: one per nonzero, plus one per full
// (maxRun + 1)-zero chunk of each run (a run of L zeros costs floor(L / (maxRun + 1)) cut pairs, one more
// if it ends the stream without a level; the histogram does not say which run ends it, so that is not
// counted: at most one pair per stream).
double rlcPairs(const ZeroRunHistogram& h, const RlcParams& p);

// Expected pairs for one zero-padded plane stored row-major: `rows` x `cols` values, of which the
// interior [top, top + h) x [left, left + w) is i.i.d. with zero probability z and the rest is padding
// (always zero). Exact for that model (a Markov chain over the pending run length).
double rlcPairsPaddedPlane(int rows, int cols, int top, int left, int h, int w, double zero_fraction,
                           const RlcParams& p);

// Bits of a coded stream of `pairs` pairs (no rounding to whole words: the expectation over many transfers).
inline double rlcBits(double pairs, const RlcParams& p) { return pairs * p.word_bits / p.pairs_per_word; }

// Significance map: values * 1 + nonzeros * value_bits.
inline double significanceMapBits(double values, double nonzeros, int value_bits) {
  return values + nonzeros * value_bits;
}

}  // namespace dnnc::energy
