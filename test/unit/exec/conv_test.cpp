// Conv and ConvTranspose against naive loops: groups, dilations, strides, asymmetric pads, 1-D to 3-D,
// one and two threads, batches larger and smaller than the thread count.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "lib/exec/gemm/conv_depthwise.h"
#include "lib/exec/gemm/conv_direct.h"
#include "lib/exec/gemm/isa.h"
#include "test/unit/exec/exec_test_util.h"

using namespace dnnc;
using namespace dnnc::exectest;

namespace {

struct ConvCase {
  std::vector<int64_t> x, w;  // NCHW.., MCkk..
  int64_t group;
  std::vector<int64_t> strides, dilations, pads;
};

// y[n,m,o...] = b[m] + sum_{c in group, k...} x[n, c, o*s - p + k*d] w[m, c', k...]; spatial lifted to 3-D.
Tensor naiveConv(const Tensor& x, const Tensor& w, const Tensor* b, const ConvCase& cc, std::vector<int64_t>& out_dims) {
  const size_t n = x.dims().size() - 2, off = 3 - n;
  int64_t in[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, d[3] = {1, 1, 1}, pb[3] = {0, 0, 0}, o[3] = {1, 1, 1};
  for (size_t i = 0; i < n; ++i) {
    in[off + i] = x.dims()[2 + i];
    k[off + i] = w.dims()[2 + i];
    s[off + i] = cc.strides[i];
    d[off + i] = cc.dilations[i];
    pb[off + i] = cc.pads[i];
    o[off + i] = (in[off + i] + cc.pads[i] + cc.pads[i + n] - ((k[off + i] - 1) * d[off + i] + 1)) / s[off + i] + 1;
  }
  const int64_t N = x.dims()[0], C = x.dims()[1], M = w.dims()[0], Cg = C / cc.group, Mg = M / cc.group;
  out_dims = {N, M};
  for (size_t i = 0; i < n; ++i) out_dims.push_back(o[off + i]);
  Tensor y(DType::Float, out_dims);
  const float* xd = x.data<float>();
  const float* wd = w.data<float>();
  float* yd = y.data<float>();
  for (int64_t nn = 0; nn < N; ++nn)
    for (int64_t m = 0; m < M; ++m) {
      const int64_t g = m / Mg;
      for (int64_t a = 0; a < o[0]; ++a)
        for (int64_t bb = 0; bb < o[1]; ++bb)
          for (int64_t c3 = 0; c3 < o[2]; ++c3) {
            double acc = b ? b->data<float>()[m] : 0.0;
            for (int64_t c = 0; c < Cg; ++c)
              for (int64_t ka = 0; ka < k[0]; ++ka)
                for (int64_t kb = 0; kb < k[1]; ++kb)
                  for (int64_t kc = 0; kc < k[2]; ++kc) {
                    int64_t i0 = a * s[0] - pb[0] + ka * d[0], i1 = bb * s[1] - pb[1] + kb * d[1], i2 = c3 * s[2] - pb[2] + kc * d[2];
                    if (i0 < 0 || i0 >= in[0] || i1 < 0 || i1 >= in[1] || i2 < 0 || i2 >= in[2]) continue;
                    acc += double(xd[(((nn * C + g * Cg + c) * in[0] + i0) * in[1] + i1) * in[2] + i2]) *
                           wd[(((m * Cg + c) * k[0] + ka) * k[1] + kb) * k[2] + kc];
                  }
            yd[((nn * M + m) * o[0] + a) * o[1] * o[2] + bb * o[2] + c3] = static_cast<float>(acc);
          }
    }
  return y;
}

// expect_kernel: the kernel choice the conv node must report (noteKernel), when given.
void checkConv(const ConvCase& cc, bool bias, int threads, uint32_t seed, const char* expect_kernel = nullptr) {
  Tensor x = randomTensor(cc.x, seed), w = randomTensor(cc.w, seed + 1), b = randomTensor({cc.w[0]}, seed + 2);
  std::vector<int64_t> out_dims;
  Tensor want = naiveConv(x, w, bias ? &b : nullptr, cc, out_dims);
  const size_t r = cc.x.size();
  std::string text = "<ir_version: 8, opset_import: [\"\" : 13]>\nagraph (float[" + ints(cc.x) + "] X) => (float[" +
                     ints(out_dims) + "] Y) {\n  Y = Conv <group = " + std::to_string(cc.group) + ", strides = [" +
                     ints(cc.strides) + "], dilations = [" + ints(cc.dilations) + "], pads = [" + ints(cc.pads) +
                     "]> (X, W" + (bias ? ", B" : "") + ")\n}";
  (void)r;
  Model m = modelFromText(text);
  addInitializer(m, "W", w);
  if (bias) addInitializer(m, "B", b);
  auto exec = makeExecutor(m, threads);
  for (int rep = 0; rep < 2; ++rep) {  // learning run, then the planned one
    auto out = runOk(*exec, {&x});
    INFO("conv " << text << " threads " << threads << " run " << rep);
    CHECK(closeness(out[0], want) <= 1.0);
  }
  if (expect_kernel) {
    auto choices = exec->kernelChoices();
    REQUIRE(choices.size() == 1);
    CHECK(choices[0].second == expect_kernel);
  }
}

}  // namespace

TEST_CASE("Conv matches a naive loop", "[exec][conv]") {
  const std::vector<ConvCase> cases = {
      {{1, 3, 9, 9}, {4, 3, 3, 3}, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}},
      {{3, 4, 11, 10}, {6, 2, 3, 3}, 2, {2, 1}, {1, 2}, {0, 1, 2, 0}},    // grouped, dilated, asymmetric
      {{2, 8, 7, 7}, {8, 1, 3, 3}, 8, {1, 1}, {1, 1}, {1, 1, 1, 1}},      // depthwise
      {{2, 5, 6, 6}, {7, 5, 1, 1}, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}},      // 1x1 direct GEMM
      {{2, 5, 6, 6}, {7, 5, 1, 1}, 1, {2, 2}, {1, 1}, {0, 0, 0, 0}},      // strided 1x1 (im2col)
      {{1, 16, 40, 40}, {8, 16, 5, 5}, 1, {1, 1}, {2, 2}, {4, 4, 4, 4}},  // many column blocks
      {{1, 3, 100, 90}, {13, 3, 3, 3}, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}},  // wide GEMM: weights packed per call
      {{1, 3, 100, 90}, {13, 3, 3, 3}, 1, {2, 1}, {1, 1}, {1, 1, 1, 1}},  // the same through im2col
      {{1, 3, 17, 5}, {2, 3, 4, 2}, 1, {3, 2}, {2, 1}, {3, 0, 1, 1}},     // odd everything
      {{2, 4, 20}, {6, 2, 3}, 2, {2}, {3}, {2, 1}},                       // 1-D
      {{1, 2, 5, 6, 7}, {3, 2, 2, 3, 2}, 1, {1, 2, 1}, {2, 1, 1}, {1, 0, 1, 0, 1, 1}},  // 3-D
      // Batch 1 with one block of positions: on two threads the output channels split (100 is not a
      // multiple of a row panel), or with few channels the positions do.
      {{1, 32, 14, 14}, {100, 32, 1, 1}, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}},  // pointwise
      {{1, 8, 20, 20}, {100, 8, 3, 3}, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}},    // wide rows
      {{1, 64, 20, 20}, {24, 64, 1, 1}, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}},   // positions split
  };
  uint32_t seed = 10;
  for (const auto& cc : cases)
    for (bool bias : {false, true})
      for (int threads : {1, 2}) checkConv(cc, bias, threads, seed++);
}

