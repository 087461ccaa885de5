// The interpolation Resize (opsets 10-19) and Upsample (7-9) share. Interpolation is separable: each
// resized axis gets, per output index, a short list of taps (input index, weight) from the coordinate
// transformation and the mode, and the axes are resized one pass at a time from the last to the first,
// which is the order of the ONNX reference's recursive interpolate_nd (so tf_crop_and_resize's
// extrapolated values blend exactly as there). Axes whose taps are the identity are skipped.
#pragma once
#include <string>
#include <vector>

#include "lib/exec/kernel.h"

namespace dnnc::ops {

enum class ResizeMode { Nearest, Linear, Cubic };
enum class CoordinateMode {
  HalfPixel, HalfPixelSymmetric, PytorchHalfPixel, AlignCorners, Asymmetric, TfHalfPixelForNn, TfCropAndResize
};
// Simple: Upsample's and Resize-10's rule as ONNX Runtime has it (floor when enlarging, ceil when shrinking).
enum class NearestMode { RoundPreferFloor, RoundPreferCeil, Floor, Ceil, Simple };

struct ResizeAttrs {
  ResizeMode mode = ResizeMode::Nearest;
  CoordinateMode coordinates = CoordinateMode::HalfPixel;
  NearestMode nearest = NearestMode::RoundPreferFloor;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  float extrapolation = 0.0f;
};

// Parses a mode name: "nearest", "linear" (also Upsample-7's "bilinear"), "cubic".
bool parseResizeMode(const std::string& s, ResizeMode& out);
bool parseCoordinateMode(const std::string& s, CoordinateMode& out);
bool parseNearestMode(const std::string& s, NearestMode& out);

// Resizes input 0 to `out_dims` into output 0. scales[d] is the factor of axis d (output / input for
// sizes), roi is empty or 2 * rank values (starts, then ends) for tf_crop_and_resize. Nearest runs on any
// element type; linear and cubic on float32.
Status resizeInto(KernelContext& ctx, const ResizeAttrs& attrs, std::span<const double> scales,
                  std::span<const int64_t> out_dims, std::span<const double> roi);

}  // namespace dnnc::ops
