// Data-movement ops on the tape: Flatten, Reshape (copy the values, reshape the gradient back),
// Concat (split the gradient), and Gather (scatter-add the gradient into the rows it read: with a
// codebook Gather(centroids, indices), every cluster's gradients are summed into its centroid, as in
// Han et al. 2016's trained quantisation).
#include "lib/train/ops/registry.h"

namespace dnnc::train {
namespace {

enum class ShapeKind { Flatten, Reshape, Concat, Gather };

class ShapeOp : public Op {
 public:
  ShapeOp(ShapeKind kind, int64_t axis) : kind_(kind), axis_(axis) {}

  InputRole role(int i) const override {
    if (kind_ == ShapeKind::Reshape || kind_ == ShapeKind::Gather) return i == 0 ? InputRole::Trainable : InputRole::Constant;
    return InputRole::Trainable;
  }

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
    }
    return {};
  }

  void backward(Tape& t, Mode) override {
    // Routing only: every local derivative is 0 or 1, so curvature mode is the same sweep.
    const float* g = gradOut(t, 0).data();
    switch (kind_) {
      case ShapeKind::Flatten:
      case ShapeKind::Reshape:
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
        const auto& idx = t.slot(in[1]).ints;
        for (int64_t o = 0; o < outer_; ++o)
          for (size_t j = 0; j < idx.size(); ++j) {
            const int64_t r = idx[j] < 0 ? idx[j] + rows_ : idx[j];
            float* dst = gx + (o * rows_ + r) * inner_;
            const float* src = g + (o * static_cast<int64_t>(idx.size()) + static_cast<int64_t>(j)) * inner_;
            for (int64_t k = 0; k < inner_; ++k) dst[k] += src[k];
          }
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

  Status concat(Tape& t) {
    const Buf& first = x(t, 0);
    const int64_t r = first.rank();
    const int64_t ax = axis_ < 0 ? axis_ + r : axis_;
    if (ax < 0 || ax >= r) return error("axis ", axis_, " is out of range for rank ", r);
    outer_ = 1;
    for (int64_t k = 0; k < ax; ++k) outer_ *= first.dims[k];
    std::vector<int64_t> od = first.dims;
    od[ax] = 0;
    widths_.clear();
    total_ = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      const Buf& a = x(t, static_cast<int>(i));
      if (a.rank() != r) return error("inputs have different ranks");
      for (int64_t k = 0; k < r; ++k)
        if (k != ax && a.dims[k] != first.dims[k]) return error("input ", i, " ", dimsText(a.dims), " differs from ", dimsText(first.dims));
      od[ax] += a.dims[ax];
      widths_.push_back(outer_ ? a.numel() / outer_ : 0);
      total_ += widths_.back();
    }
    Buf& b = y(t, 0);
    b.reshape(od);
    int64_t off = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      const Buf& a = x(t, static_cast<int>(i));
      for (int64_t o = 0; o < outer_; ++o) std::copy_n(a.data() + o * widths_[i], widths_[i], b.data() + o * total_ + off);
      off += widths_[i];
    }
    return {};
  }

  Status gather(Tape& t) {
    const Buf& a = x(t, 0);
    const Slot& s = t.slot(in[1]);
    if (!s.is_int) return error("indices must be an integer tensor");
    const int64_t r = a.rank();
    const int64_t ax = axis_ < 0 ? axis_ + r : axis_;
    if (ax < 0 || ax >= r) return error("axis ", axis_, " is out of range for rank ", r);
    outer_ = 1, inner_ = 1;
    for (int64_t k = 0; k < ax; ++k) outer_ *= a.dims[k];
    for (int64_t k = ax + 1; k < r; ++k) inner_ *= a.dims[k];
    rows_ = a.dims[ax];
    std::vector<int64_t> od(a.dims.begin(), a.dims.begin() + ax);
    od.insert(od.end(), s.int_dims.begin(), s.int_dims.end());
    od.insert(od.end(), a.dims.begin() + ax + 1, a.dims.end());
    Buf& b = y(t, 0);
    b.reshape(od);
    const int64_t ni = static_cast<int64_t>(s.ints.size());
    for (int64_t o = 0; o < outer_; ++o)
      for (int64_t j = 0; j < ni; ++j) {
        int64_t ridx = s.ints[j] < 0 ? s.ints[j] + rows_ : s.ints[j];
        if (ridx < 0 || ridx >= rows_) return error("index ", s.ints[j], " is out of range for ", rows_, " rows");
        std::copy_n(a.data() + (o * rows_ + ridx) * inner_, inner_, b.data() + (o * ni + j) * inner_);
      }
    return {};
  }

  ShapeKind kind_;
  int64_t axis_;
  int64_t outer_ = 1, inner_ = 1, rows_ = 0, total_ = 0;
  std::vector<int64_t> widths_;
};

}  // namespace

Expected<std::unique_ptr<Op>> makeShapeOp(const onnx::NodeProto& n, int64_t) {
  const std::string& op = n.op_type();
  if (op == "Flatten") return std::unique_ptr<Op>(new ShapeOp(ShapeKind::Flatten, attrInt(n, "axis", 1)));
  if (op == "Reshape") return std::unique_ptr<Op>(new ShapeOp(ShapeKind::Reshape, 0));
  if (op == "Concat") return std::unique_ptr<Op>(new ShapeOp(ShapeKind::Concat, attrInt(n, "axis", 0)));
  return std::unique_ptr<Op>(new ShapeOp(ShapeKind::Gather, attrInt(n, "axis", 0)));
}

}  // namespace dnnc::train
