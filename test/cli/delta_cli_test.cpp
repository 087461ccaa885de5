// dnnc stats --delta [--frames] and dnnc energy --delta: delta coding of feature maps on the bundled
// Fashion-MNIST models, on a sequence of frames made here by panning a crop window across real images, and on
// the zoo's resnet18. The model input's figures are checked against a brute-force computation from the data
// file; the deeper layers against `stats`' own zero fractions (computed on floats by lib/exec/activation_stats).
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "lib/ir/onnx_io.h"
#include "test/support/test_support.h"

using namespace dnnc::test;
using nlohmann::json;

namespace {

const std::vector<std::string> kNormalise = {"--scale", "1/255", "--mean", "0.2860", "--std", "0.3530"};

std::vector<std::string> withData(std::vector<std::string> args, const std::string& data, int limit = 0) {
  args.push_back("--data");
  args.push_back(data);
  args.insert(args.end(), kNormalise.begin(), kNormalise.end());
  if (limit > 0) {
    args.push_back("--limit");
    args.push_back(std::to_string(limit));
  }
  return args;
}

json runJson(const std::vector<std::string>& args) {
  auto r = runDnnc(args);
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
}

// A slow pan over real images: two Fashion-MNIST test images side by side (28 x 56 pixels), upscaled 4x by
// bilinear interpolation (112 x 224), a 112 x 112 crop window moved one upscaled pixel per frame, each crop
// averaged over 4 x 4 blocks back to the models' 28 x 28. The scene moves a quarter of a model pixel per frame.
// Raw pixel values (0..255), float32 [frames, 1, 28, 28], written to `path`.
void writePannedFrames(const std::string& path, int frames, int first_image = 0) {
  std::vector<int64_t> shape;
  std::vector<float> all = readNpyAsFloat(testData("fashion_test_2000_images.npy"), shape);
  const int H = 28, W = 56, up = 4;
  auto pixel = [&](int y, int x) {  // the side-by-side pair
    const int image = first_image + x / 28;
    return all[size_t(image * 784 + y * 28 + x % 28)];
  };
  auto clampi = [](int v, int hi) { return std::max(0, std::min(v, hi)); };
  std::vector<float> big(size_t(H * up * W * up));
  for (int Y = 0; Y < H * up; ++Y)
    for (int X = 0; X < W * up; ++X) {
      const double sy = (Y + 0.5) / up - 0.5, sx = (X + 0.5) / up - 0.5;
      const int y0 = int(std::floor(sy)), x0 = int(std::floor(sx));
      const double fy = sy - y0, fx = sx - x0;
      double v = 0;
      for (int dy = 0; dy < 2; ++dy)
        for (int dx = 0; dx < 2; ++dx)
          v += (dy ? fy : 1 - fy) * (dx ? fx : 1 - fx) * pixel(clampi(y0 + dy, H - 1), clampi(x0 + dx, W - 1));
      big[size_t(Y * W * up + X)] = float(v);
    }
  REQUIRE(frames <= (W - 28) * up + 1);
  std::vector<float> out(size_t(frames) * 784);
  for (int t = 0; t < frames; ++t)
    for (int y = 0; y < 28; ++y)
      for (int x = 0; x < 28; ++x) {
        double sum = 0;
        for (int dy = 0; dy < up; ++dy)
          for (int dx = 0; dx < up; ++dx) sum += big[size_t((y * up + dy) * W * up + t + x * up + dx)];
        out[size_t(t * 784 + y * 28 + x)] = float(sum / (up * up));
      }
  writeNpyFloat(path, out, {frames, 1, 28, 28});
}

// Brute force for the model input: normalise, one scale from max|x| over the data, round to 16 bits, and the
// zero fraction and entropy of the values, the spatial deltas (first of each row raw) and the temporal ones.
struct InputFigures {
  double raw_zero = 0, spatial_zero = 0, temporal_zero = 0;
  double raw_entropy = 0, spatial_entropy = 0, temporal_entropy = 0;
};

double entropyOf(const std::map<uint16_t, double>& counts) {
  double n = 0, h = 0;
  for (const auto& [s, c] : counts) n += c;
  for (const auto& [s, c] : counts) h += c / n * std::log2(n / c);
  return h;
}

InputFigures inputFigures(const std::string& path, int limit) {
  std::vector<int64_t> shape;
  std::vector<float> px = readNpyAsFloat(path, shape);
  const int64_t per = shape[1] * shape[2] * shape[3], W = shape[3];
  const int64_t n = limit > 0 ? std::min<int64_t>(limit, shape[0]) : shape[0];
  std::vector<double> x(size_t(n * per));
  double max_abs = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = (px[i] / 255.0 - 0.2860) / 0.3530;
    max_abs = std::max(max_abs, std::abs(x[i]));
  }
  std::vector<int> q(x.size());
  for (size_t i = 0; i < x.size(); ++i) q[i] = int(std::lround(x[i] / (max_abs / 32767)));
  std::map<uint16_t, double> raw, spatial, temporal;
  InputFigures f;
  double tn = 0;
  for (size_t i = 0; i < q.size(); ++i) {
    raw[uint16_t(q[i])] += 1;
    f.raw_zero += q[i] == 0;
    const int d = i % size_t(W) == 0 ? q[i] : q[i] - q[i - 1];
    spatial[uint16_t(d)] += 1;
    f.spatial_zero += d == 0;
    if (i >= size_t(per)) {
      const int t = q[i] - q[i - size_t(per)];
      temporal[uint16_t(t)] += 1;
      f.temporal_zero += t == 0;
      tn += 1;
    }
  }
  f.raw_zero /= double(q.size());
  f.spatial_zero /= double(q.size());
  f.temporal_zero = tn > 0 ? f.temporal_zero / tn : 0;
  f.raw_entropy = entropyOf(raw);
  f.spatial_entropy = entropyOf(spatial);
  f.temporal_entropy = temporal.empty() ? 0 : entropyOf(temporal);
  return f;
}

