// Data-movement ops on the tape: Flatten, Reshape, Unsqueeze (copy the values, reshape the gradient
// back), Concat (split the gradient), and Gather (scatter-add the gradient into the rows it read: with a
// codebook Gather(centroids, indices), every cluster's gradients are summed into its centroid, as in
// Han et al. 2016's trained quantisation). Gather, Concat and Unsqueeze also move integer values (the
// shape arithmetic of exported graphs), which carry no gradient.
#include <type_traits>

#include "lib/train/ops/registry.h"

namespace dnnc::train {
namespace {

enum class ShapeKind { Flatten, Reshape, Concat, Gather, Unsqueeze };

class ShapeOp : public Op {
 public:
  ShapeOp(ShapeKind kind, int64_t axis, std::vector<int64_t> axes = {}) : kind_(kind), axis_(axis), axes_(std::move(axes)) {}

  InputRole role(int i) const override {
    if (kind_ == ShapeKind::Reshape || kind_ == ShapeKind::Gather || kind_ == ShapeKind::Unsqueeze)
      return i == 0 ? InputRole::Trainable : InputRole::Constant;
    return InputRole::Trainable;
  }
  bool takesIntegers() const override {
    return kind_ == ShapeKind::Concat || kind_ == ShapeKind::Gather || kind_ == ShapeKind::Unsqueeze;
  }
  bool integerOutput(const Tape& t) const override { return takesIntegers() && t.slot(in[0]).is_int; }

  Status forward(Tape& t) override {
    switch (kind_) {
      case ShapeKind::Flatten: {
        const Buf& a = x(t, 0);
        int64_t ax = axis_ < 0 ? axis_ + a.rank() : axis_;
        if (ax < 0 || ax > a.rank()) return error("axis ", axis_, " is out of range for rank ", a.rank());
        int64_t outer = 1;
        for (int64_t k = 0; k < ax; ++k) outer *= a.dims[k];
        copyAs(t, a, {outer, outer ? a.numel() / outer : 0});
        return {};
      }
      case ShapeKind::Reshape: return reshape(t);
      case ShapeKind::Concat: return concat(t);
      case ShapeKind::Gather: return gather(t);
      case ShapeKind::Unsqueeze: return unsqueeze(t);
    }
    return {};
  }

  void backward(Tape& t, Mode) override {
    // Routing only: every local derivative is 0 or 1, so curvature mode is the same sweep.
    const float* g = gradOut(t, 0).data();
    switch (kind_) {
      case ShapeKind::Flatten:
      case ShapeKind::Reshape:
      case ShapeKind::Unsqueeze:
        if (float* gx = gradIn(t, 0))
          for (int64_t i = 0; i < x(t, 0).numel(); ++i) gx[i] += g[i];
        return;
      case ShapeKind::Concat: {
        int64_t off = 0;
        for (size_t i = 0; i < in.size(); ++i) {
          const int64_t w = x(t, static_cast<int>(i)).dims.empty() ? 0 : widths_[i];
          if (float* gx = gradIn(t, static_cast<int>(i)))
            for (int64_t o = 0; o < outer_; ++o)
              for (int64_t k = 0; k < w; ++k) gx[o * w + k] += g[o * total_ + off + k];
          off += w;
        }
        return;
      }
      case ShapeKind::Gather: {
        float* gx = gradIn(t, 0);
        if (!gx) return;
        // Summed in double: a codebook entry collects the gradients of a whole cluster (fc1 of
        // LeNet-300-100: over 200,000 for the pruned zero), where float sums drifted by 1e-4.
        const auto& idx = t.slot(in[1]).ints;
        acc_.assign(static_cast<size_t>(outer_ * rows_ * inner_), 0.0);
        for (int64_t o = 0; o < outer_; ++o)
          for (size_t j = 0; j < idx.size(); ++j) {
            const int64_t r = idx[j] < 0 ? idx[j] + rows_ : idx[j];
            double* dst = acc_.data() + (o * rows_ + r) * inner_;
            const float* src = g + (o * static_cast<int64_t>(idx.size()) + static_cast<int64_t>(j)) * inner_;
            for (int64_t k = 0; k < inner_; ++k) dst[k] += src[k];
          }
        for (size_t i = 0; i < acc_.size(); ++i) gx[i] += static_cast<float>(acc_[i]);
        return;
      }
    }
  }

