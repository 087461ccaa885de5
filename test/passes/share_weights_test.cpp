// share: codebooks per layer, zeros kept, Gather form and materialized form agree in ONNX Runtime,
// and the reported MSE/SQNR match a direct computation.
#include <cmath>
#include <limits>
#include <set>

#include "lib/train/hessian_diag.h"
#include "lib/ir/graph.h"
#include "test/passes/pass_test_util.h"

using namespace dnnc;
using namespace dnnc::test;

namespace {

// Conv 4x3x3x3 then Gemm 10x(4*6*6) with some zeros in both weights.
onnx::ModelProto convGemm() {
  auto m = modelFromText(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[1, 3, 8, 8] x) => (float[1, 10] y) {
      c = Conv <kernel_shape = [3, 3]> (x, wc)
      r = Relu(c)
      f = Flatten(r)
      y = Gemm <transB = 1> (f, wf, bf)
    }
  )");
  auto add = [&](const std::string& name, std::vector<int64_t> dims, uint32_t seed, bool prune) {
    int64_t n = 1;
    for (auto d : dims) n *= d;
    auto v = randomValues(size_t(n), seed);
    if (prune)
      for (size_t i = 0; i < v.size(); ++i)
        if (std::abs(v[i]) < 0.5f) v[i] = 0.0f;
    Tensor t = Tensor::fromFloats(v, dims);
    auto* p = m.mutable_graph()->add_initializer();
    p->set_name(name);
    writeTensor(t, *p);
  };
  add("wc", {4, 3, 3, 3}, 1, true);
  add("wf", {10, 144}, 2, true);
  add("bf", {10}, 3, false);
  return m;
}

std::vector<float> weightOf(const onnx::ModelProto& m, const std::string& name) {
  for (const auto& t : m.graph().initializer())
    if (t.name() == name) {
      auto r = readTensor(t, ".");
      REQUIRE(r.ok());
      return r->toFloats();
    }
  FAIL("no initializer " << name);
  return {};
}

// Every nonzero of `w` sits, in `q`, at a value of q's that is nearest to it (k-means' assignment).
void checkAtNearestValue(const std::vector<float>& w, const std::vector<float>& q) {
  std::set<float> book(q.begin(), q.end());
  book.erase(0.0f);
  REQUIRE(!book.empty());
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i] == 0.0f) continue;
    float best = *book.begin();
    for (float c : book)
      if (std::abs(w[i] - c) < std::abs(w[i] - best)) best = c;
    CHECK(std::abs(w[i] - q[i]) <= std::abs(w[i] - best) + 1e-6f);
  }
}

}  // namespace

TEST_CASE("share: Gather(codebook, indices) with uint8 indices, zeros exact, same outputs as materialized in ORT") {
  auto m = convGemm();
  nlohmann::json report;
  Model g = runPasses(m, "share(conv-bits=3,fc-bits=2)", &report);
  Model mat = runPasses(m, "share(conv-bits=3,fc-bits=2,materialize=true)");
  // Structure: two Gathers fed by Casts of uint8 initializers.
  int gathers = 0;
  for (const auto& n : g.proto.graph().node()) gathers += n.op_type() == "Gather";
  CHECK(gathers == 2);
  auto wc = weightOf(m, "wc"), wf = weightOf(m, "wf");
  auto qc = weightOf(mat.proto, "wc"), qf = weightOf(mat.proto, "wf");
  auto idx = weightOf(g.proto, "wc_indices");
  bool idx_u8 = false;
  for (const auto& t : g.proto.graph().initializer())
    if (t.name() == "wc_indices") idx_u8 = t.data_type() == onnx::TensorProto::UINT8;
  CHECK(idx_u8);
  for (size_t i = 0; i < wc.size(); ++i) {
    CHECK((wc[i] == 0.0f) == (qc[i] == 0.0f));  // zeros stay zero, nonzeros get a nonzero centroid
    CHECK((wc[i] == 0.0f) == (idx[i] == 0.0f));
  }
  std::set<float> cset(qc.begin(), qc.end()), fset(qf.begin(), qf.end());
  CHECK(cset.size() <= 8);  // 3 bits: zero + 7 centroids
  CHECK(fset.size() <= 4);
  // MSE and SQNR as reported, against a direct computation.
  double se = 0, sig = 0;
  for (size_t i = 0; i < wf.size(); ++i) se += (wf[i] - qf[i]) * (wf[i] - qf[i]), sig += wf[i] * wf[i];
  const auto& rw = report[0]["rewrites"];
  bool seen = false;
  for (const auto& r : rw)
    if (r["details"]["weight"] == "wf") {
      seen = true;
      CHECK(r["details"]["mse"].get<double>() == Approx(se / double(wf.size())).epsilon(1e-4));
      CHECK(r["details"]["sqnr_db"].get<double>() == Approx(10 * std::log10(sig / se)).epsilon(1e-4));
      // zero + at most 3 centroids (Lloyd drops clusters that end up empty)
      CHECK(r["details"]["codebook_size"].get<int>() <= 4);
      CHECK(r["details"]["codebook_size"].get<int>() >= 2);
    }
  CHECK(seen);
  auto x = randomValues(3 * 64, 9);
  requireSameOutputsInOrt(g.proto, mat.proto, {x}, {{1, 3, 8, 8}}, 1e-5);
}