double total(const json& delta, const std::string& coding, const std::string& key) {
  return delta["total"][coding][key].get<double>();
}

}  // namespace

TEST_CASE("stats --delta on lenet5: every input, the model input against brute force", "[delta]") {
  const int samples = 200;
  const std::string data = testData("fashion_test_2000_images.npy");
  json j = runJson(withData({"stats", testData("lenet5.onnx"), "--delta", "--json", "--threads", "1"}, data, samples));
  REQUIRE(j.contains("delta"));
  const json& d = j["delta"];
  CHECK(d["word_bits"] == 16);
  CHECK(d["frames"] == false);
  CHECK_FALSE(d.contains("temporal"));
  REQUIRE(d["layers"].size() == 4);
  const std::vector<std::string> nodes = {"/conv1/Conv", "/conv2/Conv", "/fc1/Gemm", "/fc2/Gemm"};
  double raw_bits = 0, spatial_bits = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const json& l = d["layers"][i];
    const json& a = j["activations"][i];
    INFO(l.dump());
    CHECK(l["node"] == nodes[i]);
    CHECK(l["value"] == a["value"]);
    CHECK_FALSE(l.contains("temporal"));
    CHECK(l["raw"]["values"] == a["count"]);
    CHECK(l["raw"]["samples"] == samples);
    CHECK(l["spatial"]["values"] == a["count"]);
    // Quantisation only adds zeros below half a step: the float zero fraction within 0.1 %.
    CHECK(l["raw"]["zero_fraction"].get<double>() >= a["zero_fraction"].get<double>());
    CHECK(l["raw"]["zero_fraction"].get<double>() == Approx(a["zero_fraction"].get<double>()).margin(1e-3));
    CHECK(l["max_abs"].get<double>() == Approx(std::max(-a["min"].get<double>(), a["max"].get<double>())));
    raw_bits += l["raw"]["rlc_bits"].get<double>();
    spatial_bits += l["spatial"]["rlc_bits"].get<double>();
  }
  CHECK(total(d, "raw", "rlc_bits") == Approx(raw_bits));
  CHECK(total(d, "spatial", "rlc_bits") == Approx(spatial_bits));
  // The model input: the normalised image has no zeros, but its flat background does in spatial deltas.
  InputFigures f = inputFigures(data, samples);
  const json& in = d["layers"][0];
  CHECK(in["raw"]["zero_fraction"].get<double>() == Approx(f.raw_zero).margin(1e-4));
  CHECK(in["spatial"]["zero_fraction"].get<double>() == Approx(f.spatial_zero).margin(1e-4));
  CHECK(in["raw"]["entropy_bits_per_value"].get<double>() == Approx(f.raw_entropy).margin(1e-3));
  CHECK(in["spatial"]["entropy_bits_per_value"].get<double>() == Approx(f.spatial_entropy).margin(1e-3));
  CHECK(f.spatial_zero > 0.3);
  CHECK(in["spatial"]["rlc_bits_per_value"].get<double>() < in["raw"]["rlc_bits_per_value"].get<double>());
}