 private:
  void copyAs(Tape& t, const Buf& a, std::vector<int64_t> dims) const {
    Buf& b = y(t, 0);
    b.dims = std::move(dims);
    b.v = a.v;
  }

  Status reshape(Tape& t) {
    const Buf& a = x(t, 0);
    const Slot& s = t.slot(in[1]);
    if (!s.is_int) return error("shape must be an int64 tensor");
    std::vector<int64_t> dims = s.ints;
    int64_t known = 1, infer = -1;
    for (size_t k = 0; k < dims.size(); ++k) {
      if (dims[k] == 0 && k < a.dims.size()) dims[k] = a.dims[k];
      if (dims[k] == -1) {
        if (infer >= 0) return error("shape has more than one -1");
        infer = static_cast<int64_t>(k);
      } else {
        known *= dims[k];
      }
    }
    if (infer >= 0) dims[infer] = known ? a.numel() / known : 0;
    if (Buf::count(dims) != a.numel()) return error("cannot reshape ", dimsText(a.dims), " to ", dimsText(s.ints));
    copyAs(t, a, dims);
    return {};
  }

  // A value's dims and elements, float or integer.
  static const std::vector<int64_t>& dimsOf(const Slot& s) { return s.is_int ? s.int_dims : s.val.dims; }
  template <class T>
  static std::vector<T>& elems(Slot& s) {
    if constexpr (std::is_same_v<T, float>) return s.val.v;
    else return s.ints;
  }

  Status concat(Tape& t) {
    const Slot& head = t.slot(in[0]);
    const std::vector<int64_t>& first = dimsOf(head);
    const int64_t r = static_cast<int64_t>(first.size());
    const int64_t ax = axis_ < 0 ? axis_ + r : axis_;
    if (ax < 0 || ax >= r) return error("axis ", axis_, " is out of range for rank ", r);
    outer_ = 1;
    for (int64_t k = 0; k < ax; ++k) outer_ *= first[k];
    std::vector<int64_t> od = first;
    od[ax] = 0;
    widths_.clear();
    total_ = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      const Slot& a = t.slot(in[i]);
      if (a.is_int != head.is_int) return error("inputs mix integer and float values");
      const std::vector<int64_t>& d = dimsOf(a);
      if (static_cast<int64_t>(d.size()) != r) return error("inputs have different ranks");
      for (int64_t k = 0; k < r; ++k)
        if (k != ax && d[k] != first[k]) return error("input ", i, " ", dimsText(d), " differs from ", dimsText(first));
      od[ax] += d[ax];
      widths_.push_back(outer_ ? Buf::count(d) / outer_ : 0);
      total_ += widths_.back();
    }
    if (head.is_int) return concatInto<int64_t>(t, od);
    return concatInto<float>(t, od);
  }

  template <class T>
  Status concatInto(Tape& t, const std::vector<int64_t>& od) {
    Slot& b = t.slot(out[0]);
    (b.is_int ? b.int_dims : b.val.dims) = od;
    std::vector<T>& dst = elems<T>(b);
    dst.resize(static_cast<size_t>(Buf::count(od)));
    int64_t off = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      const std::vector<T>& src = elems<T>(t.slot(in[i]));
      for (int64_t o = 0; o < outer_; ++o) std::copy_n(src.data() + o * widths_[i], widths_[i], dst.data() + o * total_ + off);
      off += widths_[i];
    }
    return {};
  }

