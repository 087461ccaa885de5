// dnnc energy --snapea and dnnc prune --snapea-budget (SnaPEA exact and predictive mode in the energy
// model). References: the exact-mode saving against a hand computation from `dnnc stats --snapea` and the
// per-access energies of Eyeriss (ISCA 2016 Table IV: MAC 1, scratchpad 1); predictive mode against a
// brute-force LeNet-5 written here (plain loops over the weights read from the .onnx), which re-implements
// the documented speculation and the documented held-out split; ONNX Runtime for the unchanged graph.
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>

#include "test/support/test_support.h"

using namespace dnnc::test;
using nlohmann::json;

namespace {

const std::vector<std::string> kPre = {"--scale", "1/255", "--mean", "0.2860", "--std", "0.3530"};

std::vector<std::string> fashionData(int limit) {
  std::vector<std::string> a = {"--data", testData("fashion_test_2000_images.npy")};
  a.insert(a.end(), kPre.begin(), kPre.end());
  a.insert(a.end(), {"--limit", std::to_string(limit)});
  return a;
}

json runJson(std::vector<std::string> args) {
  args.insert(args.end(), {"--json", "--threads", "1"});
  auto r = runDnnc(args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
}

// The energy command takes no --limit: the first N images as their own .npy.
std::string firstImages(int n) {
  std::vector<int64_t> shape;
  std::vector<float> raw = readNpyAsFloat(testData("fashion_test_2000_images.npy"), shape);
  const size_t per = static_cast<size_t>(shape[1] * shape[2] * shape[3]);
  raw.resize(per * static_cast<size_t>(n));
  shape[0] = n;
  const std::string path = scratchDir("snapea-energy-data") + "/images.npy";
  writeNpyFloat(path, raw, shape);
  return path;
}

const json& layerNamed(const json& layers, const std::string& node) {
  for (const auto& l : layers)
    if (l["node"] == node) return l;
  FAIL("no layer " << node);
  return layers[0];
}

// ---- a brute-force LeNet-5 with SnaPEA's speculation on conv2 ----

std::map<std::string, std::vector<float>> initializers(const onnx::ModelProto& m) {
  std::map<std::string, std::vector<float>> out;
  for (const auto& t : m.graph().initializer()) {
    REQUIRE(t.data_type() == onnx::TensorProto::FLOAT);
    std::vector<float> v(t.raw_data().size() / 4);
    std::memcpy(v.data(), t.raw_data().data(), t.raw_data().size());
    out[t.name()] = v;
  }
  return out;
}

// Valid 2-D convolution, stride 1, float accumulation; x [C,H,W], w [M,C,K,K] -> [M,H-K+1,W-K+1].
std::vector<float> conv(const std::vector<float>& x, int C, int H, int W, const std::vector<float>& w,
                        const std::vector<float>& b, int M, int K) {
  const int E = H - K + 1, F = W - K + 1;
  std::vector<float> y(size_t(M) * E * F);
  for (int m = 0; m < M; ++m)
    for (int e = 0; e < E; ++e)
      for (int f = 0; f < F; ++f) {
        float s = b[m];
        for (int c = 0; c < C; ++c)
          for (int i = 0; i < K; ++i)
            for (int j = 0; j < K; ++j) s += w[((size_t(m) * C + c) * K + i) * K + j] * x[(size_t(c) * H + e + i) * W + f + j];
        y[(size_t(m) * E + e) * F + f] = s;
      }
  return y;
}

std::vector<float> reluPool(const std::vector<float>& x, int C, int H, int W) {
  std::vector<float> y(size_t(C) * (H / 2) * (W / 2));
  for (int c = 0; c < C; ++c)
    for (int i = 0; i < H / 2; ++i)
      for (int j = 0; j < W / 2; ++j) {
        float v = 0;  // relu then max: max(0, the four)
        for (int a = 0; a < 2; ++a)
          for (int b = 0; b < 2; ++b) v = std::max(v, x[(size_t(c) * H + 2 * i + a) * W + 2 * j + b]);
        y[(size_t(c) * (H / 2) + i) * (W / 2) + j] = v;
      }
  return y;
}

struct Speculation {
  int n = 0;
  double threshold = 0;
};

struct Lenet5 {
  std::map<std::string, std::vector<float>> w;
  // conv2's speculative terms per filter: (flat index into the filter) by decreasing |w|, ties by index.
  std::vector<std::vector<int>> order;

  explicit Lenet5(const onnx::ModelProto& m) : w(initializers(m)) {
    const auto& k = w.at("conv2.weight");
    for (int f = 0; f < 50; ++f) {
      std::vector<int> idx(500);
      std::iota(idx.begin(), idx.end(), 0);
      std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return std::abs(k[f * 500 + a]) > std::abs(k[f * 500 + b]); });
      order.push_back(idx);
    }
  }