TEST_CASE("Conv auto_pad SAME_UPPER keeps the spatial size at stride 1", "[exec][conv]") {
  Model m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,7,8] X) => (float[1,3,7,8] Y) {
  Y = Conv <auto_pad = "SAME_UPPER"> (X, W)
})");
  Tensor w = randomTensor({3, 2, 4, 3}, 5);
  addInitializer(m, "W", w);
  Tensor x = randomTensor({1, 2, 7, 8}, 6);
  auto exec = makeExecutor(m);
  auto out = runOk(*exec, {&x});
  ConvCase cc{{1, 2, 7, 8}, {3, 2, 4, 3}, 1, {1, 1}, {1, 1}, {1, 1, 2, 1}};  // total pad 3 -> 1 before, 2 after
  std::vector<int64_t> dims;
  Tensor want = naiveConv(x, w, nullptr, cc, dims);
  CHECK(closeness(out[0], want) <= 1.0);
}

TEST_CASE("ConvTranspose matches scattering each input through the kernel", "[exec][conv]") {
  // x [1,4,5,4], W [4, 3/g.., 3, 2], group 2, strides 2x3, dilations 2x1, pads 1,0,0,1, output_padding 1,0
  const int64_t N = 2, C = 4, H = 5, Wd = 4, G = 2, Mg = 3, KH = 3, KW = 2;
  const int64_t sh = 2, sw = 3, dh = 2, dw = 1, ph0 = 1, pw0 = 0, ph1 = 0, pw1 = 1, oph = 1;
  const int64_t OH = sh * (H - 1) + oph + (KH - 1) * dh + 1 - ph0 - ph1, OW = sw * (Wd - 1) + (KW - 1) * dw + 1 - pw0 - pw1;
  Tensor x = randomTensor({N, C, H, Wd}, 21), w = randomTensor({C, Mg, KH, KW}, 22), b = randomTensor({G * Mg}, 23);
  Tensor want(DType::Float, {N, G * Mg, OH, OW});
  float* y = want.data<float>();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < G * Mg; ++m)
      for (int64_t i = 0; i < OH * OW; ++i) y[(n * G * Mg + m) * OH * OW + i] = b.data<float>()[m];
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t ww = 0; ww < Wd; ++ww)
          for (int64_t mg = 0; mg < Mg; ++mg)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                int64_t oh = h * sh - ph0 + kh * dh, ow = ww * sw - pw0 + kw * dw;
                if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
                int64_t m = (c / (C / G)) * Mg + mg;
                y[((n * G * Mg + m) * OH + oh) * OW + ow] +=
                    x.data<float>()[((n * C + c) * H + h) * Wd + ww] * w.data<float>()[((c * Mg + mg) * KH + kh) * KW + kw];
              }
  Model m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,4,5,4] X) => (float[2,6,?,?] Y) {
  Y = ConvTranspose <group = 2, strides = [2, 3], dilations = [2, 1], pads = [1, 0, 0, 1], output_padding = [1, 0]> (X, W, B)
})");
  addInitializer(m, "W", w);
  addInitializer(m, "B", b);
  auto exec = makeExecutor(m);
  auto out = runOk(*exec, {&x});
  CHECK(closeness(out[0], want) <= 1.0);
}

