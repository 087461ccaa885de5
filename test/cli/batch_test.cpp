// dnnc batch end to end: a folder with a broken file, a manifest with per-model settings and a timeout,
// resuming after a kill -9, and two shards merged into what one run gives. The compressed models are
// checked with `dnnc info` on the files batch wrote, not with batch's own summary.
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "test/support/test_support.h"

using namespace dnnc::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A folder holding the bundled models and one file that is not a model.
std::string zooFolder(const std::string& tag) {
  const std::string dir = scratchDir(tag) + "/models";
  fs::create_directories(dir);
  for (const char* m : {"lenet300.onnx", "lenet5.onnx", "rescnn.onnx"})
    fs::copy_file(testData(m), dir + "/" + m, fs::copy_options::overwrite_existing);
  writeBytes(dir + "/broken.onnx", "not a model");
  return dir;
}

json summaryOf(const std::string& out) { return json::parse(readBytes(out + "/summary.json")); }

// What a model's result is, whichever run or machine made it.
json essentials(const json& summary) {
  json rows = json::array();
  for (const auto& m : summary["models"])
    rows.push_back({m["id"], m["status"], m.value("before", json()), m.value("after", json()), m["key"]});
  return rows;
}

}  // namespace

TEST_CASE("batch prunes a folder, records the broken file and goes on, and resumes without redoing") {
  const std::string dir = zooFolder("batch-folder"), out = scratchDir("batch-folder") + "/out";
  auto r = runDnnc({"batch", dir, "--recipe", "prune --sparsity 0.5", "-o", out, "-j", "2", "-q"});
  INFO(r.err);
  CHECK(r.exit_code == 3);  // one model failed: invalid input
  json s = summaryOf(out);
  REQUIRE(s["models"].size() == 4);
  int ok = 0;
  for (const auto& m : s["models"]) {
    const std::string model = m["model"];
    if (model.find("broken") != std::string::npos) {
      CHECK(m["status"] == "failed");
      CHECK(m["message"].get<std::string>().find("not an ONNX model") != std::string::npos);
      continue;
    }
    CHECK(m["status"] == "ok");
    ++ok;
    // The written model, as info counts it: half the weights are zero.
    auto info = runDnnc({"info", m["output"].get<std::string>(), "--json"});
    REQUIRE(info.exit_code == 0);
    const json counted = json::parse(info.out)["model"];
    CHECK(counted["nonzero_params"] == m["after"]["nonzero_params"]);
    CHECK(counted["nonzero_params"].get<double>() < 0.56 * counted["params"].get<double>());
  }
  CHECK(ok == 3);
  CHECK(fileExists(out + "/summary.md"));
  CHECK(fileExists(out + "/summary.csv"));

  // A rerun skips all four; a lost result is redone, alone.
  const std::string lost = s["models"][1]["id"];
  fs::remove(out + "/results/" + lost + ".json");
  auto again = runDnnc({"batch", dir, "--recipe", "prune --sparsity 0.5", "-o", out, "--json"});
  CHECK(again.exit_code == 3);
  int redone = 0;
  const json again_report = json::parse(again.out);
  for (const auto& m : again_report["models"]) {
    const bool skipped = m.value("skipped", false);
    CHECK(skipped == (m["id"] != lost));
    redone += !skipped;
  }
  CHECK(redone == 1);
  CHECK(essentials(summaryOf(out)) == essentials(s));
  // Another recipe is another job.
  auto other = runDnnc({"batch", dir, "--recipe", "prune --sparsity 0.7", "-o", out, "--json"});
  const json other_report = json::parse(other.out);
  for (const auto& m : other_report["models"]) CHECK_FALSE(m.value("skipped", false));
}