  // The predicted class; with a speculation, conv2 outputs whose bias + n largest-|w| terms (in double,
  // by decreasing |w|) are below the threshold are 0. `predicted` counts those outputs.
  int64_t classify(const float* image, const Speculation* s, int64_t& predicted) const {
    std::vector<float> x(image, image + 784);
    auto a1 = reluPool(conv(x, 1, 28, 28, w.at("conv1.weight"), w.at("conv1.bias"), 20, 5), 20, 24, 24);
    auto c2 = conv(a1, 20, 12, 12, w.at("conv2.weight"), w.at("conv2.bias"), 50, 5);
    if (s) {
      const auto& k = w.at("conv2.weight");
      for (int f = 0; f < 50; ++f)
        for (int e = 0; e < 8; ++e)
          for (int g = 0; g < 8; ++g) {
            double sum = w.at("conv2.bias")[f];
            for (int t = 0; t < s->n; ++t) {
              const int q = order[f][t], c = q / 25, i = q / 5 % 5, j = q % 5;
              sum += double(k[f * 500 + q]) * double(a1[(size_t(c) * 12 + e + i) * 12 + g + j]);
            }
            if (sum < s->threshold) {
              c2[(size_t(f) * 8 + e) * 8 + g] = 0;
              predicted++;
            }
          }
    }
    auto a2 = reluPool(c2, 50, 8, 8);  // flattened: 800
    std::vector<float> h(500);
    for (int o = 0; o < 500; ++o) {
      float v = w.at("fc1.bias")[o];
      for (int i = 0; i < 800; ++i) v += w.at("fc1.weight")[size_t(o) * 800 + i] * a2[i];
      h[o] = std::max(0.0f, v);
    }
    int64_t best = 0;
    float best_v = -INFINITY;
    for (int o = 0; o < 10; ++o) {
      float v = w.at("fc2.bias")[o];
      for (int i = 0; i < 500; ++i) v += w.at("fc2.weight")[size_t(o) * 500 + i] * h[i];
      if (v > best_v) best_v = v, best = o;
    }
    return best;
  }
};

// The documented split: Fisher-Yates with mt19937_64(seed), j = rng() % (i + 1); the first
// profile-samples are the profile, the rest held out.
std::vector<int64_t> heldoutRows(int64_t samples, uint64_t seed, int64_t profile) {
  std::vector<int64_t> p(static_cast<size_t>(samples));
  std::iota(p.begin(), p.end(), 0);
  std::mt19937_64 rng(seed);
  for (int64_t i = samples - 1; i > 0; --i) std::swap(p[size_t(i)], p[size_t(rng() % uint64_t(i + 1))]);
  return {p.begin() + profile, p.end()};
}

std::string metadataValue(const onnx::ModelProto& m, const std::string& key) {
  for (const auto& e : m.metadata_props())
    if (e.key() == key) return e.value();
  return "";
}

onnx::ModelProto loadModel(const std::string& path) {
  onnx::ModelProto m;
  std::ifstream in(path, std::ios::binary);
  REQUIRE(m.ParseFromIstream(&in));
  return m;
}

}  // namespace

