// The --json report of every command keeps its schema: the keys and the JSON types of their values, as
// recorded in test/golden/schema/<command>.json and documented in docs/report-schema.md. Values are not
// compared (other tests check them against independent references); a key that appears, disappears or
// changes type fails here until the golden file and the documentation say so too. To accept an intended
// change: DNNC_UPDATE_GOLDEN=1 build/test/cli "[schema]", then update docs/report-schema.md.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test/support/test_support.h"

using namespace dnnc::test;
using nlohmann::json;

namespace {

std::string typeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer";
    case json::value_t::number_float: return "number";
    case json::value_t::string: return "string";
    case json::value_t::array: return "array";
    default: return "object";
  }
}

// The shape of a document: objects map keys to shapes; arrays hold the union of their elements' shapes
// (so a list of layers is one layer's keys); scalars are their type name. A number that is sometimes an
// integer is a number; null where another element has a value is that value's shape (optional).
json shapeOf(const json& v);

json merge(const json& a, const json& b) {
  if (a == b) return a;
  if (a.is_string() && b.is_string()) {
    std::string x = a, y = b;
    if ((x == "integer" && y == "number") || (x == "number" && y == "integer")) return "number";
    if (x == "null") return y;
    if (y == "null") return x;
    return x < y ? x + "|" + y : y + "|" + x;
  }
  if (a.is_string() && a == "null") return b;
  if (b.is_string() && b == "null") return a;
  if (a.is_object() && b.is_object()) {
    json out = a;
    for (const auto& [k, v] : b.items()) out[k] = out.contains(k) ? merge(out[k], v) : v;
    return out;
  }
  if (a.is_array() && b.is_array()) {
    if (a.empty()) return b;
    if (b.empty()) return a;
    return json::array({merge(a[0], b[0])});
  }
  return "mixed";
}

json shapeOf(const json& v) {
  if (v.is_object()) {
    json out = json::object();
    for (const auto& [k, x] : v.items()) out[k] = shapeOf(x);
    return out;
  }
  if (v.is_array()) {
    if (v.empty()) return json::array();
    json element = shapeOf(v[0]);
    for (size_t i = 1; i < v.size(); ++i) element = merge(element, shapeOf(v[i]));
    return json::array({element});
  }
  return typeName(v);
}

// Where the schema of one command is kept.
std::string goldenPath(const std::string& name) {
  return std::string(DNNC_SOURCE_DIR) + "/test/golden/schema/" + name + ".json";
}

void checkSchema(const std::string& name, const std::vector<std::string>& args) {
  auto r = runDnnc(args);
  INFO(name << ": " << r.err);
  REQUIRE(r.exit_code == 0);
  json doc = json::parse(r.out);
  json shape = shapeOf(doc);
  const std::string path = goldenPath(name);
  if (const char* update = std::getenv("DNNC_UPDATE_GOLDEN"); update && std::string(update) == "1") {
    std::ofstream(path) << shape.dump(2) << "\n";
    WARN("wrote " << path);
    return;
  }
  std::ifstream in(path);
  INFO("no golden schema " << path << " (DNNC_UPDATE_GOLDEN=1 writes it)");
  REQUIRE(in.good());
  json golden = json::parse(in);
  INFO("schema of `dnnc " << name << " --json` changed; it is now:\n" << shape.dump(2));
  CHECK(shape == golden);
  // Every command's report starts with the same envelope.
  CHECK(doc["schema_version"].is_number_integer());
  CHECK(doc["tool"] == "dnnc");
  CHECK(doc["command"].is_string());
}

}  // namespace

TEST_CASE("every command's --json report keeps its schema", "[schema]") {
  const std::string dir = scratchDir("schema");
  const std::string lenet5 = testData("lenet5.onnx"), rescnn = testData("rescnn.onnx");
  std::vector<int64_t> shape;
  writeNpyFloat(dir + "/x.npy", fashionImages(64, shape), shape);
  const std::vector<std::string> data = {"--data", dir + "/x.npy"};
  const std::vector<std::string> labelled = {"--data", testData("fashion_test_2000_images.npy"), "--labels",
                                             testData("fashion_test_2000_labels.npy"), "--scale", "1/255", "--mean",
                                             "0.2860", "--std", "0.3530", "--limit", "200"};
  auto with = [](std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  checkSchema("info", {"info", lenet5, "--json"});
  checkSchema("passes", {"passes", "--json"});
  checkSchema("run", {"run", rescnn, "-o", dir + "/run.onnx", "--passes", "fold-bn,dce", "--json", "-"});
  checkSchema("prune", {"prune", lenet5, "-o", dir + "/prune.onnx", "--sparsity", "0.8", "--json", "-"});
  checkSchema("decompose", {"decompose", lenet5, "-o", dir + "/dec.onnx", "--method", "tucker", "--json", "-"});
  checkSchema("share", {"share", lenet5, "-o", dir + "/share.onnx", "--json", "-"});
  checkSchema("quantize", {"quantize", lenet5, "-o", dir + "/q.onnx", "--json", "-"});
  checkSchema("pack", {"pack", dir + "/prune.onnx", "-o", dir + "/p.dnnc", "--json", "-"});
  checkSchema("unpack", {"unpack", dir + "/p.dnnc", "-o", dir + "/u.onnx", "--json", "-"});
  checkSchema("energy", {"energy", lenet5, dir + "/prune.onnx", "--accel", "eyeriss-sparse", "--json"});
  checkSchema("eval", with({"eval", lenet5, "--json"}, labelled));
  checkSchema("stats", with({"stats", lenet5, "--snapea", "--json"}, data));
  checkSchema("stats-delta", with({"stats", lenet5, "--delta", "--frames", "--limit", "8", "--json"}, data));
  checkSchema("energy-delta", with({"energy", lenet5, "--delta", "--frames", "--json"}, data));
  checkSchema("infer", with({"infer", lenet5, "-o", dir + "/out.npz", "--json", "-"}, data));
  checkSchema("compare", with({"compare", lenet5, dir + "/prune.onnx", "--json"}, labelled));
  checkSchema("finetune", with({"finetune", lenet5, "-o", dir + "/ft.onnx", "--epochs", "1", "--json", "-"}, labelled));
  checkSchema("sensitivity", with({"sensitivity", lenet5, "--levels", "0.5", "--json"}, labelled));
  checkSchema("adapt", with({"adapt", lenet5, "-o", dir + "/adapt.onnx", "--budget", "macs=0.95", "--iterations", "1",
                             "--short-samples", "64", "--val-samples", "64", "--long-epochs", "0", "--json", "-"},
                            labelled));
  checkSchema("compress", {"compress", testData("lenet300.onnx"), "-o", dir + "/compress", "--data",
                           testData("fashion_train_5000_images.npy"), "--labels", testData("fashion_train_5000_labels.npy"),
                           "--scale", "1/255", "--mean", "0.2860", "--std", "0.3530", "--target", "size=2x",
                           "--accuracy-budget", "2", "--threads", "1", "--finetune-samples", "500", "--polish-epochs",
                           "0", "--test-data", testData("fashion_test_2000_images.npy"), "--test-labels",
                           testData("fashion_test_2000_labels.npy"), "--json", "-", "--quiet"});
}
