// Elementwise ops on the tape: Relu, LeakyRelu, ThresholdedRelu, Clip, Sigmoid, Tanh, Dropout, Identity (unary), and
// Add, Sub, Mul with numpy broadcasting (the gradient of a broadcast input is summed over the
// broadcast positions).
#include <algorithm>
#include <cmath>

#include "lib/train/ops/parallel.h"
#include "lib/train/ops/registry.h"

namespace dnnc::train {
namespace {

enum class Unary { Relu, LeakyRelu, ThresholdedRelu, Clip, Sigmoid, Tanh, Dropout, Identity };

// dX = dY where pass(X), else 0 (added to gx unless fresh), as a select in vector lanes: Relu (X > 0)
// and Clip (lo <= X <= hi), whose derivative is 1 or 0 (the same squared, in curvature mode). Through
// the generic derivative lambda GCC emitted a scalar compare-and-branch per element, mispredicted at every
// sign change (14 % of the residual CNN's training step, and Clip's a fifth of MobileNetV2's).
template <class Pass>
void maskBackward(int threads, int64_t n, const float* __restrict x, const float* __restrict g, float* __restrict gx,
                  bool fresh, Pass pass) {
  constexpr int64_t kBlock = 4096;
  const int th = n >= kParallelMin ? threads : 1;
#pragma omp parallel for num_threads(th) schedule(static)
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t e = std::min(n, b + kBlock);
    if (fresh) {
#pragma omp simd
      for (int64_t i = b; i < e; ++i) gx[i] = pass(x[i]) ? g[i] : 0.0f;
    } else {
#pragma omp simd
      for (int64_t i = b; i < e; ++i) gx[i] += pass(x[i]) ? g[i] : 0.0f;
    }
  }
}

class UnaryOp : public Op {
 public:
  UnaryOp(Unary kind, float alpha, float lo, float hi, float ratio) : kind_(kind), alpha_(alpha), lo_(lo), hi_(hi), ratio_(ratio) {}

  InputRole role(int i) const override { return i == 0 ? InputRole::Trainable : InputRole::Constant; }

  Status forward(Tape& t) override {
    const Buf& a = x(t, 0);
    if (kind_ == Unary::Clip) {  // opset >= 11: bounds are inputs
      if (has(1)) lo_ = scalar(t, 1);
      if (has(2)) hi_ = scalar(t, 2);
    }
    if (kind_ == Unary::Dropout && has(1)) ratio_ = scalar(t, 1);  // opset >= 12
    Buf& b = y(t, 0);
    b.reshape(a.dims);
    const float* in = a.data();
    float* o = b.data();
    const int64_t n = a.numel();
    const int th = t.threads();
    const float alpha = alpha_, lo = lo_, hi = hi_;
    switch (kind_) {
      case Unary::Relu: parallelFor(th, n, [&](int64_t i) { o[i] = in[i] > 0 ? in[i] : 0.0f; }); break;
      case Unary::LeakyRelu: parallelFor(th, n, [&](int64_t i) { o[i] = in[i] > 0 ? in[i] : alpha * in[i]; }); break;
      case Unary::ThresholdedRelu: parallelFor(th, n, [&](int64_t i) { o[i] = in[i] > alpha ? in[i] : 0.0f; }); break;
      case Unary::Clip: parallelFor(th, n, [&](int64_t i) { o[i] = std::min(std::max(in[i], lo), hi); }); break;
      case Unary::Sigmoid: parallelFor(th, n, [&](int64_t i) { o[i] = 1.0f / (1.0f + std::exp(-in[i])); }); break;
      case Unary::Tanh: parallelFor(th, n, [&](int64_t i) { o[i] = std::tanh(in[i]); }); break;
      case Unary::Identity: std::copy(in, in + n, o); break;
      case Unary::Dropout: {
        mask_.clear();
        if (t.phase() == Phase::Eval || ratio_ <= 0.0f) {
          std::copy(in, in + n, o);
          break;
        }
        // Inverted dropout: kept values are scaled by 1/(1-ratio) so the expectation is unchanged.
        mask_.resize(static_cast<size_t>(n));
        std::bernoulli_distribution keep(1.0 - ratio_);
        const float scale = 1.0f / (1.0f - ratio_);
        for (int64_t i = 0; i < n; ++i) {
          mask_[i] = keep(t.rng()) ? scale : 0.0f;
          o[i] = in[i] * mask_[i];
        }
        break;
      }
    }
    if (out.size() > 1 && out[1] >= 0) {  // Dropout's mask output: 1 where kept
      Buf& m = y(t, 1);
      m.reshape(a.dims);
      for (int64_t i = 0; i < n; ++i) m.v[i] = mask_.empty() ? 1.0f : (mask_[i] != 0.0f);
    }
    return {};
  }

