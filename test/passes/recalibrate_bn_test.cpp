// recalibrate-bn against statistics computed here by naive loops, and on the residual CNN with filters
// removed, scored on the bundled Fashion-MNIST test images.
#include "test/passes/pass_test_util.h"

using namespace dnnc;
using namespace dnnc::test;

namespace {

constexpr int64_t kIn = 2, kOut = 3, kSide = 3, kPlane = kSide * kSide, kClasses = 4;

std::string floats(const std::vector<float>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

// x -> Conv 1x1 -> BN -> Relu -> Flatten -> Gemm -> BN -> y, with statistics far from the data's.
struct TwoBnModel {
  std::vector<float> w = randomValues(kOut * kIn, 1), b = randomValues(kOut, 2);
  std::vector<float> fw = randomValues(kClasses * kOut * kPlane, 3), fb = randomValues(kClasses, 4);
  onnx::ModelProto proto() const {
    const std::string text = R"(
      <ir_version: 8, opset_import: ["" : 13]>
      g (float[N, 2, 3, 3] x) => (float[N, 4] y)
      <float[3, 2, 1, 1] w = {)" + floats(w) + R"(}, float[3] b = {)" + floats(b) + R"(},
       float[3] sc = {1.5, 0.5, 2}, float[3] bi = {0.1, -0.2, 0.3}, float[3] mu = {5, -5, 9}, float[3] va = {40, 0.01, 7},
       float[4, 27] fw = {)" + floats(fw) + R"(}, float[4] fb = {)" + floats(fb) + R"(},
       float[4] s2 = {1, 1, 1, 1}, float[4] b2 = {0, 0, 0, 0}, float[4] m2 = {3, 3, 3, 3}, float[4] v2 = {9, 9, 9, 9}>
      {
        c = Conv (x, w, b)
        n = BatchNormalization <epsilon = 0.001> (c, sc, bi, mu, va)
        r = Relu (n)
        f = Flatten (r)
        gm = Gemm <transB = 1> (f, fw, fb)
        y = BatchNormalization (gm, s2, b2, m2, v2)
      })";
    return modelFromText(text);
  }
};

// Mean and unbiased variance over rows of `values` [rows, channels, plane] for each channel.
void channelStatistics(const std::vector<double>& values, int64_t rows, int64_t channels, int64_t plane,
                       std::vector<double>& mean, std::vector<double>& var) {
  mean.assign(channels, 0), var.assign(channels, 0);
  const double m = double(rows * plane);
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t k = 0; k < plane; ++k) mean[c] += values[(r * channels + c) * plane + k];
    mean[c] /= m;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t k = 0; k < plane; ++k) var[c] += std::pow(values[(r * channels + c) * plane + k] - mean[c], 2);
    var[c] /= m - 1;
  }
}

std::vector<float> initializer(const Model& m, const std::string& name) {
  for (const auto& t : m.proto.graph().initializer())
    if (t.name() == name) return readTensor(t, ".")->toFloats();
  FAIL("no initializer " << name);
  return {};
}

void requireClose(const std::vector<float>& got, const std::vector<double>& want, double rel) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(std::abs(got[i] - want[i]) <= rel * std::max(1.0, std::abs(want[i])));
}

Calibration samplesFile(const std::vector<float>& x, int64_t rows, const std::string& tag) {
  const std::string path = scratchDir(tag) + "/x.npy";
  writeNpyFloat(path, x, {rows, kIn, kSide, kSide});
  Calibration c;
  c.data.path = path;
  return c;
}

// The Conv outputs, naively, as doubles [rows, kOut, kPlane].
std::vector<double> convOutputs(const TwoBnModel& net, const std::vector<float>& x, int64_t rows) {
  std::vector<double> c(size_t(rows * kOut * kPlane));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < kOut; ++o)
      for (int64_t k = 0; k < kPlane; ++k) {
        double s = net.b[o];
        for (int64_t i = 0; i < kIn; ++i) s += double(net.w[o * kIn + i]) * x[(r * kIn + i) * kPlane + k];
        c[(r * kOut + o) * kPlane + k] = s;
      }
  return c;
}

}  // namespace