TEST_CASE("energy --snapea exact mode: the saving is the skipped nonzero terms' MAC and filter read", "[snapea][energy]") {
  const int samples = 100;
  const std::string data = firstImages(samples);
  std::vector<std::string> with_data = {"--data", data};
  with_data.insert(with_data.end(), kPre.begin(), kPre.end());
  const std::string lenet5 = testData("lenet5.onnx");

  json stats = runJson([&] {
    std::vector<std::string> a = {"stats", lenet5, "--snapea"};
    a.insert(a.end(), with_data.begin(), with_data.end());
    return a;
  }());
  const json& counted = stats["snapea"]["layers"][0];
  REQUIRE(counted["node"] == "/conv2/Conv");
  const double macs = counted["macs"].get<double>();
  const double skipped = counted["skipped_macs"].get<double>(), skipped_nonzero = counted["skipped_nonzero_macs"].get<double>();
  CHECK(skipped_nonzero > 0);
  CHECK(skipped_nonzero <= skipped);

  SECTION("eyeriss: ifmap zeros gated ([mac, filter_read]); cycles kept") {
    std::vector<std::string> a = {"energy", lenet5, "--snapea"};
    a.insert(a.end(), with_data.begin(), with_data.end());
    json e = runJson(a);
    json plain = runJson([&] {
      std::vector<std::string> b = {"energy", lenet5};
      b.insert(b.end(), with_data.begin(), with_data.end());
      return b;
    }());
    // Without --snapea the figures are those of the plain run.
    CHECK(e["total"]["energy"].get<double>() == Approx(plain["total"]["energy"].get<double>()).epsilon(1e-12));
    const json& s = e["snapea"];
    CHECK(s["mode"] == "exact");
    CHECK(s["cycles_saved"] == false);
    CHECK(s["saves"] == json::array({"mac", "filter_read"}));
    CHECK(s["skip_fraction"].get<double>() == Approx(skipped / macs).epsilon(1e-12));
    REQUIRE(s["uncovered"].size() == 1);
    CHECK(s["uncovered"][0]["node"] == "/conv1/Conv");
    const json& l = layerNamed(e["layers"], "/conv2/Conv");
    REQUIRE(l["snapea"]["covered"] == true);
    // Hand computation: the energy run's batch-1 MACs of conv2 times the measured fraction of skipped
    // terms on nonzero inputs (zeros were gated already), each saving one MAC and one scratchpad read.
    const double layer_macs = l["macs"].get<double>();
    CHECK(layer_macs == 50.0 * 20 * 5 * 5 * 8 * 8);
    const double saved = (skipped_nonzero / macs) * layer_macs * (1.0 + 1.0);
    CHECK(l["snapea"]["energy_without"].get<double>() == Approx(l["energy"].get<double>()).epsilon(1e-12));
    CHECK(l["snapea"]["energy_without"].get<double>() - l["snapea"]["energy"].get<double>() == Approx(saved).epsilon(1e-9));
    CHECK(s["energy_without"].get<double>() - s["energy"].get<double>() == Approx(saved).epsilon(1e-9));
    CHECK(s["energy"].get<double>() < s["energy_without"].get<double>());
    CHECK(l["snapea"]["latency_cycles"].get<double>() == l["snapea"]["latency_cycles_without"].get<double>());
    CHECK(layerNamed(e["layers"], "/conv1/Conv")["snapea"]["covered"] == false);

    auto text = runDnnc([&] {
      std::vector<std::string> b = {"energy", lenet5, "--snapea", "--threads", "1"};
      b.insert(b.end(), with_data.begin(), with_data.end());
      return b;
    }());
    REQUIRE(text.exit_code == 0);
    CHECK(text.out.find("SnaPEA") != std::string::npos);
    CHECK(text.out.find("gates rather than skips") != std::string::npos);
    CHECK(text.out.find("/conv1/Conv: input 'input' is a graph input") != std::string::npos);
  }

  SECTION("eyeriss-sparse: the psum read and write are saved too") {
    std::vector<std::string> a = {"energy", lenet5, "--snapea", "--accel", "eyeriss-sparse"};
    a.insert(a.end(), with_data.begin(), with_data.end());
    json e = runJson(a);
    const json& l = layerNamed(e["layers"], "/conv2/Conv");
    const double saved = (skipped_nonzero / macs) * l["macs"].get<double>() * 4.0;
    CHECK(l["snapea"]["energy_without"].get<double>() - l["snapea"]["energy"].get<double>() == Approx(saved).epsilon(1e-9));
  }
}