// The executor folds an inference BatchNormalization (and a Relu after it) into the Conv before it
// (KernelContext::fuseBatchNorm). Reference: the naive conv, then BN and Relu by their formulas in double.
TEST_CASE("Conv on narrow maps takes the direct convolution and matches a naive loop", "[exec][conv]") {
  // Output maps under 16 wide with at least 64 MACs per output and 16 channels (gemm/conv_direct.h):
  // tiles of 6 positions spanning rows and images, channel counts that leave a partial block of lanes,
  // strides, dilations, asymmetric pads, 1-D, and batch 1 on two threads (split by channel blocks).
  const std::vector<ConvCase> cases = {
      {{3, 32, 7, 7}, {64, 32, 3, 3}, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}},      // the residual CNN's block2
      {{1, 32, 7, 7}, {64, 32, 3, 3}, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}},      // batch 1
      {{5, 20, 14, 14}, {24, 20, 3, 3}, 1, {2, 2}, {1, 1}, {0, 1, 1, 0}},    // strided, 8-lane tail block
      {{3, 16, 9, 11}, {17, 16, 3, 2}, 1, {1, 2}, {2, 1}, {2, 0, 1, 1}},     // dilated, 1-lane tail block
      {{2, 64, 12}, {16, 64, 3}, 1, {1}, {1}, {1, 1}},                       // 1-D
      {{9, 8, 5, 5}, {16, 8, 3, 3}, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}},        // no padding, one 1-position tile
      {{24, 16, 7, 7}, {32, 16, 3, 3}, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}},     // 1176 positions: packed per call
  };
  const char* want = gemm::directConvAvailable() ? "direct conv" : "dense gemm";
  uint32_t seed = 300;
  for (const auto& cc : cases)
    for (bool bias : {false, true})
      for (int threads : {1, 2}) checkConv(cc, bias, threads, seed++, want);
}