TEST_CASE("stats --delta --frames on a panned sequence: temporal deltas code smaller than raw and spatial",
          "[delta]") {
  const std::string dir = scratchDir("delta-frames");
  const std::string frames = dir + "/pan.npy";
  const int count = 32;
  writePannedFrames(frames, count);
  InputFigures f = inputFigures(frames, 0);
  for (const std::string model : {"lenet5.onnx", "rescnn.onnx"}) {
    INFO(model);
    json j = runJson(withData({"stats", testData(model), "--delta", "--frames", "--json", "--threads", "1"}, frames));
    const json& d = j["delta"];
    CHECK(d["frames"] == true);
    CHECK(d.contains("temporal"));
    const json& in = d["layers"][0];
    CHECK(in["temporal"]["samples"] == count - 1);  // the first frame has no predecessor
    CHECK(in["temporal"]["values"] == (count - 1) * 784);
    CHECK(in["temporal"]["zero_fraction"].get<double>() == Approx(f.temporal_zero).margin(1e-4));
    CHECK(in["temporal"]["entropy_bits_per_value"].get<double>() == Approx(f.temporal_entropy).margin(1e-3));
    CHECK(in["temporal"]["rlc_bits_per_value"].get<double>() < in["spatial"]["rlc_bits_per_value"].get<double>());
    for (const std::string key : {"rlc_bits_per_value", "entropy_bits_per_value"}) {
      INFO(key);
      CHECK(total(d, "temporal", key) < total(d, "raw", key));
      CHECK(total(d, "temporal", key) < total(d, "spatial", key));
    }
  }
}

TEST_CASE("stats --delta: --frames needs --delta and two samples", "[delta]") {
  const std::string data = testData("fashion_test_2000_images.npy");
  auto r = runDnnc(withData({"stats", testData("lenet5.onnx"), "--frames"}, data, 4));
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--frames needs --delta") != std::string::npos);
  r = runDnnc(withData({"stats", testData("lenet5.onnx"), "--delta", "--frames"}, data, 1));
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("at least 2 samples") != std::string::npos);
  CHECK(r.out.empty());
}

