// Eyeriss RLC on feature maps: for every Conv/Gemm/MatMul data input, over a data set, the size of
// each sample's activation in Eyeriss' run-length code (5-bit run, 16-bit level, 3 pairs per 64-bit
// word; formats/rlc.h) against its dense 16-bit size and against an entropy limit. This is the DRAM
// traffic of the input feature map the energy model charges.
//
// Entropy limit: RLC stores every nonzero as a 16-bit level and every zero run in 5-bit run fields;
// the least any code of that (run, level) form can spend is 16 bits per nonzero plus the empirical
// zero-order entropy of the zero runs before each nonzero (runs counted within a sample, unbounded).
// Eyeriss (JSSC 2017, Sec. V-B) reports RLC within 5-10 % of the entropy limit on AlexNet.
//
// Measured, not modelled: every sample's stream is sized by formats/rlc's encoder (whole 64-bit words, the
// pair a trailing zero run needs), for the fixed 5/16/3 code. rlc_size.h is the energy model's side: sizes
// for any run/level width the spec gives, from a zero-run histogram pooled over samples (no word rounding),
// or expected for i.i.d. zeros. The two agree on pair counts (tested there); this file reports what real
// streams cost and how far that is from the entropy limit, which the pooled histogram cannot tell.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/exec/dataset.h"
#include "lib/exec/executor.h"

namespace dnnc::energy {

struct FeatureRlc {
  std::string node, op, value;
  int64_t samples = 0, elements = 0, zeros = 0;
  uint64_t rlc_bits = 0;         // sum over samples of the RLC size
  double entropy_bits = 0;       // the limit above
  uint64_t dense_bits() const { return uint64_t(elements) * 16; }
};

// Runs the whole data set (in batches) and returns one entry per observed activation, in graph order.
Expected<std::vector<FeatureRlc>> measureFeatureRlc(Executor& exec, BatchLoader& loader, int64_t batch);

}  // namespace dnnc::energy