TEST_CASE("Strided 1x1 Conv on a narrow map matches a naive loop on each path", "[exec][conv]") {
  // ResNet's downsampling shortcuts: the GEMM over a subsampled copy on the AVX-512 path, the direct
  // convolution on the AVX2 one (DNNC_ISA picks the path: ctest runs unit_exec once per path).
  const std::vector<ConvCase> cases = {
      {{1, 64, 14, 14}, {40, 64, 1, 1}, 1, {2, 2}, {1, 1}, {0, 0, 0, 0}},   // 7x7 output, a partial tile
      {{3, 72, 13, 11}, {33, 72, 1, 1}, 1, {2, 3}, {1, 1}, {0, 0, 0, 0}},   // odd sizes, unequal strides
  };
  const char* want = gemm::activeIsa() == gemm::Isa::Avx2 ? "direct conv" : "dense gemm";
  uint32_t seed = 700;
  for (const auto& cc : cases)
    for (bool bias : {false, true})
      for (int threads : {1, 2}) checkConv(cc, bias, threads, seed++, want);
}

TEST_CASE("Depthwise Conv takes the depthwise kernel where it runs and matches a naive loop", "[exec][conv]") {
  // Rows of one output vector and of several with a tail, strides 1 and 2 (and a vertical stride the
  // kernel takes as it comes), 3x3 and 5x5 kernels, asymmetric pads (at stride 2 even and odd left pads:
  // which column phase input column 0 lands in), batch 3 on two threads; a horizontal stride of 3 goes
  // to the GEMM.
  const std::vector<ConvCase> cases = {
      {{1, 5, 7, 7}, {5, 1, 3, 3}, 5, {1, 1}, {1, 1}, {1, 1, 1, 1}},        // 7-wide rows: one vector each
      {{3, 4, 20, 37}, {4, 1, 3, 3}, 4, {1, 1}, {1, 1}, {1, 1, 1, 1}},      // 37 = 2 x 16 + 5
      {{2, 3, 33, 35}, {3, 1, 3, 3}, 3, {2, 2}, {1, 1}, {1, 1, 1, 1}},      // stride 2: 18 outputs a row
      {{1, 6, 23, 21}, {6, 1, 5, 5}, 6, {2, 2}, {1, 1}, {2, 2, 2, 2}},      // 5x5, stride 2
      {{1, 4, 17, 18}, {4, 1, 3, 3}, 4, {2, 2}, {1, 1}, {0, 0, 1, 1}},      // stride 2, no left pad (SAME_UPPER)
      {{1, 3, 12, 71}, {3, 1, 5, 5}, 3, {2, 2}, {1, 1}, {1, 1, 2, 2}},      // stride 2, odd left pad, 34 a row
      {{2, 2, 19, 40}, {2, 1, 5, 5}, 2, {1, 1}, {1, 1}, {2, 1, 0, 3}},      // 5x5, asymmetric pads
      {{1, 3, 16, 17}, {3, 1, 3, 2}, 3, {3, 1}, {1, 1}, {0, 1, 2, 0}},      // vertical stride 3
      {{1, 3, 16, 17}, {3, 1, 3, 3}, 3, {1, 3}, {1, 1}, {1, 1, 1, 1}},      // horizontal stride 3: GEMM
      {{1, 7, 60, 60}, {7, 1, 3, 3}, 7, {1, 1}, {1, 1}, {1, 1, 1, 1}},      // batch 1 split by channels: 4 + 3
      {{1, 9, 61, 61}, {9, 1, 5, 5}, 9, {2, 2}, {1, 1}, {2, 2, 2, 2}},      // the same at stride 2, 5x5
  };
  uint32_t seed = 500;
  for (const auto& cc : cases) {
    const int64_t pads[4] = {cc.pads[0], cc.pads[1], cc.pads[2], cc.pads[3]};
    const bool depthwise = gemm::depthwiseAvailable(
        gemm::depthwiseGeometry(cc.x[2], cc.x[3], cc.w[2], cc.w[3], pads, cc.strides[0], cc.strides[1]));
    CHECK(depthwise == (gemm::activeIsa() != gemm::Isa::Generic && cc.strides[1] <= 2));
    for (bool bias : {false, true})
      for (int threads : {1, 2}) checkConv(cc, bias, threads, seed++, depthwise ? "depthwise conv" : "dense gemm");
  }
}