namespace {

// The first `count` Fashion-MNIST test images as raw pixels (float32), for commands without --limit.
std::string fashionSubset(const std::string& dir, int count) {
  std::vector<int64_t> shape;
  std::vector<float> px = readNpyAsFloat(testData("fashion_test_2000_images.npy"), shape);
  px.resize(size_t(count) * 784);
  const std::string path = dir + "/fashion" + std::to_string(count) + ".npy";
  writeNpyFloat(path, px, {count, 1, 28, 28});
  return path;
}

double fmap(const json& layer, const std::string& coding) { return layer[coding]["fmap_dram_bytes"].get<double>(); }

// The delta report covers every scored layer, in order; its raw coding reproduces the main report's
// feature-map traffic (which counts float zeros, lib/exec/activation_stats: quantisation adds a few) and
// the adaptive coding is never above raw.
void checkDeltaReport(const json& j, const std::vector<std::string>& codings) {
  REQUIRE(j.contains("delta"));
  const json& d = j["delta"];
  CHECK(d["codings"] == codings);
  CHECK(d["unmeasured"].empty());
  REQUIRE(d["layers"].size() == j["layers"].size());
  double raw_energy = 0;
  for (size_t i = 0; i < j["layers"].size(); ++i) {
    const json& l = d["layers"][i];
    const json& m = j["layers"][i];
    INFO(l.dump());
    CHECK(l["name"] == m["name"]);
    CHECK(l["node"] == m["node"]);
    if (!m["first_layer"].get<bool>())
      CHECK(l["raw"]["ifmap_dram_bytes"].get<double>() ==
            Approx(m["dram_bytes_by_type"]["ifmap"].get<double>()).epsilon(0.01));
    CHECK(l["raw"]["ofmap_dram_bytes"].get<double>() == Approx(m["dram_bytes_by_type"]["ofmap"].get<double>()).epsilon(0.01));
    CHECK(fmap(l, "adaptive") <= fmap(l, "raw") * (1 + 1e-12));
    for (const auto& c : codings) CHECK(l[c]["energy"].get<double>() > 0);
    raw_energy += l["raw"]["energy"].get<double>();
  }
  CHECK(d["total"]["raw"]["energy"].get<double>() == Approx(raw_energy));
  CHECK(d["total"]["raw"]["energy"].get<double>() == Approx(j["total"]["energy"].get<double>()).epsilon(0.01));
  CHECK(d["total"]["adaptive"]["fmap_dram_vs_raw"].get<double>() <= 1.0);
}

}  // namespace

TEST_CASE("energy --delta on lenet5 over Fashion-MNIST: every layer, the image's spatial deltas code smaller",
          "[delta][energy]") {
  const std::string dir = scratchDir("delta-energy");
  const std::string data = fashionSubset(dir, 100);
  json j = runJson(withData({"energy", testData("lenet5.onnx"), "--delta", "--json", "--threads", "1"}, data));
  checkDeltaReport(j, {"raw", "spatial", "adaptive"});
  const json& conv1 = j["delta"]["layers"][0];
  CHECK(conv1["name"] == "conv1");
  // The normalised image has no zeros (dense, 16 bits a value); its flat background has zero deltas.
  CHECK(conv1["raw"]["ifmap_dram_bytes"].get<double>() == Approx(784 * 2));
  CHECK(conv1["spatial"]["ifmap_dram_bytes"].get<double>() < 0.9 * 784 * 2);
  CHECK(j["delta"]["adaptive_choice"][0]["coding"] == "spatial");
  CHECK(j["delta"]["total"]["adaptive"]["fmap_dram_bytes"].get<double>() <
        j["delta"]["total"]["raw"]["fmap_dram_bytes"].get<double>());
  // The text report names the codings and the assumption.
  auto r = runDnnc(withData({"energy", testData("lenet5.onnx"), "--delta", "--threads", "1"}, data));
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("delta coding of feature maps in DRAM") != std::string::npos);
  CHECK(r.out.find("assumed: deltas RLC-coded in place of values") != std::string::npos);
}