TEST_CASE("batch manifest: defaults, per-model recipes and a timeout that stops one model only") {
  const std::string dir = zooFolder("batch-manifest"), out = scratchDir("batch-manifest") + "/out";
  writeBytes(dir + "/../zoo.yaml", R"(defaults:
  recipe: "prune --sparsity 0.5"
models:
  - models/lenet*.onnx
  - path: models/rescnn.onnx
    recipe: "quantize"
  - path: models/rescnn.onnx
    recipe: "finetune --epochs 5 --data )" + testData("fashion_train_5000_images.npy") + " --labels " +
                                        testData("fashion_train_5000_labels.npy") + R"("
    timeout: 0.5
)");
  auto r = runDnnc({"batch", dir + "/../zoo.yaml", "-o", out, "-q"});
  INFO(r.err);
  CHECK(r.exit_code == 3);  // the timeout is a failure of that model
  std::map<std::string, std::string> status;
  const json summary = summaryOf(out);
  for (const auto& m : summary["models"]) status[fs::path(m["model"].get<std::string>()).filename().string() + " " + m["recipe"].get<std::string>()] = m["status"];
  CHECK(status.size() == 4);
  CHECK(status["lenet300.onnx prune --sparsity 0.5"] == "ok");
  CHECK(status["lenet5.onnx prune --sparsity 0.5"] == "ok");
  CHECK(status["rescnn.onnx quantize"] == "ok");
  CHECK(status["rescnn.onnx finetune --epochs 5 --data " + testData("fashion_train_5000_images.npy") + " --labels " +
               testData("fashion_train_5000_labels.npy")] == "timeout");

  // A recipe that names its own output is refused before anything runs.
  writeBytes(dir + "/../bad.yaml", "models:\n  - {path: models/lenet5.onnx, recipe: \"prune --sparsity 0.5 -o x.onnx\"}\n");
  auto bad = runDnnc({"batch", dir + "/../bad.yaml", "-o", out + "2"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("batch chooses the output") != std::string::npos);
}

// A manifest of the bundled models and, where tools/make_zoo.py has exported them, three torchvision models.
static std::string zooManifest(const std::string& tag) {
  const std::string dir = zooFolder(tag);
  fs::remove(dir + "/broken.onnx");
  std::string yaml = "defaults:\n  recipe: \"prune --sparsity 0.6\"\nmodels:\n  - models/*.onnx\n";
  const std::string zoo = std::string(DNNC_BINARY_DIR) + "/zoo/";
  for (const char* m : {"resnet18", "squeezenet1_0", "mobilenet_v2"}) {
    if (fileExists(zoo + m + ".onnx"))
      yaml += "  - path: " + zoo + m + ".onnx\n";
    else
      WARN("skipping zoo model " << m << ": run tools/make_zoo.py --out " << zoo << " (needs python3-torch)");
  }
  const std::string manifest = fs::path(dir).parent_path().string() + "/zoo.yaml";
  writeBytes(manifest, yaml);
  return manifest;
}

TEST_CASE("batch runs a manifest with -j 2, survives kill -9 and resumes, and its GNU parallel shards merge to one run") {
  const std::string manifest = zooManifest("batch-shards"), base = scratchDir("batch-shards");
  REQUIRE(runDnnc({"batch", manifest, "-o", base + "/one", "-j", "2", "-q"}).exit_code == 0);
  const size_t models = summaryOf(base + "/one")["models"].size();
  CHECK(models >= 3);

  // Killed as soon as the first model is done; the rerun finishes the rest without redoing it.
  const std::string dnnc = std::string(DNNC_BINARY_DIR) + "/cli/dnnc";
  const std::string script = dnnc + " batch " + manifest + " -j 2 -o " + base + "/killed -q & pid=$!; " +
                             "until ls " + base + "/killed/results/*.json >/dev/null 2>&1; do sleep 0.01; done; kill -9 $pid; wait $pid; exit 0";
  REQUIRE(runProgram({"/bin/sh", "-c", script}).exit_code == 0);
  auto resumed = runDnnc({"batch", manifest, "-j", "2", "-o", base + "/killed", "--json"});
  REQUIRE(resumed.exit_code == 0);
  int skipped = 0;
  const json resumed_report = json::parse(resumed.out);
  for (const auto& m : resumed_report["models"]) skipped += m.value("skipped", false);
  CHECK(skipped >= 1);
  CHECK(essentials(summaryOf(base + "/killed")) == essentials(summaryOf(base + "/one")));

  // Two shards as two machines would run them: under GNU parallel (make test installs Debian's
  // `parallel`), then merged.
  std::string shards;
  if (runProgram({"/bin/sh", "-c", "command -v parallel"}).exit_code == 0) {
    shards = "parallel --will-cite " + dnnc + " batch " + manifest + " -o " + base + "/s{} --shard {}/2 -q ::: 1 2";
  } else {
    WARN("GNU parallel is not installed (Debian package parallel): running the two shards with sh & instead");
    shards = dnnc + " batch " + manifest + " -o " + base + "/s1 --shard 1/2 -q & " + dnnc + " batch " + manifest + " -o " +
             base + "/s2 --shard 2/2 -q & wait";
  }
  REQUIRE(runProgram({"/bin/sh", "-c", shards}).exit_code == 0);
  const size_t in1 = summaryOf(base + "/s1")["models"].size(), in2 = summaryOf(base + "/s2")["models"].size();
  CHECK(in1 + in2 == models);
  CHECK(in1 >= 1);
  CHECK(in2 >= 1);
  auto merged = runDnnc({"batch", "--merge", base + "/s1", base + "/s2", "-o", base + "/merged", "-q"});
  REQUIRE(merged.exit_code == 0);
  CHECK(essentials(summaryOf(base + "/merged")) == essentials(summaryOf(base + "/one")));
}

TEST_CASE("batch scores each model before and after: accuracy on data, modelled energy and latency") {
  const std::string base = scratchDir("batch-score"), dir = base + "/models";
  fs::create_directories(dir);
  fs::copy_file(testData("lenet5.onnx"), dir + "/lenet5.onnx");
  const std::string eval = "--data " + testData("fashion_test_2000_images.npy") + " --labels " +
                           testData("fashion_test_2000_labels.npy") + " --scale 1/255 --mean 0.2860 --std 0.3530 --limit 500";
  auto r = runDnnc({"batch", dir, "--recipe", "prune --sparsity 0.9", "--eval", eval, "--energy", "--accel eyeriss-sparse",
                    "-o", base + "/out", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json s = summaryOf(base + "/out");
  REQUIRE(s["models"].size() == 1);
  const json& m = s["models"][0];
  // The same figures as dnnc eval and dnnc energy give on the files themselves.
  auto before = runDnnc({"eval", testData("lenet5.onnx"), "--data", testData("fashion_test_2000_images.npy"), "--labels",
                         testData("fashion_test_2000_labels.npy"), "--scale", "1/255", "--mean", "0.2860", "--std", "0.3530", "--limit", "500", "--json"});
  auto after = runDnnc({"eval", m["output"].get<std::string>(), "--data", testData("fashion_test_2000_images.npy"), "--labels",
                        testData("fashion_test_2000_labels.npy"), "--scale", "1/255", "--mean", "0.2860", "--std", "0.3530", "--limit", "500", "--json"});
  REQUIRE(before.exit_code == 0);
  REQUIRE(after.exit_code == 0);
  CHECK(m["accuracy_before"] == json::parse(before.out)["top1"]);
  CHECK(m["accuracy_after"] == json::parse(after.out)["top1"]);
  CHECK(m["accuracy_before"].get<double>() > 0.8);  // LeNet-5 on Fashion-MNIST (top-1 as a fraction)
  auto energy = runDnnc({"energy", testData("lenet5.onnx"), m["output"].get<std::string>(), "--accel", "eyeriss-sparse", "--json"});
  REQUIRE(energy.exit_code == 0);
  CHECK(m["energy_ratio"] == json::parse(energy.out)["ratios"]["energy"]);
  CHECK(m["energy_ratio"].get<double>() < 1.0);  // 90 % of the weights gone: less energy on a zero-gating chip
  CHECK(readBytes(base + "/out/summary.csv").find("accuracy_before") != std::string::npos);

  // A scoring step that fails is the model's failure, named.
  auto bad = runDnnc({"batch", dir, "--recipe", "prune --sparsity 0.9", "--eval", "--data /nonexistent.npy", "-o", base + "/bad", "-q"});
  CHECK(bad.exit_code == 3);
  const json b = summaryOf(base + "/bad");
  CHECK(b["models"][0]["status"] == "failed");
  CHECK(b["models"][0]["failed_step"] == "eval");
}
