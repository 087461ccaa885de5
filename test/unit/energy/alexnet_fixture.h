// Caffe AlexNet CONV1-CONV5 at batch 4 (grouped CONV2, CONV4, CONV5), as JSSC 2017 Table V measures it,
// with the chip's mapping (Table III) and the ifmap zero fractions of Table V.
#pragma once
#include <array>
#include <vector>

#include "lib/energy/energy.h"

namespace dnnc::energy::testing {

inline std::vector<LayerShape> alexnetConvLayers(bool with_sparsity = true) {
  std::vector<LayerShape> L;
  L.push_back(convLayer("conv1", 4, 3, 227, 227, 96, 11, 11, /*stride*/ 4, /*pad*/ 0, /*groups*/ 1));
  L.push_back(convLayer("conv2", 4, 96, 27, 27, 256, 5, 5, 1, 2, 2));
  L.push_back(convLayer("conv3", 4, 256, 13, 13, 384, 3, 3, 1, 1, 1));
  L.push_back(convLayer("conv4", 4, 384, 13, 13, 384, 3, 3, 1, 1, 2));
  L.push_back(convLayer("conv5", 4, 384, 13, 13, 256, 3, 3, 1, 1, 2));
  L[0].first_layer = true;
  if (with_sparsity) {
    // Table V: zeros in the ifmaps. Ofmaps: a layer's ofmap is the next layer's ifmap before pooling;
    // CONV3->CONV4 and CONV4->CONV5 have no pooling between them, so those are exact. For CONV1 and CONV2
    // (max pooling follows) the next layer's fraction is a lower bound on the zeros; CONV5's ofmap is
    // not in the table, and is taken equal to its ifmap's (docs/energy-model.md).
    const std::array<double, 5> ifmap = {0.0001, 0.387, 0.725, 0.793, 0.776};
    const std::array<double, 5> ofmap = {0.387, 0.725, 0.793, 0.776, 0.776};
    for (int i = 0; i < 5; ++i) {
      L[i].ifmap.zero_fraction = ifmap[i];
      L[i].ofmap.zero_fraction = ofmap[i];
    }
  }
  return L;
}

// JSSC 2017 Table III.
inline std::array<Mapping, 5> eyerissAlexnetMapping() {
  return {Mapping{1, 7, 16, 1, 1, 2, 96}, Mapping{1, 27, 16, 2, 1, 1, 64}, Mapping{4, 13, 16, 4, 1, 4, 64},
          Mapping{4, 13, 16, 3, 2, 2, 64}, Mapping{4, 13, 16, 3, 2, 2, 64}};
}

}  // namespace dnnc::energy::testing