TEST_CASE("Conv with computed weights on a narrow map packs them per call", "[exec][conv]") {
  // W is a graph input: packed on every run, never kept (the second run has new weights).
  const ConvCase cc{{2, 16, 7, 7}, {32, 16, 3, 3}, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}};
  Model m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,16,7,7] X, float[32,16,3,3] W) => (float[2,32,7,7] Y) {
  Y = Conv <pads = [1, 1, 1, 1]> (X, W)
})");
  auto exec = makeExecutor(m, 1);
  Tensor x = randomTensor(cc.x, 401);
  for (uint32_t seed : {402u, 403u}) {
    Tensor w = randomTensor(cc.w, seed);
    std::vector<int64_t> od;
    CHECK(closeness(runOk(*exec, {&x, &w})[0], naiveConv(x, w, nullptr, cc, od)) <= 1.0);
  }
}

TEST_CASE("Conv followed by BatchNormalization and Relu matches the naive ops, folded or not", "[exec][conv]") {
  const std::vector<ConvCase> cases = {
      {{2, 4, 9, 9}, {6, 2, 3, 3}, 2, {1, 1}, {1, 1}, {1, 1, 1, 1}},  // grouped, stride 1 (wide rows)
      {{2, 4, 9, 9}, {6, 4, 3, 3}, 1, {2, 2}, {1, 1}, {1, 1, 1, 1}},  // strided (im2col)
      {{1, 5, 6, 6}, {7, 5, 1, 1}, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}},  // 1x1 direct
      {{1, 3, 100, 90}, {8, 3, 3, 3}, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}},  // wide GEMM: weights packed per call
      {{3, 16, 7, 7}, {24, 16, 3, 3}, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}},  // direct convolution (narrow map)
      {{2, 6, 9, 9}, {6, 1, 3, 3}, 6, {2, 2}, {1, 1}, {1, 1, 1, 1}},     // depthwise
  };
  uint32_t seed = 200;
  for (const auto& cc : cases)
    for (bool bias : {false, true})
      for (int threads : {1, 2}) {
        const int64_t M = cc.w[0];
        Tensor x = randomTensor(cc.x, seed), w = randomTensor(cc.w, seed + 1), b = randomTensor({M}, seed + 2);
        Tensor scale = randomTensor({M}, seed + 3, 0.5f, 2.0f), shift = randomTensor({M}, seed + 4);
        Tensor mean = randomTensor({M}, seed + 5), var = randomTensor({M}, seed + 6, 0.1f, 3.0f);
        seed += 10;
        std::vector<int64_t> od;
        Tensor z = naiveConv(x, w, bias ? &b : nullptr, cc, od);
        Tensor n(DType::Float, z.dims()), y(DType::Float, z.dims());
        const int64_t plane = z.numel() / (od[0] * M);
        for (int64_t i = 0; i < z.numel(); ++i) {
          const int64_t c = (i / plane) % M;
          const double v = (z.data<float>()[i] - double(mean.data<float>()[c])) /
                               std::sqrt(double(var.data<float>()[c]) + 1e-5) * scale.data<float>()[c] +
                           shift.data<float>()[c];
          n.data<float>()[i] = static_cast<float>(v);
          y.data<float>()[i] = static_cast<float>(std::max(v, 0.0));
        }
        std::string text = "<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[" + ints(cc.x) + "] X) => (float[" +
                           ints(od) + "] Y) {\n  Z = Conv <group = " + std::to_string(cc.group) + ", strides = [" +
                           ints(cc.strides) + "], pads = [" + ints(cc.pads) + "]> (X, W" + (bias ? ", B" : "") +
                           ")\n  N = BatchNormalization (Z, S, T, MU, V)\n  Y = Relu(N)\n}";
        Model m = modelFromText(text);
        addInitializer(m, "W", w);
        if (bias) addInitializer(m, "B", b);
        addInitializer(m, "S", scale);
        addInitializer(m, "T", shift);
        addInitializer(m, "MU", mean);
        addInitializer(m, "V", var);
        auto e = makeExecutor(m, threads);
        INFO(text << "threads " << threads);
        for (int rep = 0; rep < 2; ++rep) CHECK(closeness(runOk(*e, {&x})[0], y) <= 1.0);  // folded
        // Fetching the conv's output: it is the plain convolution, and N and Y are still right.
        auto all = runOk(*e, {&x}, {.fetch = {"Z", "N", "Y"}});
        CHECK(closeness(all[0], z) <= 1.0);
        CHECK(closeness(all[1], n) <= 1.0);
        CHECK(closeness(all[2], y) <= 1.0);
        // Fetching only N (folded, not rectified) and Y.
        auto ny = runOk(*e, {&x}, {.fetch = {"N", "Y"}});
        CHECK(closeness(ny[0], n) <= 1.0);
        CHECK(closeness(ny[1], y) <= 1.0);
        // Folded again after the unfolded runs (the kept packed weights follow the choice).
        CHECK(closeness(runOk(*e, {&x})[0], y) <= 1.0);
      }
}