  void backward(Tape& t, Mode mode) override {
    bool fresh = false;
    float* gx = gradInForWrite(t, 0, &fresh);
    if (!gx) return;
    const Buf& a = x(t, 0);
    const Buf& b = y(t, 0);
    const float* g = gradOut(t, 0).data();
    const int64_t n = a.numel();
    const bool sq = mode == Mode::Curvature;
    const float* av = a.data();
    const float* bv = b.data();
    const float* mk = mask_.data();
    const float alpha = alpha_, lo = lo_, hi = hi_;
    auto apply = [&](auto deriv) {
      if (sq && fresh) parallelFor(t.threads(), n, [&](int64_t i) { const float d = deriv(i); gx[i] = g[i] * (d * d); });
      else if (sq) parallelFor(t.threads(), n, [&](int64_t i) { const float d = deriv(i); gx[i] += g[i] * (d * d); });
      else if (fresh) parallelFor(t.threads(), n, [&](int64_t i) { gx[i] = g[i] * deriv(i); });
      else parallelFor(t.threads(), n, [&](int64_t i) { gx[i] += g[i] * deriv(i); });
    };
    switch (kind_) {
      case Unary::Relu: maskBackward(t.threads(), n, av, g, gx, fresh, [](float v) { return v > 0.0f; }); break;
      case Unary::LeakyRelu: apply([&](int64_t i) { return av[i] > 0 ? 1.0f : alpha; }); break;
      // The step at alpha has no derivative; as for Relu's kink, the gradient passes where the input does
      // (the straight path prune-activations' thresholds are retrained through).
      case Unary::ThresholdedRelu:
        maskBackward(t.threads(), n, av, g, gx, fresh, [alpha](float v) { return v > alpha; });
        break;
      case Unary::Clip:
        maskBackward(t.threads(), n, av, g, gx, fresh, [lo, hi](float v) { return v >= lo && v <= hi; });
        break;
      case Unary::Sigmoid: apply([&](int64_t i) { return bv[i] * (1.0f - bv[i]); }); break;
      case Unary::Tanh: apply([&](int64_t i) { return 1.0f - bv[i] * bv[i]; }); break;
      case Unary::Identity: apply([](int64_t) { return 1.0f; }); break;
      case Unary::Dropout:
        if (mask_.empty()) apply([](int64_t) { return 1.0f; });
        else apply([&](int64_t i) { return mk[i]; });
        break;
    }
  }

 private:
  float scalar(Tape& t, int i) const {
    const Slot& s = t.slot(in[i]);
    return s.is_int ? static_cast<float>(s.ints.at(0)) : s.val.v.at(0);
  }
  Unary kind_;
  float alpha_, lo_, hi_, ratio_;
  std::vector<float> mask_;  // Dropout in training: 0 or 1/(1-ratio) per element
};

enum class Binary { Add, Sub, Mul };

class BinaryOp : public Op {
 public:
  explicit BinaryOp(Binary kind) : kind_(kind) {}