TEST_CASE("recalibrate-bn in one batch gives both BatchNormalizations the statistics of what they see") {
  TwoBnModel net;
  const int64_t rows = 37;
  const std::vector<float> x = randomValues(size_t(rows * kIn * kPlane), 11, -2.0f, 3.0f);
  Calibration data = samplesFile(x, rows, "recalibrate_bn_one");
  nlohmann::json report;
  Model m = runPasses(net.proto(), "recalibrate-bn(batch=64)", &report, &data);
  CHECK(report[0]["summary"]["batch_norms"] == 2);
  CHECK(report[0]["summary"]["samples"] == rows);

  std::vector<double> c = convOutputs(net, x, rows), mean, var;
  channelStatistics(c, rows, kOut, kPlane, mean, var);
  requireClose(initializer(m, "mu"), mean, 1e-5);
  requireClose(initializer(m, "va"), var, 1e-5);
  // In training mode the first BN normalises with the batch's own mean and biased variance: the Gemm and
  // its BN see those activations.
  const double scale[kOut] = {1.5, 0.5, 2}, shift[kOut] = {0.1, -0.2, 0.3};
  std::vector<double> gemm(size_t(rows * kClasses));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < kClasses; ++j) {
      double s = net.fb[j];
      for (int64_t o = 0; o < kOut; ++o) {
        const double biased = var[o] * double(rows * kPlane - 1) / double(rows * kPlane);
        for (int64_t k = 0; k < kPlane; ++k) {
          const double v = (c[(r * kOut + o) * kPlane + k] - mean[o]) / std::sqrt(biased + 0.001) * scale[o] + shift[o];
          s += double(net.fw[j * kOut * kPlane + o * kPlane + k]) * std::max(0.0, v);
        }
      }
      gemm[r * kClasses + j] = s;
    }
  std::vector<double> mean2, var2;
  channelStatistics(gemm, rows, kClasses, 1, mean2, var2);
  requireClose(initializer(m, "m2"), mean2, 1e-4);
  requireClose(initializer(m, "v2"), var2, 1e-4);
  // Scale and shift are not statistics: unchanged.
  CHECK(initializer(m, "sc") == std::vector<float>{1.5f, 0.5f, 2.0f});
}

TEST_CASE("recalibrate-bn over uneven batches gives the population statistics, not a moving average") {
  TwoBnModel net;
  const int64_t rows = 37;  // batches of 8: four full ones and one of 5
  const std::vector<float> x = randomValues(size_t(rows * kIn * kPlane), 12, -1.0f, 4.0f);
  Calibration data = samplesFile(x, rows, "recalibrate_bn_batches");
  Model m = runPasses(net.proto(), "recalibrate-bn(batch=8)", nullptr, &data);
  std::vector<double> mean, var;
  channelStatistics(convOutputs(net, x, rows), rows, kOut, kPlane, mean, var);
  requireClose(initializer(m, "mu"), mean, 1e-5);
  requireClose(initializer(m, "va"), var, 1e-5);

  SECTION("samples= takes the first N") {
    Model first = runPasses(net.proto(), "recalibrate-bn(batch=8,samples=10)", nullptr, &data);
    std::vector<float> head(x.begin(), x.begin() + 10 * kIn * kPlane);
    channelStatistics(convOutputs(net, head, 10), 10, kOut, kPlane, mean, var);
    requireClose(initializer(first, "mu"), mean, 1e-5);
    requireClose(initializer(first, "va"), var, 1e-5);
  }
}

TEST_CASE("recalibrate-bn leaves a model without BatchNormalization as it is and needs data") {
  auto plain = modelFromText(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[1, 4] x) => (float[1, 2] y) <float[2, 4] w = {1, 2, 3, 4, 5, 6, 7, 8}> { y = Gemm <transB = 1> (x, w) })");
  nlohmann::json report;
  Model m = runPasses(plain, "recalibrate-bn", &report);
  CHECK(report[0]["summary"]["batch_norms"] == 0);
  CHECK(m.proto.SerializeAsString() == plain.SerializeAsString());

  Error e = pipelineError(TwoBnModel().proto(), "recalibrate-bn");
  CHECK(e.code() == Exit::Usage);
  CHECK_THAT(e.message(), Catch::Contains("no data"));
  CHECK(pipelineError(TwoBnModel().proto(), "recalibrate-bn(batch=0)").code() == Exit::Usage);
}

TEST_CASE("recalibrate-bn restores the residual CNN's accuracy after filters are removed") {
  // Statistics from the first 1,000 of the bundled training subset; accuracy on the 2,000 test images.
  const std::string dir = scratchDir("recalibrate_bn_rescnn");
  const std::string pre = "scale=0.00392156862745098,mean=0.2860,std=0.3530";
  auto accuracy = [&](const std::string& model) {
    auto r = runDnnc({"eval", model, "--data", testData("fashion_test_2000_images.npy"), "--labels",
                      testData("fashion_test_2000_labels.npy"), "--scale", "1/255", "--mean", "0.2860", "--std", "0.3530",
                      "--json", "-", "-q"});
    REQUIRE(r.exit_code == 0);
    return nlohmann::json::parse(r.out)["top1"].get<double>();
  };
  auto run = [&](const std::string& passes, const std::string& out) {
    auto r = runDnnc({"run", testData("rescnn.onnx"), "-o", out, "--threads", "1", "--passes", passes});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  };
  const std::string data = "data=" + testData("fashion_train_5000_images.npy") + "," + pre + ",samples=1000";
  run("prune-structured(sparsity=0.25)", dir + "/pruned.onnx");
  run("prune-structured(sparsity=0.25),recalibrate-bn(" + data + ")", dir + "/recalibrated.onnx");
  const double original = accuracy(testData("rescnn.onnx")), pruned = accuracy(dir + "/pruned.onnx");
  const double recalibrated = accuracy(dir + "/recalibrated.onnx");
  INFO("original " << original << ", filters removed " << pruned << ", recalibrated " << recalibrated);
  CHECK(recalibrated > pruned + 0.2);
  CHECK(recalibrated > 0.5);  // 63 % measured (chance: 10 %)
}