TEST_CASE("Conv followed by Clip (ReLU6), with or without a BatchNormalization between, matches the naive ops",
          "[exec][conv]") {
  // Every conv path applies the fused Clip to the blocks its tasks write (ops/conv.cpp, FusedClip).
  const std::vector<ConvCase> cases = {
      {{2, 8, 9, 9}, {12, 8, 1, 1}, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}},     // pointwise
      {{2, 4, 9, 9}, {6, 2, 3, 3}, 2, {1, 1}, {1, 1}, {1, 1, 1, 1}},      // grouped, stride 1 (wide rows)
      {{1, 4, 17, 13}, {6, 4, 3, 3}, 1, {2, 2}, {1, 1}, {1, 0, 1, 2}},    // strided (im2col)
      {{4, 8, 6, 6}, {10, 8, 3, 3}, 1, {2, 2}, {1, 1}, {1, 1, 1, 1}},     // several images per GEMM
      {{3, 16, 7, 7}, {24, 16, 3, 3}, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}},   // direct convolution (narrow map)
      {{2, 6, 9, 9}, {6, 1, 3, 3}, 6, {2, 2}, {1, 1}, {1, 1, 1, 1}},      // depthwise
  };
  struct Bounds {
    const char* inputs;  // the Clip's min and max inputs
    double lo, hi;
  };
  const Bounds bounds[] = {{"LO, HI", 0.0, 0.6}, {"LO", 0.0, INFINITY}, {"NOLO, HI", -INFINITY, 0.6}};
  uint32_t seed = 600;
  for (const auto& cc : cases)
    for (const Bounds& bd : bounds)
      for (bool bn : {false, true})
        for (int threads : {1, 2}) {
          const int64_t M = cc.w[0];
          Tensor x = randomTensor(cc.x, seed), w = randomTensor(cc.w, seed + 1), b = randomTensor({M}, seed + 2);
          Tensor scale = randomTensor({M}, seed + 3, 0.5f, 2.0f), shift = randomTensor({M}, seed + 4);
          Tensor mean = randomTensor({M}, seed + 5), var = randomTensor({M}, seed + 6, 0.1f, 3.0f);
          seed += 10;
          std::vector<int64_t> od;
          Tensor z = naiveConv(x, w, &b, cc, od);
          Tensor y(DType::Float, z.dims());
          const int64_t plane = z.numel() / (od[0] * M);
          for (int64_t i = 0; i < z.numel(); ++i) {
            const int64_t c = (i / plane) % M;
            double v = z.data<float>()[i];
            if (bn)
              v = (v - mean.data<float>()[c]) / std::sqrt(double(var.data<float>()[c]) + 1e-5) * scale.data<float>()[c] +
                  shift.data<float>()[c];
            y.data<float>()[i] = static_cast<float>(std::min(std::max(v, bd.lo), bd.hi));
          }
          const std::string conv_out = bn ? "Z" : "N";
          std::string text = "<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[" + ints(cc.x) + "] X) => (float[" +
                             ints(od) + "] Y) {\n  " + conv_out + " = Conv <group = " + std::to_string(cc.group) +
                             ", strides = [" + ints(cc.strides) + "], pads = [" + ints(cc.pads) + "]> (X, W, B)\n" +
                             (bn ? "  N = BatchNormalization (Z, S, T, MU, V)\n" : "") + "  Y = Clip(N, " +
                             (std::string(bd.inputs).rfind("NOLO", 0) == 0 ? std::string(", HI") : bd.inputs) + ")\n}";
          Model m = modelFromText(text);
          addInitializer(m, "W", w);
          addInitializer(m, "B", b);
          if (bn) {
            addInitializer(m, "S", scale);
            addInitializer(m, "T", shift);
            addInitializer(m, "MU", mean);
            addInitializer(m, "V", var);
          }
          Tensor lo(DType::Float, {}), hi(DType::Float, {});
          lo.data<float>()[0] = 0.0f;
          hi.data<float>()[0] = 0.6f;
          addInitializer(m, "LO", lo);
          addInitializer(m, "HI", hi);
          auto e = makeExecutor(m, threads);
          INFO(text << "threads " << threads);
          for (int rep = 0; rep < 2; ++rep) CHECK(closeness(runOk(*e, {&x})[0], y) <= 1.0);  // fused
          // The conv's (or BN's) output fetched: nothing fused, the same result.
          auto both = runOk(*e, {&x}, {.fetch = {"N", "Y"}});
          CHECK(closeness(both[1], y) <= 1.0);
          CHECK(closeness(runOk(*e, {&x})[0], y) <= 1.0);
        }
}

TEST_CASE("Conv followed by a Clip whose bound is computed at run time is not fused, and is right", "[exec][conv]") {
  const ConvCase cc{{1, 4, 6, 6}, {5, 4, 1, 1}, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}};
  Tensor x = randomTensor(cc.x, 650), w = randomTensor(cc.w, 651);
  std::vector<int64_t> od;
  Tensor z = naiveConv(x, w, nullptr, cc, od);
  Model m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,6,6] X, float HI) => (float[1,5,6,6] Y) {
  N = Conv (X, W)
  Y = Clip(N, , HI)
})");
  addInitializer(m, "W", w);
  for (float h : {0.1f, 0.5f}) {
    Tensor hi(DType::Float, {});
    hi.data<float>()[0] = h;
    Tensor want(DType::Float, z.dims());
    for (int64_t i = 0; i < z.numel(); ++i) want.data<float>()[i] = std::min(z.data<float>()[i], h);
    CHECK(closeness(runOk(*makeExecutor(m, 1), {&x, &hi})[0], want) <= 1.0);
  }
}