TEST_CASE("energy --snapea: bad input", "[snapea][energy]") {
  SECTION("--snapea without --data is a usage error") {
    auto r = runDnnc({"energy", testData("lenet5.onnx"), "--snapea"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--data") != std::string::npos);
  }
  SECTION("a model with no covered layer is refused, naming why") {
    std::vector<std::string> a = {"energy", testData("rescnn.onnx"), "--snapea", "--data", firstImages(2)};
    a.insert(a.end(), kPre.begin(), kPre.end());
    auto r = runDnnc(a);
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("no Conv") != std::string::npos);
    CHECK(r.err.find("fold-bn") != std::string::npos);
  }
  SECTION("prune --snapea-budget needs labels, and a covered layer") {
    std::vector<std::string> a = {"prune", testData("lenet5.onnx"), "-o", scratchDir("snapea-bad") + "/o.onnx", "--snapea-budget", "1"};
    auto no_data = runDnnc(a);
    CHECK(no_data.exit_code == 2);
    std::vector<std::string> b = {"prune", testData("rescnn.onnx"), "-o", scratchDir("snapea-bad") + "/o.onnx",
                                  "--snapea-budget", "1", "--labels", testData("fashion_test_2000_labels.npy")};
    auto d = fashionData(50);
    b.insert(b.end(), d.begin(), d.end());
    auto r = runDnnc(b);
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("fold-bn") != std::string::npos);
  }
}