  Status gather(Tape& t) {
    const Slot& a = t.slot(in[0]);
    const Slot& s = t.slot(in[1]);
    if (!s.is_int) return error("indices must be an integer tensor");
    const std::vector<int64_t>& d = dimsOf(a);
    const int64_t r = static_cast<int64_t>(d.size());
    const int64_t ax = axis_ < 0 ? axis_ + r : axis_;
    if (ax < 0 || ax >= r) return error("axis ", axis_, " is out of range for rank ", r);
    outer_ = 1, inner_ = 1;
    for (int64_t k = 0; k < ax; ++k) outer_ *= d[k];
    for (int64_t k = ax + 1; k < r; ++k) inner_ *= d[k];
    rows_ = d[ax];
    std::vector<int64_t> od(d.begin(), d.begin() + ax);
    od.insert(od.end(), s.int_dims.begin(), s.int_dims.end());
    od.insert(od.end(), d.begin() + ax + 1, d.end());
    if (a.is_int) return gatherInto<int64_t>(t, od);
    return gatherInto<float>(t, od);
  }

  template <class T>
  Status gatherInto(Tape& t, const std::vector<int64_t>& od) {
    const Slot& s = t.slot(in[1]);
    Slot& b = t.slot(out[0]);
    (b.is_int ? b.int_dims : b.val.dims) = od;
    std::vector<T>& dst = elems<T>(b);
    const std::vector<T>& src = elems<T>(t.slot(in[0]));
    dst.resize(static_cast<size_t>(Buf::count(od)));
    const int64_t ni = static_cast<int64_t>(s.ints.size());
    for (int64_t o = 0; o < outer_; ++o)
      for (int64_t j = 0; j < ni; ++j) {
        int64_t ridx = s.ints[j] < 0 ? s.ints[j] + rows_ : s.ints[j];
        if (ridx < 0 || ridx >= rows_) return error("index ", s.ints[j], " is out of range for ", rows_, " rows");
        std::copy_n(src.data() + (o * rows_ + ridx) * inner_, inner_, dst.data() + (o * ni + j) * inner_);
      }
    return {};
  }

  // Unsqueeze: axes (an input from opset 13, an attribute before) name the new size-1 dims of the output.
  Status unsqueeze(Tape& t) {
    std::vector<int64_t> axes = axes_;
    if (has(1)) {
      const Slot& s = t.slot(in[1]);
      if (!s.is_int) return error("axes must be an integer tensor");
      axes = s.ints;
    }
    Slot& a = t.slot(in[0]);
    const std::vector<int64_t>& d = dimsOf(a);
    const int64_t r = static_cast<int64_t>(d.size() + axes.size());
    std::vector<char> is_new(static_cast<size_t>(r), 0);
    for (int64_t v : axes) {
      const int64_t k = v < 0 ? v + r : v;
      if (k < 0 || k >= r || is_new[k]) return error("axes ", dimsText(axes), " do not fit an output of rank ", r);
      is_new[k] = 1;
    }
    std::vector<int64_t> od;
    size_t next = 0;
    for (int64_t k = 0; k < r; ++k) od.push_back(is_new[k] ? 1 : d[next++]);
    Slot& b = t.slot(out[0]);
    if (a.is_int) {
      b.int_dims = od;
      b.ints = a.ints;
    } else {
      copyAs(t, a.val, od);
    }
    return {};
  }

  ShapeKind kind_;
  int64_t axis_;
  std::vector<int64_t> axes_;
  int64_t outer_ = 1, inner_ = 1, rows_ = 0, total_ = 0;
  std::vector<int64_t> widths_;
  std::vector<double> acc_;  // Gather's gradient sums
};

}  // namespace

Expected<std::unique_ptr<Op>> makeShapeOp(const onnx::NodeProto& n, int64_t) {
  const std::string& op = n.op_type();
  if (op == "Flatten") return std::unique_ptr<Op>(new ShapeOp(ShapeKind::Flatten, attrInt(n, "axis", 1)));
  if (op == "Reshape") return std::unique_ptr<Op>(new ShapeOp(ShapeKind::Reshape, 0));
  if (op == "Concat") return std::unique_ptr<Op>(new ShapeOp(ShapeKind::Concat, attrInt(n, "axis", 0)));
  if (op == "Unsqueeze") return std::unique_ptr<Op>(new ShapeOp(ShapeKind::Unsqueeze, 0, attrInts(n, "axes")));
  return std::unique_ptr<Op>(new ShapeOp(ShapeKind::Gather, attrInt(n, "axis", 0)));
}

}  // namespace dnnc::train