TEST_CASE("share: each nonzero goes to its nearest centroid and optimal-1d has the least error") {
  auto m = convGemm();
  nlohmann::json lloyd, opt;
  Model a = runPasses(m, "share(bits=3,materialize=true)", &lloyd);
  Model b = runPasses(m, "share(bits=3,materialize=true,method=optimal-1d)", &opt);
  auto w = weightOf(m, "wf"), qa = weightOf(a.proto, "wf"), qb = weightOf(b.proto, "wf");
  checkAtNearestValue(w, qa);
  double ea = 0, eb = 0;
  for (size_t i = 0; i < w.size(); ++i) ea += (w[i] - qa[i]) * (w[i] - qa[i]), eb += (w[i] - qb[i]) * (w[i] - qb[i]);
  CHECK(eb <= ea * (1 + 1e-9));
}

TEST_CASE("share: method=hessian needs the analysis, and uses it") {
  auto m = convGemm();
  Model model;
  model.proto = m;
  auto p = parsePipeline("share(bits=2,method=hessian,materialize=true)", builtinPasses());
  REQUIRE(p.ok());
  {
    PassContext ctx;
    auto r = runPipeline(model, *p, builtinPasses(), ctx);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Exit::Usage);
  }
  // Heavy Hessian weight on one value of wf: its centroid must (nearly) equal it.
  auto w = weightOf(m, "wf");
  size_t heavy = 0;
  while (w[heavy] == 0.0f) ++heavy;
  train::HessianDiag h;
  h.diag["wf"] = std::vector<float>(w.size(), 1.0f);
  h.diag["wf"][heavy] = 1e6f;
  h.diag["wc"] = std::vector<float>(108, 1.0f);
  PassContext ctx;
  ctx.analyses.put(train::HessianDiagAnalysis{}, h);
  auto r = runPipeline(model, *p, builtinPasses(), ctx);
  INFO((r.ok() ? std::string() : r.error().message()));
  REQUIRE(r.ok());
  auto q = weightOf(model.proto, "wf");
  CHECK(q[heavy] == Approx(w[heavy]).epsilon(1e-3));
}

TEST_CASE("share on the bundled LeNet-300-100 runs in ORT and stays close to the float model") {
  auto m = loadModel(testData("lenet300.onnx"));
  REQUIRE(m.ok());
  Model s = runPasses(m->proto, "share(fc-bits=6)");
  std::vector<int64_t> shape;
  auto x = fashionImages(8, shape);
  requireSameOutputsInOrt(m->proto, s.proto, {x}, {shape}, 0.1);
}

TEST_CASE("share method=hessian computes OBD's Hessian on the calibration data and centres each cluster on "
          "its Hessian-weighted mean") {
  auto m = loadModel(testData("lenet300.onnx"));
  REQUIRE(m.ok());
  DataOptions data;
  data.path = testData("fashion_train_5000_images.npy");
  data.scale = 1.0f / 255.0f;
  data.mean = "0.2860";
  data.std = "0.3530";
  // The reference Hessian, computed here on the same 256 samples with the training library directly.
  auto set = train::loadDataset(*m, data, "", 256);
  REQUIRE(set.ok());
  auto h = train::computeHessianDiag(*m, *set, 1);
  REQUIRE(h.ok());
  const std::vector<float>* hw = h->find("fc3.weight");
  REQUIRE(hw != nullptr);
  const std::vector<float> w = weightOf(m->proto, "fc3.weight");

  Model model = *m;
  PassContext ctx;
  ctx.threads = 1;
  ctx.calibration = Calibration{data, "", 256};
  auto p = parsePipeline("share(bits=3,method=hessian,max-iter=10000,materialize=true)", builtinPasses());
  REQUIRE(p.ok());
  auto r = runPipeline(model, *p, builtinPasses(), ctx);
  INFO((r.ok() ? std::string() : r.error().message()));
  REQUIRE(r.ok());
  const std::vector<float> q = weightOf(model.proto, "fc3.weight");
  REQUIRE(q.size() == w.size());
  // Every distinct shared value is the Hessian-weighted mean of the original weights it replaced
  // (Lloyd's fixed point), and it differs from their plain mean: the weighting is really applied.
  std::map<float, std::pair<double, double>> weighted;  // value -> (sum h w, sum h)
  std::map<float, std::pair<double, int64_t>> plain;
  for (size_t i = 0; i < w.size(); ++i) {
    weighted[q[i]].first += double((*hw)[i]) * w[i], weighted[q[i]].second += (*hw)[i];
    plain[q[i]].first += w[i], ++plain[q[i]].second;
  }
  CHECK(weighted.size() == 8);
  int differs = 0;
  for (const auto& [value, sums] : weighted) {
    REQUIRE(sums.second > 0);
    CHECK(value == Approx(sums.first / sums.second).epsilon(1e-3).margin(1e-5));
    differs += std::abs(value - plain[value].first / double(plain[value].second)) > 1e-3;
  }
  CHECK(differs >= 4);
}

