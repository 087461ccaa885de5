// The 54 Conv/FC layer shapes of torchvision ResNet-50 (v1.5: the stride sits on the 3x3 conv), batch N,
// with ifmap/ofmap zero fractions set to typical post-ReLU values so that the RLC path is exercised.
#pragma once
#include <string>
#include <vector>

#include "lib/energy/layer_shape.h"

namespace dnnc::energy::bench {

inline std::vector<LayerShape> resnet50Layers(int N = 1, double relu_zero_fraction = 0.5) {
  std::vector<LayerShape> L;
  auto conv = [&](std::string name, int C, int H, int M, int k, int stride, int pad, bool relu_in) {
    LayerShape l = convLayer(std::move(name), N, C, H, H, M, k, k, stride, pad);
    l.ifmap.zero_fraction = relu_in ? relu_zero_fraction : 0.0;
    l.ofmap.zero_fraction = relu_zero_fraction;
    L.push_back(l);
  };
  conv("conv1", 3, 224, 64, 7, 2, 3, false);
  L.back().first_layer = true;
  int in_ch = 64, H = 56;  // after the 3x3/2 max pool
  const int widths[4] = {64, 128, 256, 512}, blocks[4] = {3, 4, 6, 3};
  for (int s = 0; s < 4; ++s) {
    const int w = widths[s], out = 4 * w;
    for (int b = 0; b < blocks[s]; ++b) {
      const int stride = (s > 0 && b == 0) ? 2 : 1;
      const std::string p = "layer" + std::to_string(s + 1) + "." + std::to_string(b) + ".";
      conv(p + "conv1", in_ch, H, w, 1, 1, 0, true);
      conv(p + "conv2", w, H, w, 3, stride, 1, true);
      const int Ho = (H + 2 - 3) / stride + 1;
      conv(p + "conv3", w, Ho, out, 1, 1, 0, true);
      if (b == 0) conv(p + "downsample", in_ch, H, out, 1, stride, 0, true);
      in_ch = out;
      H = Ho;
    }
  }
  LayerShape fc = fcLayer("fc", N, 2048, 1000);
  fc.ifmap.zero_fraction = 0.0;  // after global average pooling
  L.push_back(fc);
  return L;
}

}  // namespace dnnc::energy::bench