TEST_CASE("prune --snapea-budget on lenet5: top-1 within the budget, more MACs skipped, ORT unchanged", "[snapea][energy]") {
  const int samples = 600;
  const double budget = 1.0;
  const std::string dir = scratchDir("snapea-predictive"), out = dir + "/lenet5.snapea.onnx";
  std::vector<std::string> args = {"prune", testData("lenet5.onnx"), "-o", out, "--snapea-budget", "1",
                                   "--labels", testData("fashion_test_2000_labels.npy"), "--seed", "7"};
  auto d = fashionData(samples);
  args.insert(args.end(), d.begin(), d.end());
  json report = runJson(args);
  json pass;
  for (const auto& p : report["passes"])
    if (p["name"] == "snapea") pass = p;
  REQUIRE(pass.is_object());
  INFO(pass.dump());

  const onnx::ModelProto model = loadModel(out), input = loadModel(testData("lenet5.onnx"));
  const json params = json::parse(metadataValue(model, "dnnc.snapea"));
  REQUIRE(params["layers"].size() == 1);
  const json& layer = params["layers"][0];
  CHECK(layer["node"] == "/conv2/Conv");
  CHECK(layer["terms"] == 500);
  REQUIRE(layer["n"].get<int>() > 0);  // lenet5's conv2 has room for a speculation within 1 point
  CHECK(params["seed"] == 7);
  const int64_t profile = params["profile_samples"], heldout = params["heldout_samples"];
  CHECK(profile + heldout == samples);

  // The graph and its weights are those of the input: only metadata was added.
  CHECK(model.graph().SerializeAsString() == input.graph().SerializeAsString());

  // Top-1 on the held-out split by the brute-force network, exact and with the stored speculation.
  Lenet5 net(model);
  std::vector<int64_t> shape, lshape;
  std::vector<float> images = fashionImages(samples, shape);
  std::vector<float> labels = readNpyAsFloat(testData("fashion_test_2000_labels.npy"), lshape);
  const Speculation spec{layer["n"].get<int>(), layer["threshold"].get<double>()};
  int64_t exact_hits = 0, predictive_hits = 0, predicted = 0, unused = 0;
  for (int64_t row : heldoutRows(samples, 7, profile)) {
    const float* x = images.data() + row * 784;
    exact_hits += net.classify(x, nullptr, unused) == int64_t(labels[size_t(row)]);
    predictive_hits += net.classify(x, &spec, predicted) == int64_t(labels[size_t(row)]);
  }
  const double exact_top1 = double(exact_hits) / double(heldout), predictive_top1 = double(predictive_hits) / double(heldout);
  const double one_sample = 1.0 / double(heldout);  // float summation order may flip a borderline output
  CHECK(std::abs(exact_top1 - params["top1_before"].get<double>()) <= one_sample + 1e-12);
  CHECK(std::abs(predictive_top1 - params["top1"].get<double>()) <= one_sample + 1e-12);
  CHECK(100.0 * (exact_top1 - predictive_top1) <= budget + 100.0 * one_sample);
  CHECK(predicted > 0);

  // energy --snapea on the output uses the stored parameters: predictive mode, more MACs skipped than
  // exact mode on the same images, and at least the speculation's share for the outputs it predicted.
  const std::string images_npy = firstImages(100);
  std::vector<std::string> e_args = {"energy", out, "--snapea", "--data", images_npy};
  e_args.insert(e_args.end(), kPre.begin(), kPre.end());
  json e = runJson(e_args);
  e_args[1] = testData("lenet5.onnx");
  json exact = runJson(e_args);
  CHECK(e["snapea"]["mode"] == "predictive");
  CHECK(exact["snapea"]["mode"] == "exact");
  CHECK(e["snapea"]["predictive"]["top1"].get<double>() == params["top1"].get<double>());
  const json& pl = layerNamed(e["layers"], "/conv2/Conv")["snapea"];
  CHECK(pl["speculation_n"] == spec.n);
  CHECK(pl["predicted_outputs"].get<int64_t>() > 0);
  CHECK(pl["skip_fraction"].get<double>() * 100 * 3200 * 500 >= double(pl["predicted_outputs"].get<int64_t>()) * (500 - spec.n));
  CHECK(e["snapea"]["skip_fraction"].get<double>() > exact["snapea"]["skip_fraction"].get<double>());
  CHECK(e["snapea"]["energy"].get<double>() < exact["snapea"]["energy"].get<double>());
  // Same graph, same energy without SnaPEA.
  CHECK(e["snapea"]["energy_without"].get<double>() == Approx(exact["snapea"]["energy_without"].get<double>()).epsilon(1e-12));

  // Weights changed after the calibration: the stored thresholds are refused, not applied to them.
  const std::string stale = dir + "/stale.onnx";
  REQUIRE(runDnnc({"prune", out, "--sparsity", "0.5", "-o", stale, "--quiet"}).exit_code == 0);
  REQUIRE(metadataValue(loadModel(stale), "dnnc.snapea") == metadataValue(model, "dnnc.snapea"));
  e_args[1] = stale;
  auto refused = runDnnc(e_args);
  CHECK(refused.exit_code == 3);
  CHECK(refused.err.find("calibrated on another graph") != std::string::npos);
  // Stored otherwise (external data), the same graph: accepted.
  const std::string external = dir + "/external.onnx";
  REQUIRE(runDnnc({"run", out, "--passes", "dce", "-o", external, "--external-data", "--quiet"}).exit_code == 0);
  e_args[1] = external;
  CHECK(runJson(e_args)["snapea"]["mode"] == "predictive");

  // ONNX Runtime runs the output exactly as the input.
  if (ortRunner().empty()) {
    WARN("skipping the ONNX Runtime check: onnxruntime-node is not installed");
    return;
  }
  std::vector<int64_t> s16;
  std::vector<float> x16 = fashionImages(16, s16);
  OrtOutputs a = runOrt(out, {x16}, {s16}), b = runOrt(testData("lenet5.onnx"), {x16}, {s16});
  INFO(a.error << b.error);
  REQUIRE(a.ok);
  REQUIRE(b.ok);
  CHECK(a.values == b.values);
}
