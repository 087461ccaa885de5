// Type and shape ops on the tape: Cast and Shape. Integer values (shapes, indices) are constants to
// training: Cast to an integer type, or from one, passes no gradient, so a shared layer's
// Gather(codebook, Cast(indices)) trains its codebook and leaves its indices alone. A float-to-float
// Cast passes the gradient straight through (to float16/bfloat16 it rounds the values and takes the
// rounding's derivative as 1).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "lib/ir/dtype.h"
#include "lib/train/ops/registry.h"

namespace dnnc::train {
namespace {

// An integer value as the ONNX integer type `to` holds it (narrowing wraps, as a C++ cast and ONNX
// Runtime do).
int64_t narrowTo(DType to, int64_t v) {
  switch (to) {
    case DType::Int8: return static_cast<int8_t>(v);
    case DType::Uint8: return static_cast<uint8_t>(v);
    case DType::Int16: return static_cast<int16_t>(v);
    case DType::Uint16: return static_cast<uint16_t>(v);
    case DType::Int32: return static_cast<int32_t>(v);
    case DType::Uint32: return static_cast<uint32_t>(v);
    case DType::Bool: return v != 0;
    default: return v;  // Int64, Uint64
  }
}

float roundTo(DType to, float v) {
  if (to == DType::Float16) return halfToFloat(floatToHalf(v));
  if (to == DType::Bfloat16) return bfloat16ToFloat(floatToBfloat16(v));
  return v;  // Float, Double: every float is exact
}

class CastOp : public Op {
 public:
  explicit CastOp(DType to) : to_(to) {}

  InputRole role(int) const override { return isFloating(to_) ? InputRole::Trainable : InputRole::Constant; }
  bool takesIntegers() const override { return true; }
  bool integerOutput(const Tape&) const override { return !isFloating(to_); }

  Status forward(Tape& t) override {
    const Slot& a = t.slot(in[0]);
    Slot& b = t.slot(out[0]);
    if (!isFloating(to_)) {
      b.int_dims = a.is_int ? a.int_dims : a.val.dims;
      b.ints.resize(a.is_int ? a.ints.size() : a.val.v.size());
      if (a.is_int) {
        for (size_t i = 0; i < a.ints.size(); ++i) b.ints[i] = narrowTo(to_, a.ints[i]);
      } else {
        // Float to integer truncates towards zero (ONNX Runtime's static_cast); NaN and values out of
        // range have no defined result in ONNX, and give 0 here.
        for (size_t i = 0; i < a.val.v.size(); ++i) {
          const double v = std::trunc(static_cast<double>(a.val.v[i]));
          b.ints[i] = std::isfinite(v) && std::abs(v) < 9.2e18 ? narrowTo(to_, static_cast<int64_t>(v)) : 0;
        }
      }
      return {};
    }
    if (a.is_int) {
      b.val.reshape(a.int_dims);
      for (size_t i = 0; i < a.ints.size(); ++i) b.val.v[i] = roundTo(to_, static_cast<float>(a.ints[i]));
      return {};
    }
    b.val.reshape(a.val.dims);
    for (size_t i = 0; i < a.val.v.size(); ++i) b.val.v[i] = roundTo(to_, a.val.v[i]);
    return {};
  }

  void backward(Tape& t, Mode) override {
    // Reached only float to float (an integer output needs no gradient): the derivative is 1.
    float* gx = gradIn(t, 0);
    if (!gx) return;
    const Buf& g = gradOut(t, 0);
    for (int64_t i = 0; i < g.numel(); ++i) gx[i] += g.v[i];
  }

 private:
  DType to_;
};

// Shape: the input's dims (start/end of opset 15 select a range) as an int64 vector.
class ShapeOfOp : public Op {
 public:
  ShapeOfOp(int64_t start, int64_t end) : start_(start), end_(end) {}

  InputRole role(int) const override { return InputRole::Constant; }
  bool takesIntegers() const override { return true; }
  bool integerOutput(const Tape&) const override { return true; }

  Status forward(Tape& t) override {
    const Slot& a = t.slot(in[0]);
    const std::vector<int64_t>& d = a.is_int ? a.int_dims : a.val.dims;
    const int64_t r = static_cast<int64_t>(d.size());
    auto clamp = [r](int64_t v) { return std::min(std::max(v < 0 ? v + r : v, int64_t{0}), r); };
    const int64_t lo = clamp(start_), hi = clamp(end_);
    Slot& b = t.slot(out[0]);
    b.ints.assign(d.begin() + lo, d.begin() + std::max(lo, hi));
    b.int_dims = {static_cast<int64_t>(b.ints.size())};
    return {};
  }

  void backward(Tape&, Mode) override {}

 private:
  int64_t start_, end_;
};

}  // namespace

Expected<std::unique_ptr<Op>> makeIntegerOp(const onnx::NodeProto& n, int64_t) {
  if (n.op_type() == "Shape")
    return std::unique_ptr<Op>(new ShapeOfOp(attrInt(n, "start", 0), attrInt(n, "end", std::numeric_limits<int64_t>::max())));
  const auto* to = findAttr(n, "to");
  const DType dtype = to ? dtypeFromOnnx(static_cast<int>(to->i())) : DType::Undefined;
  if (dtype == DType::Undefined)
    return Error(Exit::Input, "Cast node '", n.name().empty() ? n.output(0) : n.name(), "': 'to' names no numeric type");
  return std::unique_ptr<Op>(new CastOp(dtype));
}

}  // namespace dnnc::train