  Status forward(Tape& t) override {
    const Buf& a = x(t, 0);
    const Buf& b = x(t, 1);
    if (a.dims != dims_a_ || b.dims != dims_b_) DNNC_TRY(plan(a.dims, b.dims));
    Buf& c = y(t, 0);
    c.reshape(out_dims_);
    const int64_t n = c.numel();
    if (same_) {  // no broadcasting (a residual Add): elementwise, in parallel
      const float *av = a.data(), *bv = b.data();
      float* cv = c.data();
      switch (kind_) {
        case Binary::Add: parallelFor(t.threads(), n, [&](int64_t i) { cv[i] = av[i] + bv[i]; }); break;
        case Binary::Sub: parallelFor(t.threads(), n, [&](int64_t i) { cv[i] = av[i] - bv[i]; }); break;
        case Binary::Mul: parallelFor(t.threads(), n, [&](int64_t i) { cv[i] = av[i] * bv[i]; }); break;
      }
      return {};
    }
    for (int64_t i = 0; i < n; ++i) {
      const float u = a.v[ia(i)], w = b.v[ib(i)];
      c.v[i] = kind_ == Binary::Add ? u + w : kind_ == Binary::Sub ? u - w : u * w;
    }
    return {};
  }

  void backward(Tape& t, Mode mode) override {
    const float* g = gradOut(t, 0).data();
    const int64_t n = Buf::count(out_dims_);
    const bool sq = mode == Mode::Curvature;
    const Buf& a = x(t, 0);
    const Buf& b = x(t, 1);
    if (same_ && kind_ != Binary::Mul) {  // dA = dY, dB = +-dY: no index maps, and in parallel
      const float sb = kind_ == Binary::Sub && !sq ? -1.0f : 1.0f;
      bool fresh = false;  // A and B in turn, so Add(x, x) writes x's gradient once and adds once
      if (float* ga = gradInForWrite(t, 0, &fresh)) {
        if (fresh) parallelFor(t.threads(), n, [&](int64_t i) { ga[i] = g[i]; });
        else parallelFor(t.threads(), n, [&](int64_t i) { ga[i] += g[i]; });
      }
      if (float* gb = gradInForWrite(t, 1, &fresh)) {
        if (fresh) parallelFor(t.threads(), n, [&](int64_t i) { gb[i] = g[i] * sb; });
        else parallelFor(t.threads(), n, [&](int64_t i) { gb[i] += g[i] * sb; });
      }
      return;
    }
    if (float* ga = gradIn(t, 0)) {
      for (int64_t i = 0; i < n; ++i) {
        float d = kind_ == Binary::Mul ? b.v[ib(i)] : 1.0f;
        ga[ia(i)] += g[i] * (sq ? d * d : d);
      }
    }
    if (float* gb = gradIn(t, 1)) {
      for (int64_t i = 0; i < n; ++i) {
        float d = kind_ == Binary::Mul ? a.v[ia(i)] : kind_ == Binary::Sub ? -1.0f : 1.0f;
        gb[ib(i)] += g[i] * (sq ? d * d : d);
      }
    }
  }

 private:
  int64_t ia(int64_t i) const { return same_ ? i : idx_a_[i]; }
  int64_t ib(int64_t i) const { return same_ ? i : idx_b_[i]; }