TEST_CASE("energy --delta --frames on a panned sequence: temporal deltas cut feature-map DRAM traffic",
          "[delta][energy]") {
  const std::string dir = scratchDir("delta-energy-frames");
  const std::string frames = dir + "/pan.npy";
  writePannedFrames(frames, 32);
  for (const std::string model : {"lenet5.onnx", "rescnn.onnx"}) {
    INFO(model);
    json j = runJson(withData({"energy", testData(model), "--delta", "--frames", "--json", "--threads", "1"}, frames));
    checkDeltaReport(j, {"raw", "spatial", "temporal", "adaptive"});
    const json& t = j["delta"]["total"];
    CHECK(t["temporal"]["fmap_dram_bytes"].get<double>() < t["raw"]["fmap_dram_bytes"].get<double>());
    CHECK(t["temporal"]["fmap_dram_bytes"].get<double>() < t["spatial"]["fmap_dram_bytes"].get<double>());
    CHECK(t["temporal"]["energy"].get<double>() < t["raw"]["energy"].get<double>());
    CHECK(t["adaptive"]["fmap_dram_bytes"].get<double>() <= t["temporal"]["fmap_dram_bytes"].get<double>());
  }
}

TEST_CASE("energy --delta on the zoo's resnet18: all 21 layers", "[delta][energy][zoo]") {
  const std::string zoo = std::string(DNNC_BINARY_DIR) + "/zoo/";
  if (!fileExists(zoo + "resnet18.onnx") || !fileExists(zoo + "resnet18.input.npy")) {
    WARN("skipping resnet18: no zoo at " << zoo << " (run tools/make_zoo.py)");
    return;
  }
  json j = runJson({"energy", zoo + "resnet18.onnx", "--data", zoo + "resnet18.input.npy", "--delta", "--json"});
  CHECK(j["layers"].size() == 21);
  checkDeltaReport(j, {"raw", "spatial", "adaptive"});
}

TEST_CASE("energy --delta: needs --data, RLC and 16-bit words; --frames needs --delta", "[delta][energy]") {
  const std::string dir = scratchDir("delta-energy-errors");
  const std::string data = fashionSubset(dir, 2);
  const std::string model = testData("lenet5.onnx");
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {{"energy", model, "--delta"}, 2, "--delta measures feature maps on data"},
      {withData({"energy", model, "--delta", "--no-rlc"}, data), 2, "--no-rlc"},
      {withData({"energy", model, "--delta", "--accel", "eyeriss-sparse"}, data), 2, "significance-map"},
      {withData({"energy", model, "--delta", "--accel", "edge-8bit"}, data), 2, "16-bit"},
      {withData({"energy", model, "--frames"}, data), 2, "--frames needs --delta"},
      {withData({"energy", model, "--delta", "--frames"}, fashionSubset(dir, 1)), 3, "at least 2 samples"},
  };
  for (const auto& c : cases) {
    auto r = runDnnc(c.args);
    INFO(r.err);
    CHECK(r.exit_code == c.code);
    CHECK(r.err.find(c.needle) != std::string::npos);
    CHECK(r.out.empty());
  }
}

TEST_CASE("energy --delta measures the layers of a model whose nodes have no names", "[delta][energy]") {
  const std::string dir = scratchDir("delta-energy-unnamed");
  const std::string data = fashionSubset(dir, 20);
  auto model = dnnc::loadModel(testData("lenet5.onnx"));
  REQUIRE(model.ok());
  for (auto& n : *model->graph().mutable_node()) n.clear_name();
  const std::string unnamed = dir + "/unnamed.onnx";
  REQUIRE(dnnc::saveModel(*model, unnamed).ok());
  json a = runJson(withData({"energy", testData("lenet5.onnx"), "--delta", "--json", "--threads", "1"}, data));
  json b = runJson(withData({"energy", unnamed, "--delta", "--json", "--threads", "1"}, data));
  CHECK(b["delta"]["unmeasured"].empty());
  CHECK(b["delta"]["layers"][0]["node"] == "/conv1/Conv_output_0");  // named by its output
  for (const std::string c : {"raw", "spatial", "adaptive"})
    CHECK(b["delta"]["total"][c]["fmap_dram_bytes"].get<double>() ==
          Approx(a["delta"]["total"][c]["fmap_dram_bytes"].get<double>()));
}