TEST_CASE("share method=hessian without calibration data is a usage error naming --data") {
  auto m = loadModel(testData("lenet300.onnx"));
  REQUIRE(m.ok());
  Model model = *m;
  PassContext ctx;
  auto p = parsePipeline("share(bits=3,method=hessian)", builtinPasses());
  REQUIRE(p.ok());
  auto r = runPipeline(model, *p, builtinPasses(), ctx);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Exit::Usage);
  CHECK(r.error().message().find("calibration data") != std::string::npos);
}

TEST_CASE("share: layer-bits gives named layers their own width; re-sharing a shared layer changes nothing") {
  auto m = convGemm();
  auto distinctNonzero = [](const std::vector<float>& w) {
    std::set<float> s;
    for (float v : w)
      if (v != 0.0f) s.insert(v);
    return s.size();
  };
  // wf by its weight name at 2 bits (at most 3 centroids besides zero; Lloyd may leave one empty), the
  // conv at conv-bits=5 (at most 31): counted directly on the materialized weights.
  Model a = runPasses(m, "share(conv-bits=5,fc-bits=6,layer-bits=\"wf=2\",materialize=true)");
  Model plain = runPasses(m, "share(conv-bits=5,fc-bits=6,materialize=true)");
  CHECK(distinctNonzero(weightOf(a.proto, "wf")) <= 3);
  CHECK(distinctNonzero(weightOf(plain.proto, "wf")) > 3);
  CHECK(distinctNonzero(weightOf(a.proto, "wc")) <= 31);
  CHECK(distinctNonzero(weightOf(a.proto, "wc")) > 3);
  CHECK(weightOf(a.proto, "wc") == weightOf(plain.proto, "wc"));
  // The first matching entry wins; a glob selects by node label too.
  Model b = runPasses(m, "share(bits=6,layer-bits=\"wf=1,*=3\",materialize=true)");
  CHECK(distinctNonzero(weightOf(b.proto, "wf")) == 1);
  CHECK(distinctNonzero(weightOf(b.proto, "wc")) <= 7);
  CHECK(distinctNonzero(weightOf(b.proto, "wc")) > 1);
  // Sharing the shared model again at the same or more bits keeps every value exactly.
  Model again = runPasses(b.proto, "share(bits=6,layer-bits=\"wf=1,*=3\",materialize=true)");
  CHECK(weightOf(again.proto, "wf") == weightOf(b.proto, "wf"));
  CHECK(weightOf(again.proto, "wc") == weightOf(b.proto, "wc"));
  Model wider = runPasses(b.proto, "share(bits=8,materialize=true)");
  CHECK(weightOf(wider.proto, "wc") == weightOf(b.proto, "wc"));
  // A name that selects no layer, or a width outside 1..16, is a usage error.
  for (const std::string text : {"share(layer-bits=\"nope=3\")", "share(layer-bits=\"wf=0\")", "share(layer-bits=\"wf\")"}) {
    Model model;
    model.proto = m;
    auto p = parsePipeline(text, builtinPasses());
    REQUIRE(p.ok());
    PassContext ctx;
    auto r = runPipeline(model, *p, builtinPasses(), ctx);
    INFO(text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Exit::Usage);
  }
}

TEST_CASE("share: bias-bits clusters each Conv/Gemm bias too, as plain floats at their nearest centroid") {
  auto m = convGemm();
  Model none = runPasses(m, "share(bits=3,materialize=true)");
  CHECK(weightOf(none.proto, "bf") == weightOf(m, "bf"));  // bias-bits=0: the bias is left alone
  for (const std::string method : {"linear-lloyd", "optimal-1d"}) {
    INFO(method);
    Model a = runPasses(m, "share(bits=3,bias-bits=2,method=" + method + ")");  // the Gather form for weights
    const std::vector<float> b = weightOf(m, "bf"), q = weightOf(a.proto, "bf");
    REQUIRE(q.size() == b.size());
    std::set<float> book(q.begin(), q.end());
    CHECK(book.size() <= 4);  // 2 bits, no zeros: at most 4 values
    CHECK(book.size() > 1);
    checkAtNearestValue(b, q);
  }
  CHECK(pipelineError(m, "share(bias-bits=17)").code() == Exit::Usage);  // a width outside 0..16
}

TEST_CASE("share refuses a weight with inf or NaN values, naming it, instead of a codebook of NaNs") {
  for (float bad : {std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                    std::numeric_limits<float>::quiet_NaN()}) {
    onnx::ModelProto m = convGemm();
    setWeightElement(m, "wf", 7, bad);
    for (const char* pipeline : {"share(bits=4)", "share(bits=4,method=optimal-1d)"}) {
      INFO(pipeline << " with " << bad);
      Error e = pipelineError(m, pipeline);
      CHECK(e.code() == Exit::Input);
      CHECK(e.message().find("weight 'wf'") != std::string::npos);
      CHECK(e.message().find("non-finite") != std::string::npos);
    }
  }
}