  // Output dims and, for each output element, the element of A and of B it reads.
  Status plan(const std::vector<int64_t>& da, const std::vector<int64_t>& db) {
    dims_a_ = da;
    dims_b_ = db;
    same_ = da == db;
    const size_t r = std::max(da.size(), db.size());
    out_dims_.assign(r, 1);
    std::vector<int64_t> pa(r, 1), pb(r, 1);
    std::copy(da.begin(), da.end(), pa.begin() + (r - da.size()));
    std::copy(db.begin(), db.end(), pb.begin() + (r - db.size()));
    for (size_t k = 0; k < r; ++k) {
      if (pa[k] != pb[k] && pa[k] != 1 && pb[k] != 1)
        return error("cannot broadcast ", dimsText(da), " with ", dimsText(db));
      out_dims_[k] = std::max(pa[k], pb[k]);
    }
    if (same_) return {};
    const int64_t n = Buf::count(out_dims_);
    idx_a_.resize(static_cast<size_t>(n));
    idx_b_.resize(static_cast<size_t>(n));
    std::vector<int64_t> sa(r, 0), sb(r, 0);
    for (int64_t k = static_cast<int64_t>(r) - 1, ma = 1, mb = 1; k >= 0; --k) {
      sa[k] = pa[k] == 1 ? 0 : ma;
      sb[k] = pb[k] == 1 ? 0 : mb;
      ma *= pa[k];
      mb *= pb[k];
    }
    std::vector<int64_t> pos(r, 0);
    int64_t oa = 0, ob = 0;
    for (int64_t i = 0; i < n; ++i) {
      idx_a_[i] = oa;
      idx_b_[i] = ob;
      for (int64_t k = static_cast<int64_t>(r) - 1; k >= 0; --k) {  // odometer step
        if (++pos[k] < out_dims_[k]) {
          oa += sa[k];
          ob += sb[k];
          break;
        }
        oa -= sa[k] * (out_dims_[k] - 1);
        ob -= sb[k] * (out_dims_[k] - 1);
        pos[k] = 0;
      }
    }
    return {};
  }

  Binary kind_;
  bool same_ = true;
  std::vector<int64_t> dims_a_{-1}, dims_b_{-1}, out_dims_, idx_a_, idx_b_;
};

}  // namespace

Expected<std::unique_ptr<Op>> makeUnary(const onnx::NodeProto& n, int64_t opset) {
  const std::string& op = n.op_type();
  float alpha = attrFloat(n, "alpha", op == "ThresholdedRelu" ? 1.0f : 0.01f);  // the ONNX defaults
  float lo = -INFINITY, hi = INFINITY, ratio = 0.5f;
  Unary kind;
  if (op == "Relu") kind = Unary::Relu;
  else if (op == "LeakyRelu") kind = Unary::LeakyRelu;
  else if (op == "ThresholdedRelu") kind = Unary::ThresholdedRelu;
  else if (op == "Sigmoid") kind = Unary::Sigmoid;
  else if (op == "Tanh") kind = Unary::Tanh;
  else if (op == "Identity") kind = Unary::Identity;
  else if (op == "Clip") {
    kind = Unary::Clip;
    if (opset < 11) {
      lo = attrFloat(n, "min", -INFINITY);
      hi = attrFloat(n, "max", INFINITY);
    }
  } else {
    kind = Unary::Dropout;
    if (opset < 12) ratio = attrFloat(n, "ratio", 0.5f);
  }
  return std::unique_ptr<Op>(new UnaryOp(kind, alpha, lo, hi, ratio));
}

std::optional<Clamp> clampOf(const onnx::NodeProto& n, int64_t opset,
                             const std::function<const Slot*(const std::string&)>& constant) {
  if (!isDefaultDomain(n)) return std::nullopt;
  if (n.op_type() == "Relu") return Clamp{};
  if (n.op_type() != "Clip") return std::nullopt;
  Clamp c{false, -INFINITY, INFINITY};
  if (opset < 11) {
    c.lo = attrFloat(n, "min", -INFINITY), c.hi = attrFloat(n, "max", INFINITY);
    return c;
  }
  for (int i : {1, 2}) {
    if (n.input_size() <= i || n.input(i).empty()) continue;
    const Slot* s = constant(n.input(i));
    if (!s || !s->is_const || (s->is_int ? s->ints.size() : s->val.v.size()) != 1) return std::nullopt;
    (i == 1 ? c.lo : c.hi) = s->is_int ? static_cast<float>(s->ints[0]) : s->val.v[0];
  }
  return c;
}

Expected<std::unique_ptr<Op>> makeBinary(const onnx::NodeProto& n, int64_t) {
  const std::string& op = n.op_type();
  return std::unique_ptr<Op>(new BinaryOp(op == "Add" ? Binary::Add : op == "Sub" ? Binary::Sub : Binary::Mul));
}

}  // namespace dnnc::train
