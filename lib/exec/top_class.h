// The one top-1 rule every accuracy in dnnc uses: the class of the largest logit, the first one on a tie
// (as numpy's argmax and PyTorch's max do).
#pragma once
#include <algorithm>
#include <cstdint>

namespace dnnc {

inline int64_t topClass(const float* logits, int64_t classes) {
  return std::max_element(logits, logits + classes) - logits;
}

}  // namespace dnnc
