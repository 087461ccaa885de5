// UCNN arithmetic counts: Hegde, Zhang, Zhang, Peng, Fletcher, "UCNN: Exploiting Computational Reuse in
// Deep Neural Networks via Weight Repetition", ISCA 2018.
//
// When a filter holds few distinct weight values, its dot product factorises: add up the inputs that share a
// weight, multiply each sum once by that weight, add the products (dot product factorisation). With
// activation group reuse, G filters are processed together: the inputs are split into sub-groups by the
// tuple of the G filters' weights at each tap, each sub-group is summed once, and every filter builds its
// own groups' sums from the shared sub-group sums. Zero weights are skipped (a tap whose G weights are all
// zero is not read).
//
// Per filter group of G filters (the last one may be smaller), with S the non-empty sub-groups (tuples with
// at least one nonzero weight), T the taps they hold, and for filter g: u_g its distinct nonzero values and
// s_g the sub-groups whose g-th weight is nonzero, one output position of the G filters costs
//   multiplies = sum_g u_g
//   additions  = (T - S)                      sub-group sums
//              + sum_g (s_g - u_g)            group sums of filter g from the sub-group sums
//              + sum_g max(u_g - 1, 0)        the products of filter g added up
//   input reads = T                           each tap read once for the G filters
// With G = 1 this is u multiplies and nnz - 1 additions per output, against K MACs dense. The counts do
// not depend on the input values, so a layer's totals are the per-position counts times N * E * F.
#pragma once
#include <cstdint>
#include <span>

#include "lib/energy/accelerator_spec.h"
#include "lib/energy/energy_model.h"
#include "lib/support/error.h"

namespace dnnc::energy {

struct UcnnCounts {
  double dense_macs = 0;       // every tap of every output: N * E * F * M * C * R * S
  double multiplies = 0;       // factorised
  double additions = 0;
  double input_reads = 0;      // taps read (once per filter group)
  int64_t unique_weights = 0;  // distinct nonzero values in the whole layer
  int64_t nonzero_weights = 0;
};

// Counts for a layer whose weights are `filters` rows of `taps` values each (row-major, filter-major: a
// Conv's M x C x R x S, an FC layer's out x in), `positions` output positions per filter (N * E * F), and
// filter groups of `reuse_group` consecutive filters (taken within each of the conv's `conv_groups` groups).
// Errors (Exit::Input): sizes that do not match, a group below 1.
Expected<UcnnCounts> countUcnn(std::span<const float> weights, int64_t filters, int64_t taps, double positions,
                               int reuse_group, int conv_groups = 1);

// What a layer costs on an accelerator with UCNN support (spec.repetition), from its evaluation on the same
// spec (`gated`: mapping, accesses and zero gating as for any layer) and its counts. Only the PE changes:
// the MAC energy becomes multiplies x multiply_energy + additions x add_energy; in the scratchpads each
// tap read is one ifmap read plus one read of its weight index (index_bits / word_bits of a word, with
// ceil(log2(U + 1)) index bits for U unique weights), each product one weight read and one psum read and
// write-back. Fills, GLB, array and DRAM traffic stay those of the evaluation (weights are moved as values,
// not as indices). Processing time scales with the taps read: one input accumulated per PE cycle.
struct UcnnCost {
  UcnnCounts counts;
  double energy = 0;             // normalised, the whole layer
  double processing_cycles = 0;
  double latency_cycles = 0;
  int index_bits = 0;
};
UcnnCost ucnnCost(const AcceleratorSpec& spec, const LayerCost& gated, const UcnnCounts& counts);

}  // namespace dnnc::energy
