#include "lib/exec/ops/rnn_common.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstring>

#include "lib/exec/ops/common.h"
#include "lib/ir/tensor.h"

namespace dnnc::ops {

float RnnActivation::operator()(float x) const {
  switch (kind) {
    case Kind::Sigmoid: return 1.0f / (1.0f + std::exp(-x));
    case Kind::Tanh: return std::tanh(x);
    case Kind::Relu: return x > 0 ? x : 0.0f;
    case Kind::Affine: return alpha * x + beta;
    case Kind::LeakyRelu: return x >= 0 ? x : alpha * x;
    case Kind::ThresholdedRelu: return x > alpha ? x : 0.0f;
    case Kind::ScaledTanh: return alpha * std::tanh(beta * x);
    case Kind::HardSigmoid: return std::clamp(alpha * x + beta, 0.0f, 1.0f);
    case Kind::Elu: return x >= 0 ? x : alpha * (std::exp(x) - 1.0f);
    case Kind::Softsign: return x / (1.0f + std::abs(x));
    case Kind::Softplus: return std::log1p(std::exp(x));
  }
  return x;
}

namespace {

struct ActivationName {
  const char* name;
  RnnActivation::Kind kind;
  bool alpha, beta;
  float default_alpha, default_beta;  // ONNX Runtime's defaults when the lists run short
};
constexpr ActivationName kActivations[] = {
    {"Sigmoid", RnnActivation::Kind::Sigmoid, false, false, 0, 0},
    {"Tanh", RnnActivation::Kind::Tanh, false, false, 0, 0},
    {"Relu", RnnActivation::Kind::Relu, false, false, 0, 0},
    {"Affine", RnnActivation::Kind::Affine, true, true, 1, 0},
    {"LeakyRelu", RnnActivation::Kind::LeakyRelu, true, false, 0.01f, 0},
    {"ThresholdedRelu", RnnActivation::Kind::ThresholdedRelu, true, false, 1, 0},
    {"ScaledTanh", RnnActivation::Kind::ScaledTanh, true, true, 1, 1},
    {"HardSigmoid", RnnActivation::Kind::HardSigmoid, true, true, 0.2f, 0.5f},
    {"Elu", RnnActivation::Kind::Elu, true, false, 1, 0},
    {"Softsign", RnnActivation::Kind::Softsign, false, false, 0, 0},
    {"Softplus", RnnActivation::Kind::Softplus, false, false, 0, 0},
};

int gatesOf(RnnCell c) { return c == RnnCell::Lstm ? 4 : c == RnnCell::Gru ? 3 : 1; }

}  // namespace

Expected<RnnSpec> parseRnnSpec(const NodeInfo& info, RnnCell cell) {
  RnnSpec s;
  s.cell = cell;
  s.hidden = info.attrInt("hidden_size", 0);
  if (s.hidden <= 0) return info.error("hidden_size must be given and positive");
  const std::string dir = info.attrString("direction", "forward");
  if (dir == "bidirectional") s.dirs = 2;
  else if (dir == "reverse") s.reverse_only = true;
  else if (dir != "forward") return info.error("direction '", dir, "' is not forward, reverse or bidirectional");
  s.layout = static_cast<int>(info.attrInt("layout", 0));
  if (s.layout != 0 && s.layout != 1) return info.error("layout must be 0 or 1, got ", s.layout);
  s.clip = info.hasAttr("clip") ? info.attrFloat("clip", 0) : 0.0f;
  if (s.clip < 0) return info.error("clip must be positive, got ", s.clip);
  s.input_forget = info.attrInt("input_forget", 0) != 0;
  s.linear_before_reset = info.attrInt("linear_before_reset", 0) != 0;

  const size_t per_dir = cell == RnnCell::Lstm ? 3 : cell == RnnCell::Gru ? 2 : 1;
  std::vector<std::string> names;
  if (const auto* a = info.attr("activations"))
    for (const auto& n : a->strings()) names.push_back(n);
  if (names.empty()) {
    const std::vector<std::string> defaults = cell == RnnCell::Lstm  ? std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"}
                                              : cell == RnnCell::Gru ? std::vector<std::string>{"Sigmoid", "Tanh"}
                                                                     : std::vector<std::string>{"Tanh"};
    for (int d = 0; d < s.dirs; ++d) names.insert(names.end(), defaults.begin(), defaults.end());
  } else if (names.size() == per_dir && s.dirs == 2) {
    names.insert(names.end(), names.begin(), names.end());  // one set for both directions
  }
  if (names.size() != per_dir * s.dirs)
    return info.error("expected ", per_dir * s.dirs, " activations, got ", names.size());
  const auto alphas = info.attrFloats("activation_alpha"), betas = info.attrFloats("activation_beta");
  size_t ai = 0, bi = 0;
  for (const auto& n : names) {
    const auto* it = std::find_if(std::begin(kActivations), std::end(kActivations),
                                  [&](const ActivationName& a) { return n == a.name; });
    if (it == std::end(kActivations)) return info.error("activation '", n, "' is not supported");
    RnnActivation act{it->kind, it->default_alpha, it->default_beta};
    if (it->alpha && ai < alphas.size()) act.alpha = alphas[ai++];
    if (it->beta && bi < betas.size()) act.beta = betas[bi++];
    s.activations.push_back(act);
  }
  return s;
}

namespace {

using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using CMap = Eigen::Map<const Mat>;

Expected<const float*> floatInput(const KernelContext& ctx, int i, std::span<const int64_t> want, const char* what) {
  if (!ctx.hasInput(i)) return static_cast<const float*>(nullptr);
  const Value& v = ctx.input(i);
  if (v.dtype != DType::Float) return ctx.error(what, " must be float32, got ", dtypeName(v.dtype));
  if (!std::equal(v.dims.begin(), v.dims.end(), want.begin(), want.end()))
    return ctx.error(what, " has shape ", dimsToString(v.dims), ", expected ", dimsToString(want));
  return v.as<float>();
}

}  // namespace

Status runRnn(KernelContext& ctx, const RnnSpec& spec) {
  const Value& xv = ctx.input(0);
  if (xv.dtype != DType::Float) return ctx.error("X must be float32, got ", dtypeName(xv.dtype));
  if (xv.rank() != 3) return ctx.error("X must have rank 3, got ", dimsToString(xv.dims));
  const bool l1 = spec.layout == 1;
  const int64_t S = l1 ? xv.dims[1] : xv.dims[0], N = l1 ? xv.dims[0] : xv.dims[1], I = xv.dims[2];
  const int64_t H = spec.hidden, G = gatesOf(spec.cell), GH = G * H;
  const int D = spec.dirs;
  const bool lstm = spec.cell == RnnCell::Lstm, gru = spec.cell == RnnCell::Gru;
  const std::vector<int64_t> state_dims = l1 ? std::vector<int64_t>{N, D, H} : std::vector<int64_t>{D, N, H};
  DNNC_ASSIGN(const float* W, floatInput(ctx, 1, std::vector<int64_t>{D, GH, I}, "W"));
  DNNC_ASSIGN(const float* R, floatInput(ctx, 2, std::vector<int64_t>{D, GH, H}, "R"));
  DNNC_ASSIGN(const float* B, floatInput(ctx, 3, std::vector<int64_t>{D, 2 * GH}, "B"));
  DNNC_ASSIGN(const float* h0, floatInput(ctx, 5, state_dims, "initial_h"));
  const float* c0 = nullptr;
  const float* P = nullptr;
  if (lstm) {
    DNNC_ASSIGN(c0, floatInput(ctx, 6, state_dims, "initial_c"));
    DNNC_ASSIGN(P, floatInput(ctx, 7, std::vector<int64_t>{D, 3 * H}, "P"));
  }
  std::vector<int64_t> lens(N, S);
  if (ctx.hasInput(4)) {
    DNNC_ASSIGN(lens, intValues(ctx.input(4), ctx, "sequence_lens"));
    if (static_cast<int64_t>(lens.size()) != N) return ctx.error("sequence_lens has ", lens.size(), " values for batch ", N);
    for (int64_t l : lens)
      if (l < 0 || l > S) return ctx.error("sequence length ", l, " is outside [0, ", S, "]");
  }

  const std::vector<int64_t> y_dims = l1 ? std::vector<int64_t>{N, S, D, H} : std::vector<int64_t>{S, D, N, H};
  float* Y = ctx.wantsOutput(0) ? ctx.output(0, DType::Float, y_dims).as<float>() : nullptr;
  float* Yh = ctx.wantsOutput(1) ? ctx.output(1, DType::Float, state_dims).as<float>() : nullptr;
  float* Yc = lstm && ctx.wantsOutput(2) ? ctx.output(2, DType::Float, state_dims).as<float>() : nullptr;
  if (Y) std::fill(Y, Y + S * D * N * H, 0.0f);
  auto yAt = [&](int64_t t, int d, int64_t b) { return Y + (l1 ? ((b * S + t) * D + d) * H : ((t * D + d) * N + b) * H); };
  auto stateAt = [&](int d, int64_t b) { return l1 ? (b * D + d) * H : (d * N + b) * H; };
  const float* x = xv.as<float>();
  const int64_t rows = S * N;
  auto rowOf = [&](int64_t t, int64_t b) { return l1 ? b * S + t : t * N + b; };
  const float clip = spec.clip;
  auto clipped = [clip](float v) { return clip > 0 ? std::clamp(v, -clip, clip) : v; };

  Mat xw(rows, GH), gates(N, GH), hr(N, GH), h(N, H), c(N, H), rh(N, H);
  for (int d = 0; d < D; ++d) {
    const bool reverse = spec.reverse_only || d == 1;
    const RnnActivation* act = &spec.activations[d * (lstm ? 3 : gru ? 2 : 1)];
    CMap Wd(W + d * GH * I, GH, I), Rd(R + d * GH * H, GH, H);
    // Every step's input projection at once, with the biases that sit outside the recurrence.
    xw.noalias() = CMap(x, rows, I) * Wd.transpose();
    if (B) {
      const float* wb = B + d * 2 * GH;
      const float* rb = wb + GH;
      Eigen::Matrix<float, 1, Eigen::Dynamic> bias(GH);
      for (int64_t k = 0; k < GH; ++k) bias[k] = wb[k] + rb[k];
      if (gru && spec.linear_before_reset)
        for (int64_t k = 2 * H; k < 3 * H; ++k) bias[k] = wb[k];  // Rbh is applied inside the reset
      xw.rowwise() += bias;
    }
    const float* rbh = B && gru && spec.linear_before_reset ? B + d * 2 * GH + GH + 2 * H : nullptr;
    for (int64_t b = 0; b < N; ++b)
      for (int64_t k = 0; k < H; ++k) {
        h(b, k) = h0 ? h0[stateAt(d, b) + k] : 0.0f;
        if (lstm) c(b, k) = c0 ? c0[stateAt(d, b) + k] : 0.0f;
      }
    const float* Pd = P ? P + d * 3 * H : nullptr;
    for (int64_t s = 0; s < S; ++s) {
      // The recurrent projection of the whole batch (rows past their length are computed and ignored).
      if (gru && !spec.linear_before_reset) hr.leftCols(2 * H).noalias() = h * Rd.topRows(2 * H).transpose();
      else hr.noalias() = h * Rd.transpose();
      for (int64_t b = 0; b < N; ++b) {
        if (s >= lens[b]) continue;
        const int64_t t = reverse ? lens[b] - 1 - s : s;
        const float* xr = &xw(rowOf(t, b), 0);
        float* g = &gates(b, 0);
        for (int64_t k = 0; k < GH; ++k) g[k] = xr[k] + hr(b, k);
      }
      if (gru && !spec.linear_before_reset) {
        // r = f(z-r gates); the candidate reads (r . h) R_h^T.
        for (int64_t b = 0; b < N; ++b)
          for (int64_t k = 0; k < H; ++k) rh(b, k) = s < lens[b] ? act[0](clipped(gates(b, H + k))) * h(b, k) : 0.0f;
        hr.rightCols(H).noalias() = rh * Rd.bottomRows(H).transpose();
      }
      for (int64_t b = 0; b < N; ++b) {
        if (s >= lens[b]) continue;
        const int64_t t = reverse ? lens[b] - 1 - s : s;
        float* g = &gates(b, 0);
        float* hb = &h(b, 0);
        if (lstm) {  // gates i, o, f, c
          float* cb = &c(b, 0);
          for (int64_t k = 0; k < H; ++k) {
            const float i = act[0](clipped(g[k] + (Pd ? Pd[k] * cb[k] : 0.0f)));
            const float f = spec.input_forget ? 1.0f - i : act[0](clipped(g[2 * H + k] + (Pd ? Pd[2 * H + k] * cb[k] : 0.0f)));
            const float cand = act[1](clipped(g[3 * H + k]));
            cb[k] = f * cb[k] + i * cand;
            const float o = act[0](clipped(g[H + k] + (Pd ? Pd[H + k] * cb[k] : 0.0f)));
            hb[k] = o * act[2](cb[k]);
          }
        } else if (gru) {  // gates z, r, h
          for (int64_t k = 0; k < H; ++k) {
            const float z = act[0](clipped(g[k]));
            float pre;
            if (spec.linear_before_reset) {
              const float r = act[0](clipped(g[H + k]));
              pre = xw(rowOf(t, b), 2 * H + k) + r * (hr(b, 2 * H + k) + (rbh ? rbh[k] : 0.0f));
            } else {
              pre = xw(rowOf(t, b), 2 * H + k) + hr(b, 2 * H + k);
            }
            const float cand = act[1](clipped(pre));
            hb[k] = (1.0f - z) * cand + z * hb[k];
          }
        } else {
          for (int64_t k = 0; k < H; ++k) hb[k] = act[0](clipped(g[k]));
        }
        if (Y) std::memcpy(yAt(t, d, b), hb, H * sizeof(float));
      }
    }
    for (int64_t b = 0; b < N; ++b) {
      if (Yh) std::memcpy(Yh + stateAt(d, b), &h(b, 0), H * sizeof(float));
      if (Yc) std::memcpy(Yc + stateAt(d, b), &c(b, 0), H * sizeof(float));
    }
  }
  return {};
}

}  // namespace dnnc::ops
