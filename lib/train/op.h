// Op: the forward and reverse rules of one ONNX node on the training tape (lib/train/ops/*.cpp).
// forward() reads input slots and writes output slots, keeping what backward() needs; backward() adds
// dLoss/dinput into the gradient of every input that needs one (Tape::slot(i).needs_grad), from the
// gradients of the outputs. In Mode::Curvature every local derivative enters squared (Gauss-Newton
// diagonal: d2E/dx_j^2 = sum_i (dy_i/dx_j)^2 d2E/dy_i^2).
#pragma once
#include <onnx/onnx_pb.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "lib/ir/node.h"
#include "lib/support/error.h"
#include "lib/train/tape.h"

namespace dnnc::train {

// The activation of a Relu or Clip node, for the op whose output it follows to apply itself (the tape
// fuses BatchNormalization -> Relu/Clip: the pre-activation is then never stored, and neither it nor its
// gradient crosses memory again). The derivative is 1 where the value passes, else 0.
struct Clamp {
  bool relu = true;  // Relu: y = v > 0 ? v : 0, passes v > 0; Clip: y = min(max(v, lo), hi), passes lo <= v <= hi
  float lo = -INFINITY, hi = INFINITY;
};

// What an input is to the optimiser when an initializer feeds it.
enum class InputRole { Trainable, Buffer, Constant };

class Op {
 public:
  virtual ~Op() = default;
  virtual Status forward(Tape& t) = 0;
  virtual void backward(Tape& t, Mode mode) = 0;
  virtual InputRole role(int input) const { (void)input; return InputRole::Trainable; }
  // Integer values: whether the op computes on integer data (a Constant-role input may always be one),
  // and whether its outputs are integers, given its input slots (set when this is called). Integer
  // slots hold Slot::ints and never carry a gradient.
  virtual bool takesIntegers() const { return false; }
  virtual bool integerOutput(const Tape& t) const { (void)t; return false; }
  // Takes over the activation that alone reads output 0, writing its output instead: true when this op
  // can (the tape then drops the activation's op and rewires output 0 to the activation's output).
  virtual bool fuseClamp(const Clamp& c) { (void)c; return false; }

  std::vector<int> in, out;  // slot indices; -1 for an absent optional input or output
  std::string where;         // "Conv node '/conv1/Conv'"

 protected:
  Buf& x(Tape& t, int i) const { return t.slot(in[i]).val; }
  Buf& y(Tape& t, int i) const { return t.slot(out[i]).val; }
  // The gradient buffer of input i when it needs one (sized like the value), else nullptr; add to it.
  float* gradIn(Tape& t, int i) const {
    if (i >= static_cast<int>(in.size()) || in[i] < 0) return nullptr;
    return t.gradBuffer(in[i]);
  }
  // Like gradIn, for an op that writes all of input i's gradient at once: *fresh says to write (=)
  // rather than add, because nothing else has written it yet in this sweep.
  float* gradInForWrite(Tape& t, int i, bool* fresh) const {
    *fresh = false;
    if (i >= static_cast<int>(in.size()) || in[i] < 0) return nullptr;
    return t.gradBufferForWrite(in[i], fresh);
  }
  const Buf& gradOut(Tape& t, int i) const { return t.slot(out[i]).grad; }
  bool has(int i) const { return i < static_cast<int>(in.size()) && in[i] >= 0; }
  template <class... Args>
  Error error(const Args&... args) const { return Error(Exit::Input, where, ": ", args...); }
};

// The reverse rule for a node, or an Exit::Input error naming the op when there is none.
Expected<std::unique_ptr<Op>> makeOp(const onnx::NodeProto& node, int64_t opset);


}  // namespace dnnc::train
