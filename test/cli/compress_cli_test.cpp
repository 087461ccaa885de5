// dnnc compress from the command line, on LeNet-300-100 and the bundled 5,000 training images with small
// time budgets: the contract, not the headline ratios (docs/results.md has those). The held-out accuracy
// the report claims is recomputed in ONNX Runtime on the held-out split the search wrote; the outputs pass
// the checker and run in ONNX Runtime; the pipeline text of the final model rebuilds it with `dnnc run`;
// a search stopped by its time budget, or killed, resumes from its workdir; an impossible goal exits 4 with the best
// model written; bad input exits 3 (2 for bad flags) with one line.
#include <catch2/catch.hpp>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <cmath>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <nlohmann/json.hpp>

#include "lib/ir/onnx_io.h"
#include "lib/ir/tensor.h"
#include "test/support/test_support.h"

using namespace dnnc::test;

namespace {

const std::vector<std::string> kPreprocess = {"--scale", "1/255", "--mean", "0.2860", "--std", "0.3530"};

std::vector<std::string> compressArgs(const std::string& out, const std::string& workdir,
                                      const std::vector<std::string>& extra, const std::string& polish_epochs = "0") {
  std::vector<std::string> args = {"compress", testData("lenet300.onnx"), "-o", out,
                                   "--data", testData("fashion_train_5000_images.npy"),
                                   "--labels", testData("fashion_train_5000_labels.npy"),
                                   "--threads", "1", "--finetune-samples", "1500", "--polish-epochs", polish_epochs};
  args.insert(args.end(), kPreprocess.begin(), kPreprocess.end());
  if (!workdir.empty()) args.insert(args.end(), {"--workdir", workdir});
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// Top-1 (%) of a model in ONNX Runtime on uint8 images and labels (.npy), normalised as the models expect.
double ortAccuracy(const std::string& model, const std::string& images, const std::string& labels) {
  std::vector<int64_t> shape, lshape;
  std::vector<float> x = readNpyAsFloat(images, shape);
  std::vector<float> y = readNpyAsFloat(labels, lshape);
  for (float& v : x) v = (v / 255.0f - 0.2860f) / 0.3530f;
  auto ort = runOrt(model, {x}, {shape});
  INFO(ort.error);
  REQUIRE(ort.ok);
  const auto& logits = ort.values[0];
  REQUIRE(logits.size() == y.size() * 10);
  int64_t right = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    auto row = logits.begin() + long(i * 10);
    right += (std::max_element(row, row + 10) - row) == long(y[i]);
  }
  return 100.0 * double(right) / double(y.size());
}

// Runs a search, which meets its goals (exit 0) or not (4), and returns the report it wrote with --json.
nlohmann::json searchReport(const std::vector<std::string>& args, const std::string& report) {
  auto r = runDnnc(args);
  INFO(r.err);
  REQUIRE((r.exit_code == 0 || r.exit_code == 4));
  return nlohmann::json::parse(readBytes(report));
}

// A workdir to resume a search from in a given phase: a short LeNet-300-100 search (goal `goal`) makes it,
// then its current model becomes the input after `passes`, and its state records `phase`, that model's
// packed size and held-out accuracy, and the knobs as `edit` leaves them.
struct ResumePoint {
  double bytes;       // the current model's packed size
  size_t done_steps;  // the steps in the state before the resume
};
ResumePoint resumeAt(const std::string& dir, const std::string& wd, const std::vector<std::string>& goal,
                const std::string& passes, const std::string& phase,
                const std::function<void(nlohmann::json&)>& edit) {
  auto extra = goal;
  extra.insert(extra.end(), {"--time-budget", "1", "--json", dir + "/first.json"});
  searchReport(compressArgs(dir + "/m", wd, extra), dir + "/first.json");
  const std::string current = wd + "/current.onnx";
  REQUIRE(runDnnc({"run", testData("lenet300.onnx"), "-o", current, "--force", "--quiet", "--passes", passes}).exit_code == 0);
  REQUIRE(runDnnc({"pack", current, "-o", dir + "/current.dnnc", "--quiet"}).exit_code == 0);
  std::vector<std::string> eval = {"eval", current, "--data", wd + "/val_images.npy", "--labels",
                                   wd + "/val_labels.npy", "--json", dir + "/eval.json", "--quiet"};
  eval.insert(eval.end(), kPreprocess.begin(), kPreprocess.end());
  REQUIRE(runDnnc(eval).exit_code == 0);
  auto saved = nlohmann::json::parse(readBytes(wd + "/state.json"));
  auto& state = saved["state"];
  const double bytes = double(readBytes(dir + "/current.dnnc").size());
  state["phase"] = phase;
  state["current"]["values"][0] = bytes;
  state["current"]["accuracy"] = 100.0 * nlohmann::json::parse(readBytes(dir + "/eval.json"))["top1"].get<double>();
  for (auto& k : state["knobs"]) edit(k);
  writeBytes(wd + "/state.json", saved.dump());
  return {bytes, state["steps"].size()};
}

// The search resumed from the workdir for at most 30 s: its report.
nlohmann::json resumedReport(const std::string& dir, const std::string& wd, std::vector<std::string> args,
                             const std::string& polish_epochs = "0") {
  args.insert(args.end(), {"--time-budget", "30", "--json", dir + "/second.json"});
  return searchReport(compressArgs(dir + "/m", wd, args, polish_epochs), dir + "/second.json");
}

// Checks that every bias of the search's model DIR/m.onnx takes at most 2^bits values; returns how many
// biases it has.
int checkBiasesShared(const std::string& dir, int bits) {
  auto model = dnnc::loadModel(dir + "/m.onnx");
  REQUIRE(model);
  int biases = 0;
  for (const auto& t : model->graph().initializer()) {
    if (t.name().find("bias") == std::string::npos) continue;
    auto tensor = dnnc::readTensor(t, dir);
    REQUIRE(tensor);
    std::vector<float> v = tensor->toFloats();
    std::sort(v.begin(), v.end());
    CHECK(std::unique(v.begin(), v.end()) - v.begin() <= (1 << bits));
    ++biases;
  }
  return biases;
}

// `dnnc run` of the report's pipeline on the input rebuilds the search's model OUT_DIR/m.onnx: ONNX Runtime
// scores the two the same on the workdir's held-out split, as the report says. That accuracy, or none when
// ONNX Runtime is not installed.
std::optional<double> rebuiltHeldOutAccuracy(const std::string& input, const nlohmann::json& report,
                                             const std::string& dir, const std::string& wd) {
  auto rerun = runDnnc({"run", input, "-o", dir + "/rerun.onnx", "--passes", report["pipeline"].get<std::string>(),
                        "--threads", "1", "--quiet"});
  INFO(rerun.err);
  REQUIRE(rerun.exit_code == 0);
  if (ortRunner().empty()) {
    WARN("ONNX Runtime not installed: skipping the held-out accuracy check");
    return std::nullopt;
  }
  const double rebuilt = ortAccuracy(dir + "/rerun.onnx", wd + "/val_images.npy", wd + "/val_labels.npy");
  CHECK(rebuilt == ortAccuracy(dir + "/m.onnx", wd + "/val_images.npy", wd + "/val_labels.npy"));
  CHECK(std::abs(rebuilt - report["accuracy"]["final"].get<double>()) < 1e-9);
  return rebuilt;
}

}  // namespace

TEST_CASE("compress keeps the accuracy budget on the held-out split and writes runnable outputs", "[compress-cli]") {
  const std::string dir = scratchDir("compress_cli");
  const std::string wd = dir + "/work";
  auto r = runDnnc(compressArgs(dir + "/small", wd,
                                {"--target", "size=4x", "--accuracy-budget", "1", "--time-budget", "40", "--json",
                                 dir + "/report.json", "--html", dir + "/report.html", "--quiet"}));
  INFO(r.err);
  // Met (0), or not within the time budget on a loaded machine (4): both write the best model.
  REQUIRE((r.exit_code == 0 || r.exit_code == 4));
  CHECK(r.err.empty() == (r.exit_code == 0));
  REQUIRE(fileExists(dir + "/small.onnx"));
  REQUIRE(fileExists(dir + "/small.dnnc"));
  const auto j = nlohmann::json::parse(readBytes(dir + "/report.json"));
  CHECK(j["met"].get<bool>() == (r.exit_code == 0));

  // The held-out split is not the data the search trained on: the two parts partition the input.
  std::vector<int64_t> vshape, tshape;
  readNpyAsFloat(wd + "/val_labels.npy", vshape);
  readNpyAsFloat(wd + "/train_labels.npy", tshape);
  CHECK(vshape[0] == 500);
  CHECK(vshape[0] + tshape[0] == 5000);
  for (const auto& step : j["search"]["steps"]) {
    CHECK(step["pipeline"].get<std::string>().find("val_images") == std::string::npos);
    CHECK(step["pipeline"].get<std::string>().find("recalibrate-bn") == std::string::npos);  // no BatchNormalization
  }

  // The outputs pass the checker and the packed size is the file's.
  auto model = dnnc::loadModel(dir + "/small.onnx");
  REQUIRE(model);
  CHECK(dnnc::checkModel(*model).ok());
  CHECK(j["targets"][0]["final"].get<double>() == double(readBytes(dir + "/small.dnnc").size()));
  auto unpacked = runDnnc({"unpack", dir + "/small.dnnc", "-o", dir + "/unpacked.onnx"});
  REQUIRE(unpacked.exit_code == 0);

  if (ortRunner().empty()) {
    WARN("ONNX Runtime not installed: skipping the held-out accuracy check");
    return;
  }
  // The accuracies the report claims, recomputed in ONNX Runtime: the budget holds.
  const double before = ortAccuracy(testData("lenet300.onnx"), wd + "/val_images.npy", wd + "/val_labels.npy");
  const double after = ortAccuracy(dir + "/small.onnx", wd + "/val_images.npy", wd + "/val_labels.npy");
  CHECK(std::abs(before - j["accuracy"]["original"].get<double>()) < 1e-9);
  CHECK(std::abs(after - j["accuracy"]["final"].get<double>()) < 1e-9);
  CHECK(after >= before - 1.0);
  CHECK(ortAccuracy(dir + "/unpacked.onnx", wd + "/val_images.npy", wd + "/val_labels.npy") == after);

  // The report's pipeline rebuilds the final model with `dnnc run` on the input.
  const std::string pipeline = j["pipeline"].get<std::string>();
  if (!pipeline.empty()) {
    auto rerun = runDnnc({"run", testData("lenet300.onnx"), "-o", dir + "/rerun.onnx", "--passes", pipeline,
                          "--threads", "1", "--quiet"});
    INFO(rerun.err);
    REQUIRE(rerun.exit_code == 0);
    CHECK(ortAccuracy(dir + "/rerun.onnx", wd + "/val_images.npy", wd + "/val_labels.npy") == after);
  }
  // The trajectory went to the workdir as CSV, a row per step after the original's.
  const std::string csv = readBytes(wd + "/trajectory.csv");
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 2 + long(j["search"]["steps"].size()));
  CHECK(!j["pareto"].empty());
  // --html: the page charts the Pareto front, one point per front entry, labelled by its step.
  const std::string html = readBytes(dir + "/report.html");
  CHECK(html.find("dnnc compress") != std::string::npos);
  CHECK(html.find("<svg") != std::string::npos);
  for (const auto& p : j["pareto"]) CHECK(html.find("<td>" + p["step"].dump() + "</td>") != std::string::npos);
}

TEST_CASE("compress towards a MAC goal removes filters and keeps the budget in ONNX Runtime", "[compress-cli]") {
  const std::string dir = scratchDir("compress_macs");
  const std::string wd = dir + "/work";
  std::vector<std::string> args = compressArgs(dir + "/m", wd,
                                               {"--target", "macs=0.7", "--accuracy-budget", "1", "--time-budget", "40",
                                                "--json", dir + "/report.json", "--quiet"});
  args[1] = testData("lenet5.onnx");
  auto r = runDnnc(args);
  INFO(r.err);
  REQUIRE((r.exit_code == 0 || r.exit_code == 4));
  const auto j = nlohmann::json::parse(readBytes(dir + "/report.json"));
  CHECK(!j["search"]["groups"].empty());  // filter groups are searched for a MAC goal
  auto model = dnnc::loadModel(dir + "/m.onnx");
  REQUIRE(model);
  CHECK(dnnc::checkModel(*model).ok());
  if (ortRunner().empty()) {
    WARN("ONNX Runtime not installed: skipping the held-out accuracy check");
    return;
  }
  const double before = ortAccuracy(testData("lenet5.onnx"), wd + "/val_images.npy", wd + "/val_labels.npy");
  const double after = ortAccuracy(dir + "/m.onnx", wd + "/val_images.npy", wd + "/val_labels.npy");
  CHECK(std::abs(after - j["accuracy"]["final"].get<double>()) < 1e-9);
  CHECK(after >= before - 1.0);
}

TEST_CASE("compress stopped by its time budget resumes from its workdir", "[compress-cli]") {
  const std::string dir = scratchDir("compress_resume");
  const std::string wd = dir + "/work";
  const std::vector<std::string> goal = {"--target", "size=30x", "--accuracy-budget", "1", "--quiet"};
  auto extra = goal;
  extra.insert(extra.end(), {"--time-budget", "3", "--json", dir + "/first.json"});
  auto first = runDnnc(compressArgs(dir + "/m", wd, extra));
  INFO(first.err);
  REQUIRE((first.exit_code == 0 || first.exit_code == 4));
  const auto a = nlohmann::json::parse(readBytes(dir + "/first.json"));
  REQUIRE(a["stop_reason"] == "time budget spent");
  REQUIRE(fileExists(wd + "/state.json"));

  extra = goal;
  extra.insert(extra.end(), {"--time-budget", "6", "--json", dir + "/second.json"});
  auto second = runDnnc(compressArgs(dir + "/m", wd, extra));
  INFO(second.err);
  REQUIRE((second.exit_code == 0 || second.exit_code == 4));
  const auto b = nlohmann::json::parse(readBytes(dir + "/second.json"));
  // The second run continues the first one's trajectory: its steps come first, unchanged.
  const auto& s1 = a["search"]["steps"];
  const auto& s2 = b["search"]["steps"];
  REQUIRE(s2.size() >= s1.size());
  for (size_t i = 0; i < s1.size(); ++i) CHECK(s2[i] == s1[i]);
  CHECK(b["search"]["seconds"].get<double>() >= a["search"]["seconds"].get<double>());
  CHECK(b["accuracy"]["original"] == a["accuracy"]["original"]);

  // Another goal in the same workdir is refused: it holds a different search.
  auto other = runDnnc(compressArgs(dir + "/m", wd, {"--target", "size=10x", "--accuracy-budget", "1"}));
  CHECK(other.exit_code == 3);
  CHECK(other.err.find("another model or other settings") != std::string::npos);
}

TEST_CASE("compress killed in its first step resumes from its workdir without measuring the original again", "[compress-cli]") {
  const std::string dir = scratchDir("compress_killed");
  const std::string wd = dir + "/work";
  const std::vector<std::string> goal = {"--target", "size=30x", "--accuracy-budget", "1"};
  // Killed as soon as the workdir holds a state: the start, before any step has ended.
  std::string command = std::string(DNNC_BINARY_DIR) + "/cli/dnnc";
  for (const auto& a : compressArgs(dir + "/m", wd, goal)) command += " '" + a + "'";
  const std::string script = command + " -q & pid=$!; until [ -e " + wd + "/state.json ] || ! kill -0 $pid 2>/dev/null; " +
                             "do sleep 0.01; done; kill -9 $pid; wait $pid; exit 0";
  REQUIRE(runProgram({"/bin/sh", "-c", script}).exit_code == 0);
  const auto saved = nlohmann::json::parse(readBytes(wd + "/state.json"));
  CHECK(saved["state"]["steps"].empty());
  const double original = saved["state"]["original"]["accuracy"].get<double>();
  CHECK(original > 80.0);  // LeNet-300-100 on Fashion-MNIST, measured before the kill

  auto extra = goal;
  extra.insert(extra.end(), {"--time-budget", "1", "--json", dir + "/rerun.json"});
  auto rerun = runDnnc(compressArgs(dir + "/m", wd, extra));
  INFO(rerun.err);
  REQUIRE((rerun.exit_code == 0 || rerun.exit_code == 4));
  CHECK(rerun.err.find("resuming from " + wd + " at step 0") != std::string::npos);
  CHECK(nlohmann::json::parse(readBytes(dir + "/rerun.json"))["accuracy"]["original"].get<double>() == original);
}

TEST_CASE("compress retrains longer when reprune runs out of moves, and reopens them when that helps", "[compress-cli]") {
  const std::string dir = scratchDir("compress_recover");
  const std::string wd = dir + "/work";
  const std::vector<std::string> goal = {"--target", "size=50x", "--accuracy-budget", "1", "--quiet"};
  auto extra = goal;
  extra.insert(extra.end(), {"--time-budget", "2", "--json", dir + "/first.json"});
  auto first = runDnnc(compressArgs(dir + "/m", wd, extra, "1"));
  INFO(first.err);
  REQUIRE((first.exit_code == 0 || first.exit_code == 4));
  // Resume as if reprune had tried every move: every layer's pruning done, the layers shared.
  auto saved = nlohmann::json::parse(readBytes(wd + "/state.json"));
  auto& state = saved["state"];
  const size_t done_steps = state["steps"].size();
  state["phase"] = "reprune";
  for (auto& k : state["knobs"]) k["prune_done"] = true, k["bits"] = 6, k["bits_done"] = true;
  writeBytes(wd + "/state.json", saved.dump());
  extra = goal;
  extra.insert(extra.end(), {"--time-budget", "20", "--json", dir + "/second.json"});
  auto second = runDnnc(compressArgs(dir + "/m", wd, extra, "1"));
  INFO(second.err);
  REQUIRE((second.exit_code == 0 || second.exit_code == 4));
  const auto steps = nlohmann::json::parse(readBytes(dir + "/second.json"))["search"]["steps"];
  REQUIRE(steps.size() > done_steps);
  const auto& recover = steps[done_steps];
  CHECK(recover["phase"] == "reprune");
  CHECK(recover["move"] == "recover");
  // A cosine epoch over the whole training part (no limit=), distilled from the input like every retraining.
  const std::string text = recover["pipeline"].get<std::string>();
  CHECK(text.find("finetune(") == 0);
  CHECK(text.find("schedule=cosine") != std::string::npos);
  CHECK(text.find("limit=") == std::string::npos);
  CHECK(text.find("teacher=") != std::string::npos);
  // Kept: the reprune moves come back; not kept: the search goes on to polish.
  if (steps.size() > done_steps + 1) {
    const auto& next = steps[done_steps + 1];
    if (recover["accepted"].get<bool>()) {
      CHECK(next["phase"] == "reprune");
      CHECK(next["move"] == "prune");
    } else {
      CHECK(next["phase"] == "polish");
    }
  }
  long recovers = 0;
  for (const auto& s : steps) recovers += s["move"] == "recover";
  CHECK(recovers <= 10);
}

TEST_CASE("compress proposes a larger prune step where a small one buys nothing, as on a dense shared layer", "[compress-cli]") {
  const std::string dir = scratchDir("compress_grow_step");
  const std::string wd = dir + "/work";
  const std::vector<std::string> goal = {"--target", "size=50x", "--accuracy-budget", "1", "--quiet", "--stretch-epochs", "0"};
  // Resume in reprune from LeNet-300-100 shared densely at 3 bits, with fc1 the only layer left to prune.
  // A quarter of a dense shared fc1 pruned leaves its packed size as it is (its zeros are one more value),
  // so that proposal buys nothing; the step must double rather than end the phase there.
  const auto [bytes, done_steps] = resumeAt(dir, wd, goal, "share(bits=3,materialize=true)", "reprune", [](nlohmann::json& k) {
    k["bits"] = 3, k["bits_done"] = true, k["sparsity"] = 0.0, k["step"] = 0.25;
    k["prune_done"] = k["layer"] != "/fc1/Gemm";
  });
  REQUIRE(runDnnc({"run", wd + "/current.onnx", "-o", dir + "/quarter.onnx", "--quiet", "--passes",
                   "prune-magnitude(layer-sparsity=\"/fc1/Gemm=0.25\")"}).exit_code == 0);
  REQUIRE(runDnnc({"pack", dir + "/quarter.onnx", "-o", dir + "/quarter.dnnc", "--quiet"}).exit_code == 0);
  REQUIRE(double(readBytes(dir + "/quarter.dnnc").size()) >= bytes);  // the premise: a quarter buys nothing
  const auto report = resumedReport(dir, wd, goal);
  const auto& steps = report["search"]["steps"];
  INFO(steps.dump(1));
  REQUIRE(steps.size() > done_steps);
  const auto& move = steps[done_steps];
  CHECK(move["phase"] == "reprune");
  CHECK(move["move"] == "prune");
  CHECK(move["layer"] == "/fc1/Gemm");
  CHECK(move["pipeline"].get<std::string>().find("prune-magnitude(layer-sparsity=\"/fc1/Gemm=0.5\")") == 0);
  // A grown step that is rejected ends the layer: halved, it would buy nothing and grow again, for ever.
  if (!move["accepted"].get<bool>() && report["stop_reason"] != "time budget spent")
    for (const auto& k : report["search"]["knobs"])
      if (k["layer"] == "/fc1/Gemm") CHECK(k["prune_done"].get<bool>());
}

TEST_CASE("compress shares the biases one-shot before the final polish, when a size goal is still unmet", "[compress-cli]") {
  const std::string dir = scratchDir("compress_biases");
  const std::string wd = dir + "/work";
  const std::vector<std::string> goal = {"--target", "size=50x", "--accuracy-budget", "1", "--quiet", "--stretch-epochs", "0"};
  // Resume at the biases phase from LeNet-300-100 with every layer shared at 6 bits and float biases.
  const auto [bytes, done_steps] = resumeAt(dir, wd, goal, "share(bits=6,materialize=true)", "biases", [](nlohmann::json& k) {
    k["bits"] = 6, k["bits_done"] = true, k["prune_done"] = true, k["sparsity"] = 0.0;
  });
  const auto report = resumedReport(dir, wd, goal);
  const auto& steps = report["search"]["steps"];
  INFO(steps.dump(1));
  REQUIRE(steps.size() == done_steps + 1);  // one step, then the search is over
  const auto& step = steps[done_steps];
  CHECK(step["phase"] == "biases");
  CHECK(step["move"] == "bias-bits");
  const std::string text = step["pipeline"].get<std::string>();
  CHECK(text.find("share(layer-bits=\"/fc1/Gemm=6,/fc2/Gemm=6,/fc3/Gemm=6\",materialize=true") == 0);
  CHECK(text.find("finetune(") == std::string::npos);  // one-shot: retraining would train the biases apart
  if (!step["accepted"].get<bool>()) return;
  const size_t at = text.find("bias-bits=");
  REQUIRE(at != std::string::npos);
  const int bits = std::stoi(text.substr(at + 10));
  CHECK(bits >= 2);
  CHECK(bits <= 8);
  CHECK(step["accuracy"].get<double>() >= report["accuracy"]["original"].get<double>() - 1.0);
  CHECK(step["values"][0].get<double>() < bytes);
  // The written model's biases take at most 2^bits values each, and its .dnnc is the size the step claims.
  CHECK(double(readBytes(dir + "/m.dnnc").size()) == step["values"][0].get<double>());
  CHECK(checkBiasesShared(dir, bits) == 3);
}

TEST_CASE("compress keeps the final polish when it keeps the budget, its shared biases frozen", "[compress-cli]") {
  // Every step was chosen on the held-out set, so the search's score there is biased upwards; polish is
  // judged by the budget alone. Resumed at polish with LeNet-300-100 shared at 6 bits (50x unmet, so the
  // biases step comes first) and the current held-out score set to 100 %, which no retraining can raise:
  // the polish must still be kept when it is within the budget, and must leave shared biases shared.
  const std::string dir = scratchDir("compress_polish");
  const std::string wd = dir + "/work";
  const std::vector<std::string> goal = {"--target", "size=50x", "--accuracy-budget", "1", "--quiet", "--stretch-epochs", "0"};
  const auto [bytes, done_steps] = resumeAt(dir, wd, goal, "share(bits=6,materialize=true)", "polish", [](nlohmann::json& k) {
    k["bits"] = 6, k["bits_done"] = true, k["prune_done"] = true, k["sparsity"] = 0.0;
  });
  auto saved = nlohmann::json::parse(readBytes(wd + "/state.json"));
  saved["state"]["current"]["accuracy"] = 100.0;
  writeBytes(wd + "/state.json", saved.dump());
  const auto report = resumedReport(dir, wd, goal, "1");
  const auto& steps = report["search"]["steps"];
  INFO(steps.dump(1));
  REQUIRE(steps.size() == done_steps + 2);
  const auto& biases = steps[done_steps];
  const auto& polish = steps[done_steps + 1];
  CHECK(biases["phase"] == "biases");
  CHECK(polish["phase"] == "polish");
  CHECK(polish["move"] == "finetune");
  const double floor = report["accuracy"]["original"].get<double>() - 1.0;
  REQUIRE(polish["accuracy"].get<double>() >= floor);  // one epoch at half the rate keeps LeNet-300-100 within 1 pt
  CHECK(polish["accuracy"].get<double>() < 100.0);
  CHECK(polish["accepted"].get<bool>());
  const std::string text = polish["pipeline"].get<std::string>();
  CHECK(report["pipeline"].get<std::string>().find(text) != std::string::npos);
  if (!biases["accepted"].get<bool>()) return;
  // The biases were shared: polish froze them, and the written model's still take at most 2^bits values.
  CHECK(text.find("freeze=\"fc1.bias,fc2.bias,fc3.bias\"") != std::string::npos);
  const std::string shared = biases["pipeline"].get<std::string>();
  const int bits = std::stoi(shared.substr(shared.find("bias-bits=") + 10));
  CHECK(checkBiasesShared(dir, bits) == 3);
}

TEST_CASE("compress towards a MAC goal recalibrates after filter moves and retrains longer when prune runs out", "[compress-cli]") {
  const std::string dir = scratchDir("compress_recover_macs");
  const std::string wd = dir + "/work";
  auto run = [&](const std::string& budget, const std::string& json) {
    std::vector<std::string> args = compressArgs(dir + "/m", wd,
                                                 {"--target", "macs=0.2", "--accuracy-budget", "1", "--quiet",
                                                  "--stretch-epochs", "0", "--time-budget", budget, "--json", json}, "1");
    args[1] = testData("rescnn.onnx");
    auto r = runDnnc(args);
    INFO(r.err);
    REQUIRE((r.exit_code == 0 || r.exit_code == 4));
    return nlohmann::json::parse(readBytes(json))["search"]["steps"];
  };
  // Prune and filter moves re-estimate the BatchNormalization statistics on the training part.
  auto checkRecalibrated = [&](const nlohmann::json& steps) {
    for (const auto& s : steps)
      if (s["move"] == "prune" || s["move"] == "filters")
        CHECK(s["pipeline"].get<std::string>().find(",recalibrate-bn(data=\"" + wd + "/train_images.npy\"") !=
              std::string::npos);
  };
  // Resumes the workdir's search with every layer's pruning done, and the filter groups open or done.
  auto resumeWith = [&](bool groups_done) {
    auto saved = nlohmann::json::parse(readBytes(wd + "/state.json"));
    auto& state = saved["state"];
    REQUIRE(!state["groups"].empty());
    state["phase"] = "prune";
    for (auto& k : state["knobs"]) k["prune_done"] = true, k["decomposable"] = false;
    for (auto& g : state["groups"]) g["done"] = groups_done;
    writeBytes(wd + "/state.json", saved.dump());
    return state["steps"].size();
  };
  // At least one step, so that the workdir holds a state (a loaded machine may need a longer budget).
  for (int budget = 3; !fileExists(wd + "/state.json") && budget < 100; budget *= 2)
    checkRecalibrated(run(std::to_string(budget), dir + "/first.json"));

  // Only filter moves are left: the next step is one. (A budget that ends inside the step's retraining
  // abandons it and leaves the state as it was: the next run, with more time, tries again.)
  size_t done_steps = resumeWith(false);
  nlohmann::json steps = nlohmann::json::array();
  for (int budget = 4; steps.size() <= done_steps && budget < 200; budget *= 2) steps = run(std::to_string(budget), dir + "/filters.json");
  REQUIRE(steps.size() > done_steps);
  CHECK(steps[done_steps]["move"] == "filters");
  CHECK(steps[done_steps]["pipeline"].get<std::string>().find("prune-structured(") == 0);
  checkRecalibrated(steps);

  // Nothing left: one longer retraining, in the prune phase.
  done_steps = resumeWith(true);
  steps = run("30", dir + "/recover.json");
  REQUIRE(steps.size() > done_steps);
  const auto& recover = steps[done_steps];
  CHECK(recover["phase"] == "prune");
  CHECK(recover["move"] == "recover");
  CHECK(recover["pipeline"].get<std::string>().find("schedule=cosine") != std::string::npos);
  if (steps.size() > done_steps + 1) CHECK(steps[done_steps + 1]["phase"] == (recover["accepted"].get<bool>() ? "prune" : "polish"));

  // The report's pipeline, recalibrations included, rebuilds the final model with `dnnc run`.
  const auto j = nlohmann::json::parse(readBytes(dir + "/recover.json"));
  rebuiltHeldOutAccuracy(testData("rescnn.onnx"), j, dir, wd);
}

TEST_CASE("compress towards an energy goal raises the activation cut-offs, and the pipeline rebuilds the model", "[compress-cli]") {
  const std::string dir = scratchDir("compress_activations");
  const std::string wd = dir + "/work";
  const std::string held_out_x = wd + "/val_images.npy";
  auto run = [&](const std::string& budget, const std::string& json) {
    std::vector<std::string> args = compressArgs(dir + "/m", wd,
                                                 {"--target", "energy=0.2", "--accel", "eyeriss-sparse",
                                                  "--accuracy-budget", "5", "--quiet", "--stretch-epochs", "0",
                                                  "--time-budget", budget, "--json", json});
    args[1] = testData("rescnn.onnx");
    return searchReport(args, json);
  };
  for (int budget = 3; !fileExists(wd + "/state.json") && budget < 100; budget *= 2) run(std::to_string(budget), dir + "/first.json");
  // Resumed with every weight, filter and decompose move done: the activation move is what is left.
  auto saved = nlohmann::json::parse(readBytes(wd + "/state.json"));
  auto& state = saved["state"];
  REQUIRE(state["activations"]["done"] == false);  // an energy goal opens it
  state["phase"] = "prune";
  for (auto& k : state["knobs"]) k["prune_done"] = true, k["decomposable"] = false;
  for (auto& g : state["groups"]) g["done"] = true;
  writeBytes(wd + "/state.json", saved.dump());
  const size_t done_steps = state["steps"].size();
  auto energyOf = [&](const std::string& model) {
    std::vector<std::string> args = {"energy", model, "--accel", "eyeriss-sparse", "--data", held_out_x, "--json"};
    args.insert(args.end(), kPreprocess.begin(), kPreprocess.end());
    auto e = runDnnc(args);
    REQUIRE(e.exit_code == 0);
    return nlohmann::json::parse(e.out)["total"]["energy"].get<double>();
  };
  const double energy_before = energyOf(wd + "/current.onnx");

  nlohmann::json j = run("120", dir + "/second.json");
  const auto& steps = j["search"]["steps"];
  INFO(steps.dump(1));
  REQUIRE(steps.size() > done_steps);
  const auto& step = steps[done_steps];
  CHECK(step["move"] == "activations");
  // The first target is half of what the Relus leave nonzero past 50 %, calibrated on the training part,
  // and the BatchNormalization statistics behind the cut-offs are re-estimated.
  const std::string text = step["pipeline"].get<std::string>();
  CHECK(text.find("prune-activations(sparsity=0.625,data=\"" + wd + "/train_images.npy\"") == 0);
  CHECK(text.find(",recalibrate-bn(") != std::string::npos);
  REQUIRE(step["accepted"].get<bool>());  // 5 points of budget: one-shot or after retraining, it fits
  // The cut-offs are in the written model, as ThresholdedRelu, which ONNX Runtime runs.
  auto m = dnnc::loadModel(dir + "/m.onnx");
  REQUIRE(m);
  int thresholded = 0;
  for (const auto& n : m->graph().node()) thresholded += n.op_type() == "ThresholdedRelu";
  CHECK(thresholded > 0);
  // dnnc energy, on the held-out data, sees the zeros: the model costs less than the one before the move.
  CHECK(energyOf(dir + "/m.onnx") < energy_before);
  rebuiltHeldOutAccuracy(testData("rescnn.onnx"), j, dir, wd);
}

TEST_CASE("compress towards an energy goal on an accelerator with narrow data ends with the weights as INT8", "[compress-cli]") {
  const std::string dir = scratchDir("compress_int8");
  const std::string wd = dir + "/work";
  // eyeriss-sparse with INT8 data moved at its own width through DRAM and the global buffer.
  writeBytes(dir + "/narrow.yaml", "base: eyeriss-sparse\nname: eyeriss-sparse-narrow\nnarrow_data:\n  levels: [dram, glb]\n");
  auto args = compressArgs(dir + "/m", wd,
                           {"--target", "energy=0.95", "--accel", dir + "/narrow.yaml", "--accuracy-budget", "1", "--quiet",
                            "--stretch-epochs", "0", "--time-budget", "300", "--json", dir + "/report.json"});
  const auto j = searchReport(args, dir + "/report.json");
  const auto& steps = j["search"]["steps"];
  INFO(steps.dump(1));
  REQUIRE(!steps.empty());
  const auto& last = steps.back();
  CHECK(last["phase"] == "int8");
  CHECK(last["pipeline"].get<std::string>().find("quantize(") == 0);
  // LeNet-300-100 keeps its accuracy with INT8 weights, which cost less on this accelerator than floats.
  REQUIRE(last["accepted"].get<bool>());
  double before = j["search"]["original"]["values"][0].get<double>();
  for (size_t i = 0; i + 1 < steps.size(); ++i)
    if (steps[i]["accepted"].get<bool>()) before = steps[i]["values"][0].get<double>();
  CHECK(last["values"][0].get<double>() < before);
  auto m = dnnc::loadModel(dir + "/m.onnx");
  REQUIRE(m);
  int dequantized = 0;
  for (const auto& n : m->graph().node()) dequantized += n.op_type() == "DequantizeLinear";
  CHECK(dequantized == 3);
  rebuiltHeldOutAccuracy(testData("lenet300.onnx"), j, dir, wd);

  // Left out by --without, and on the preset, where every weight travels as a 16-bit word, there is no
  // int8 step.
  auto without = args;
  without.insert(without.end(), {"--without", "int8,decompose"});
  std::filesystem::remove_all(wd);
  const auto left_out = searchReport(without, dir + "/report.json");
  REQUIRE(!left_out["search"]["steps"].empty());
  for (const auto& s : left_out["search"]["steps"]) {
    CHECK(s["phase"] != "int8");
    CHECK(s["move"] != "decompose");
  }
  args[std::find(args.begin(), args.end(), "--accel") - args.begin() + 1] = "eyeriss-sparse";
  std::filesystem::remove_all(wd);
  const auto plain = searchReport(args, dir + "/report.json");
  REQUIRE(!plain["search"]["steps"].empty());
  for (const auto& s : plain["search"]["steps"]) CHECK(s["phase"] != "int8");
}

TEST_CASE("compress towards an energy goal on narrow data quantizes per layer when INT8 everywhere loses the budget", "[compress-cli]") {
  const std::string dir = scratchDir("compress_int8_layers");
  const std::string wd = dir + "/work";
  writeBytes(dir + "/narrow.yaml", "base: eyeriss-sparse\nname: eyeriss-sparse-narrow\nnarrow_data:\n  levels: [dram, glb]\n");
  // LeNet-300-100 rescaled through a Relu, the same function: fc1's row j times 1/C, fc2's column j times C.
  // Each of fc2's rows then has one entry C times its others, and INT8 with one scale per row rounds the
  // others to zero; fc1's row j has its own scale, so fc1 and fc3 take INT8 as before.
  auto model = dnnc::loadModel(testData("lenet300.onnx"));
  REQUIRE(model);
  auto weights = [&](const std::string& name) -> onnx::TensorProto& {
    for (auto& t : *model->graph().mutable_initializer())
      if (t.name() == name) return t;
    FAIL("no initializer " << name);
    throw std::logic_error("unreachable");
  };
  auto values = [&](const std::string& name) { return dnnc::readTensor(weights(name), ".")->toFloats(); };
  auto w1 = values("fc1.weight"), b1 = values("fc1.bias"), w2 = values("fc2.weight");
  size_t j = 0;  // the column of fc2 whose smallest entry is largest, so that every row's entry dominates
  auto column_min = [&](size_t c) {
    float m = INFINITY;
    for (size_t r = 0; r < 100; ++r) m = std::min(m, std::abs(w2[r * 300 + c]));
    return m;
  };
  for (size_t c = 1; c < 300; ++c)
    if (column_min(c) > column_min(j)) j = c;
  float largest = 0;
  for (float v : w2) largest = std::max(largest, std::abs(v));
  const float scale = 1000.0f * largest / column_min(j);
  for (size_t i = 0; i < 784; ++i) w1[j * 784 + i] /= scale;
  b1[j] /= scale;
  for (size_t r = 0; r < 100; ++r) w2[r * 300 + j] *= scale;
  dnnc::writeTensor(dnnc::Tensor::fromFloats(w1, {300, 784}), weights("fc1.weight"));
  dnnc::writeTensor(dnnc::Tensor::fromFloats(b1, {300}), weights("fc1.bias"));
  dnnc::writeTensor(dnnc::Tensor::fromFloats(w2, {100, 300}), weights("fc2.weight"));
  const std::string input = dir + "/rescaled.onnx";
  REQUIRE(dnnc::saveModel(*model, input).ok());

  auto args = compressArgs(dir + "/m", wd,
                           {"--target", "energy=0.5", "--accel", dir + "/narrow.yaml", "--accuracy-budget", "1", "--quiet",
                            "--stretch-epochs", "0", "--time-budget", "1", "--json", dir + "/first.json"});
  args[1] = input;
  searchReport(args, dir + "/first.json");
  // Resumed at the int8 phase from the input itself.
  auto saved = nlohmann::json::parse(readBytes(wd + "/state.json"));
  auto& state = saved["state"];
  state["phase"] = "int8";
  state["steps"] = nlohmann::json::array();
  state["accepted"] = nlohmann::json::array();
  state["current"] = state["original"];
  writeBytes(wd + "/state.json", saved.dump());
  std::filesystem::copy_file(input, wd + "/current.onnx", std::filesystem::copy_options::overwrite_existing);
  args.back() = dir + "/report.json";
  args[std::find(args.begin(), args.end(), "--time-budget") - args.begin() + 1] = "60";
  const auto j2 = searchReport(args, dir + "/report.json");
  const auto& steps = j2["search"]["steps"];
  INFO(steps.dump(1));
  REQUIRE(steps.size() == 1);
  const auto& step = steps[0];
  CHECK(step["phase"] == "int8");
  CHECK(step["move"] == "int8-layers");
  CHECK(step["pipeline"] == "quantize(granularity=per-channel,layers=\"/fc1/Gemm,/fc3/Gemm\")");
  REQUIRE(step["accepted"].get<bool>());
  CHECK(step["values"][0].get<double>() < j2["search"]["original"]["values"][0].get<double>());
  CHECK(step["accuracy"].get<double>() >= j2["accuracy"]["floor"].get<double>());
  auto m = dnnc::loadModel(dir + "/m.onnx");
  REQUIRE(m);
  int dequantized = 0;
  for (const auto& n : m->graph().node()) dequantized += n.op_type() == "DequantizeLinear";
  CHECK(dequantized == 2);
  rebuiltHeldOutAccuracy(input, j2, dir, wd);
  // The premise, measured apart from the search: INT8 everywhere loses the budget on the held-out split.
  REQUIRE(runDnnc({"run", input, "-o", dir + "/all.onnx", "--quiet", "--passes", "quantize(granularity=per-channel)"}).exit_code == 0);
  std::vector<std::string> eval = {"eval", dir + "/all.onnx", "--data", wd + "/val_images.npy", "--labels",
                                   wd + "/val_labels.npy", "--json", dir + "/all.json", "--quiet"};
  eval.insert(eval.end(), kPreprocess.begin(), kPreprocess.end());
  REQUIRE(runDnnc(eval).exit_code == 0);
  CHECK(100.0 * nlohmann::json::parse(readBytes(dir + "/all.json"))["top1"].get<double>() < j2["accuracy"]["floor"].get<double>());
}

TEST_CASE("compress towards a measured latency splits a dense layer by SVD, and goes on with its factors", "[compress-cli]") {
  const std::string dir = scratchDir("compress_decompose");
  const std::string wd = dir + "/work";
  auto run = [&](const std::string& budget, const std::string& json) {
    return searchReport(compressArgs(dir + "/m", wd,
                                     {"--target", "latency=0.3", "--measure", "cpu", "--accuracy-budget", "5", "--quiet", "--stretch-epochs", "0",
                                      "--time-budget", budget, "--json", json}),
                        json);
  };
  for (int budget = 2; !fileExists(wd + "/state.json") && budget < 100; budget *= 2) run(std::to_string(budget), dir + "/first.json");
  // Resumed at the input with its knobs, every prune move done and no filter groups: the decompose moves
  // are what is left. (The first run may have split layers already; its knobs are those of its model.)
  auto saved = nlohmann::json::parse(readBytes(wd + "/state.json"));
  auto& state = saved["state"];
  state["phase"] = "prune";
  state["accepted"] = nlohmann::json::array();
  state["current"] = state["original"];
  for (const auto& k : state["knobs"])  // a factor is never split again
    if (k["layer"].get<std::string>().find("_svd_") != std::string::npos) CHECK(k["decomposable"] == false);
  state["groups"] = nlohmann::json::array();
  state["knobs"] = nlohmann::json::array();
  for (const auto& [layer, params] : {std::pair<std::string, int>{"/fc1/Gemm", 235200}, {"/fc2/Gemm", 30000}, {"/fc3/Gemm", 1000}})
    state["knobs"].push_back({{"layer", layer}, {"conv", false}, {"params", params}, {"sparsity", 0}, {"step", 0.5},
                              {"prune_done", true}, {"bits", 0}, {"bits_done", false}, {"decomposable", true}});
  writeBytes(wd + "/state.json", saved.dump());
  std::filesystem::copy_file(testData("lenet300.onnx"), wd + "/current.onnx", std::filesystem::copy_options::overwrite_existing);
  const size_t done_steps = state["steps"].size();

  const auto j = run("120", dir + "/second.json");
  const auto& steps = j["search"]["steps"];
  INFO(steps.dump(1));
  REQUIRE(steps.size() > done_steps);
  const auto& step = steps[done_steps];
  CHECK(step["move"] == "decompose");
  const std::string layer = step["layer"].get<std::string>();
  CHECK(step["pipeline"].get<std::string>().find("decompose-svd(layers=\"" + layer + "\",ratio=0.5)") == 0);
  REQUIRE(step["accepted"].get<bool>());  // 5 points of budget
  CHECK(step["values"][0].get<double>() < j["search"]["original"]["values"][0].get<double>());
  int decompositions = 0;  // kept, this one and any after it (each layer at most once)
  std::set<std::string> split;
  for (size_t i = done_steps; i < steps.size(); ++i)
    if (steps[i]["move"] == "decompose") {
      CHECK(split.insert(steps[i]["layer"].get<std::string>()).second);
      decompositions += steps[i]["accepted"].get<bool>();
    }
  // The written model holds two factors in the place of each layer split.
  auto m = dnnc::loadModel(dir + "/m.onnx");
  REQUIRE(m);
  int factors = 0, gemms = 0;
  for (const auto& n : m->graph().node()) {
    factors += n.name().find("_svd_") != std::string::npos;
    gemms += n.op_type() == "Gemm";
  }
  CHECK(factors == 2 * decompositions);
  std::set<std::string> read;  // the split layers' weights are gone, not left behind unused
  for (const auto& n : m->graph().node()) read.insert(n.input().begin(), n.input().end());
  for (const auto& t : m->graph().initializer()) CHECK(read.count(t.name()));
  CHECK(gemms == 3 + decompositions);
  // The search went on with the factors' knobs, not the layer's (which is gone).
  const auto after = nlohmann::json::parse(readBytes(wd + "/state.json"))["state"];
  std::set<std::string> layers;
  for (const auto& k : after["knobs"]) layers.insert(k["layer"].get<std::string>());
  CHECK(int(layers.size()) == 3 + decompositions);
  CHECK(layers.count(layer) == 0);
  rebuiltHeldOutAccuracy(testData("lenet300.onnx"), j, dir, wd);
}

TEST_CASE("compress stretches towards a MAC goal: a cut that meets it, retrained long, kept within the budget", "[compress-cli]") {
  const std::string dir = scratchDir("compress_stretch");
  const std::string wd = dir + "/work";
  // The residual CNN with a budget of 1 point: the uniform cut is expected to keep it after its long
  // retraining. LeNet-300-100 with 0.05 points: expected to miss it, so that the greedy way and its
  // bisection run (seconds on this model). Either way the invariants below hold. The searches are
  // deterministic and end once the goal is met (under a minute on an idle machine); a stretch stopped by
  // the time budget would leave no step, hence the generous budget for loaded CI machines.
  for (const auto& [model, budget] : {std::pair<std::string, std::string>{"rescnn.onnx", "1"}, {"lenet300.onnx", "0.05"}}) {
    std::filesystem::remove_all(dir);
    std::vector<std::string> args = compressArgs(dir + "/m", wd,
                                                 {"--target", "macs=0.5", "--accuracy-budget", budget, "--quiet",
                                                  "--stretch-epochs", "1", "--time-budget", "900", "--json",
                                                  dir + "/report.json"});
    args[1] = testData(model);
    const bool batch_norm = model == "rescnn.onnx";
    const auto j = searchReport(args, dir + "/report.json");
    const auto& steps = j["search"]["steps"];
    INFO(steps.dump(1));
    REQUIRE(steps.size() >= 2);
    const double original = j["accuracy"]["original"].get<double>(), floor = original - std::stod(budget);
    const double macs0 = j["search"]["original"]["values"][0].get<double>();

    // The uniform cut: the share of every filter group that meets the goal, BN statistics re-estimated on
    // the training part; then one long retraining on the whole training part.
    CHECK(steps[0]["phase"] == "stretch");
    CHECK(steps[0]["layer"] == "*");
    const std::string cut = steps[0]["pipeline"].get<std::string>();
    CHECK(cut.find("prune-structured(sparsity=") == 0);
    CHECK((cut.find(",recalibrate-bn(data=\"" + wd + "/train_images.npy\"") != std::string::npos) == batch_norm);
    CHECK(steps[0]["values"][0].get<double>() <= 0.5 * macs0);
    CHECK(steps[1]["move"] == "retrain");
    const std::string retrain = steps[1]["pipeline"].get<std::string>();
    for (const char* part : {"finetune(", "epochs=1,", "schedule=cosine", "teacher="})
      CHECK(retrain.find(part) != std::string::npos);
    CHECK((retrain.find("bn=batch") != std::string::npos) == batch_norm);
    CHECK(retrain.find("limit=") == std::string::npos);
    CHECK(steps[1]["values"] == steps[0]["values"]);  // retraining keeps the zeros and the shapes

    // At most one long retraining is kept, it keeps the budget, and exactly the steps of its point are kept
    // with it (or a point of the way within the budget as it is); what follows the stretch is the prune phase.
    int kept_retrains = 0;
    size_t after_stretch = steps.size();
    std::string kept_texts, kept_reproduce;
    for (size_t i = 0; i < steps.size(); ++i) {
      if (steps[i]["phase"] != "stretch") {
        after_stretch = std::min(after_stretch, i);
        continue;
      }
      CHECK(i < after_stretch);
      if (!steps[i]["accepted"].get<bool>()) continue;
      kept_texts += (kept_texts.empty() ? "" : ",") + steps[i]["pipeline"].get<std::string>();
      kept_reproduce = steps[i]["reproduce"].get<std::string>();
      kept_retrains += steps[i]["move"] == "retrain";
    }
    CHECK(kept_retrains <= 1);
    CHECK(kept_texts == kept_reproduce);  // the kept point is the kept steps, nothing else
    if (!kept_texts.empty() && after_stretch > 0) {
      const auto& last_kept = [&]() -> const nlohmann::json& {
        for (size_t i = after_stretch; i-- > 0;)
          if (steps[i]["accepted"].get<bool>()) return steps[i];
        return steps[0];
      }();
      CHECK(last_kept["accuracy"].get<double>() >= floor);
    }
    if (steps[1]["accuracy"].get<double>() >= floor) {
      CHECK(steps[0]["accepted"].get<bool>());
      CHECK(steps[1]["accepted"].get<bool>());
    } else {
      CHECK_FALSE(steps[0]["accepted"].get<bool>());
      CHECK_FALSE(steps[1]["accepted"].get<bool>());
      // The greedy way: single moves, each with one short retraining round.
      if (steps.size() > 2 && steps[2]["phase"] == "stretch" && steps[2]["move"] != "retrain")
        CHECK(steps[2]["pipeline"].get<std::string>().find("limit=1500") != std::string::npos);
    }
    if (after_stretch < steps.size()) CHECK(steps[after_stretch]["phase"] == "prune");

    // The report's pipeline, the kept stretch included, rebuilds the final model; ORT scores the two the same.
    if (auto rebuilt = rebuiltHeldOutAccuracy(testData(model), j, dir, wd)) CHECK(*rebuilt >= floor);
  }
}

TEST_CASE("compress stretches towards a size goal: prune moves until sharing would reach it, retrained long", "[compress-cli]") {
  const std::string dir = scratchDir("compress_stretch_size");
  const std::string wd = dir + "/work";
  // LeNet-300-100 towards 20x: no filter cut (sharing, not filters, gets a size goal there), single prune
  // moves with one short retraining round each until sharing at 5 bits would reach the goal, then one
  // long retraining that ends with every layer shared at 5 bits; a point kept keeps the budget with its
  // sharing, and the share phase goes on from it.
  const auto j = searchReport(compressArgs(dir + "/m", wd,
                                          {"--target", "size=20x", "--accuracy-budget", "1", "--quiet", "--stretch-epochs",
                                           "1", "--time-budget", "900", "--json", dir + "/report.json"}),
                             dir + "/report.json");
  const auto& steps = j["search"]["steps"];
  INFO(steps.dump(1));
  REQUIRE(steps.size() >= 2);
  const double original = j["accuracy"]["original"].get<double>();
  size_t retrains = 0, after_stretch = steps.size();
  bool kept_retrain = false;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i]["phase"] != "stretch") {
      after_stretch = std::min(after_stretch, i);
      continue;
    }
    CHECK(i < after_stretch);
    const std::string text = steps[i]["pipeline"].get<std::string>();
    if (steps[i]["move"] == "retrain") {
      ++retrains;
      CHECK(text.find("epochs=1,") != std::string::npos);
      CHECK(text.find("limit=") == std::string::npos);  // the whole training part
      CHECK(text.find("),share(layer-bits=\"/fc1/Gemm=5,/fc2/Gemm=5,/fc3/Gemm=5\",materialize=true)") != std::string::npos);
      if (steps[i]["accepted"].get<bool>()) {
        CHECK(steps[i]["accuracy"].get<double>() >= original - 1.0);
        kept_retrain = true;
      }
    } else {
      CHECK(steps[i]["move"] == "prune");
      CHECK(text.find("prune-magnitude(layer-sparsity=") == 0);
      CHECK(text.find("limit=1500") != std::string::npos);  // one short round
    }
  }
  CHECK(steps[0]["move"] == "prune");
  CHECK(retrains >= 1);
  if (after_stretch < steps.size()) {
    CHECK(steps[after_stretch]["phase"] == (kept_retrain ? "share" : "prune"));
    // Sharing follows once it would meet the goal; the final model keeps the whole budget.
    CHECK(j["accuracy"]["final"].get<double>() >= original - 1.0);
  }
  if (auto rebuilt = rebuiltHeldOutAccuracy(testData("lenet300.onnx"), j, dir, wd)) CHECK(*rebuilt >= original - 1.0);
}

TEST_CASE("compress stops a long retraining at SIGINT or at the end of its time budget, writing the best model", "[compress-cli]") {
  const std::string dir = scratchDir("compress_stop_inside");
  // The stretch's long retraining, 300 epochs of the training part, would run for many minutes; the search
  // must stop within moments of the signal or the deadline, write the best model (here the input's) and
  // say why. The 12 s leave the search time to reach that retraining on a loaded machine.
  auto command = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = compressArgs(dir + "/m", "",
                                                 {"--target", "energy=0.25", "--accuracy-budget", "1", "--quiet",
                                                  "--stretch-epochs", "300", "--json", dir + "/report.json"});
    args[1] = testData("rescnn.onnx");
    args.insert(args.end(), extra.begin(), extra.end());
    std::string line = DNNC_BIN;
    for (const auto& a : args) line += " '" + a + "'";
    return line + " 2>/dev/null";
  };
  struct Case {
    std::string line, reason;
  };
  for (const Case& c : {Case{command({"--time-budget", "12"}), "time budget spent"},
                        Case{"timeout -s INT --preserve-status 12 " + command({}), "interrupted"}}) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    INFO(c.line);
    const auto t0 = std::chrono::steady_clock::now();
    const int status = std::system(c.line.c_str());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 4);  // the goal is not met; the best model is written
    CHECK(seconds < 12 + 30);
    REQUIRE(fileExists(dir + "/m.onnx"));
    REQUIRE(fileExists(dir + "/m.dnnc"));
    const auto j = nlohmann::json::parse(readBytes(dir + "/report.json"));
    CHECK(j["stop_reason"] == c.reason);
    CHECK(j["accuracy"]["final"] == j["accuracy"]["original"]);  // nothing was kept: the input stands
  }
}

TEST_CASE("compress judges a retraining by accuracy alone when latency is measured on the CPU", "[compress-cli]") {
  const std::string dir = scratchDir("compress_measured_latency");
  const std::string wd = dir + "/work";
  auto run = [&](const std::string& budget, const std::string& json) {
    auto r = runDnnc(compressArgs(dir + "/m", wd,
                                  {"--target", "latency=0.2", "--measure", "cpu", "--accuracy-budget", "1", "--quiet",
                                   "--stretch-epochs", "0", "--time-budget", budget, "--json", json}, "1"));
    INFO(r.err);
    REQUIRE((r.exit_code == 0 || r.exit_code == 4));
    return nlohmann::json::parse(readBytes(json))["search"]["steps"];
  };
  for (int budget = 3; !fileExists(wd + "/state.json") && budget < 100; budget *= 2) run(std::to_string(budget), dir + "/first.json");
  // Resume with every move done: what follows are retrainings (recover, then polish if it is not kept).
  auto saved = nlohmann::json::parse(readBytes(wd + "/state.json"));
  auto& state = saved["state"];
  state["phase"] = "prune";
  state["recoveries"] = 0;
  for (auto& k : state["knobs"]) k["prune_done"] = true, k["decomposable"] = false;
  for (auto& g : state["groups"]) g["done"] = true;
  const double latency = state["current"]["values"][0].get<double>();
  const size_t done_steps = state["steps"].size();
  writeBytes(wd + "/state.json", saved.dump());
  const auto steps = run("30", dir + "/second.json");
  REQUIRE(steps.size() > done_steps);
  // Retraining keeps the graph: its wall time is the current one, not a new measurement's noise.
  for (size_t i = done_steps; i < steps.size(); ++i) {
    CHECK((steps[i]["move"] == "recover" || steps[i]["move"] == "finetune"));
    CHECK(steps[i]["values"][0].get<double>() == latency);
    if (steps[i]["move"] == "recover" && steps[i]["accepted"].get<bool>()) break;  // the moves reopen after it
  }
}

TEST_CASE("compress exits 4 on a goal it cannot reach, writing the best model and how close it came", "[compress-cli]") {
  const std::string dir = scratchDir("compress_unreachable");
  auto r = runDnnc(compressArgs(dir + "/m.onnx", "",
                                {"--target", "size=10000x", "--accuracy-budget", "0.5", "--time-budget", "4",
                                 "--json", "-", "--quiet"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 4);
  CHECK(r.err.find("target not reached: size=10000x reached") != std::string::npos);
  CHECK(fileExists(dir + "/m.onnx"));
  CHECK(fileExists(dir + "/m.dnnc"));
  const auto j = nlohmann::json::parse(r.out);
  CHECK(!j["met"].get<bool>());
  CHECK(j["targets"][0]["remaining_factor"].get<double>() > 1);
  CHECK(j["accuracy"]["final"].get<double>() >= j["accuracy"]["floor"].get<double>());
}

TEST_CASE("compress refuses bad input with one line", "[compress-cli]") {
  const std::string dir = scratchDir("compress_bad");
  auto mismatched = runDnnc({"compress", testData("lenet300.onnx"), "-o", dir + "/m", "--data",
                             testData("fashion_train_5000_images.npy"), "--labels", testData("fashion_test_2000_labels.npy"),
                             "--target", "size=2x", "--accuracy-budget", "1"});
  CHECK(mismatched.exit_code == 3);
  CHECK(std::count(mismatched.err.begin(), mismatched.err.end(), '\n') <= 2);
  CHECK(mismatched.err.rfind("dnnc: compress: ", 0) == 0);
  CHECK(!fileExists(dir + "/m.onnx"));
  auto bad_target = runDnnc({"compress", testData("lenet300.onnx"), "-o", dir + "/m", "--data",
                             testData("fashion_train_5000_images.npy"), "--labels",
                             testData("fashion_train_5000_labels.npy"), "--target", "speed=2x", "--accuracy-budget", "1"});
  CHECK(bad_target.exit_code == 2);
  CHECK(bad_target.err.find("unknown resource 'speed'") != std::string::npos);
  auto bad_model = runDnnc({"compress", testData("fashion_train_5000_labels.npy"), "-o", dir + "/m", "--data",
                            testData("fashion_train_5000_images.npy"), "--labels",
                            testData("fashion_train_5000_labels.npy"), "--target", "size=2x", "--accuracy-budget", "1"});
  CHECK(bad_model.exit_code == 3);
}

TEST_CASE("compress --techniques reports both models' energy with each technique, as dnnc energy gives it", "[compress-cli]") {
  const std::string dir = scratchDir("compress_techniques");
  // A held-out set of 100 test images, given, so that dnnc energy can be run on the same data.
  std::vector<int64_t> shape, lshape;
  std::vector<float> x = readNpyAsFloat(testData("fashion_test_2000_images.npy"), shape);
  std::vector<float> y = readNpyAsFloat(testData("fashion_test_2000_labels.npy"), lshape);
  shape[0] = lshape[0] = 100;
  x.resize(size_t(100 * 28 * 28));
  y.resize(100);
  writeNpyFloat(dir + "/val_x.npy", x, shape);
  writeNpyFloat(dir + "/val_y.npy", y, lshape);
  auto r = runDnnc(compressArgs(dir + "/m", "",
                                {"--target", "size=10000x", "--accuracy-budget", "0.5", "--time-budget", "4",
                                 "--val-data", dir + "/val_x.npy", "--val-labels", dir + "/val_y.npy", "--techniques",
                                 "--json", "-", "--quiet"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 4);
  const auto j = nlohmann::json::parse(r.out);
  REQUIRE(j.contains("techniques"));
  auto energyOf = [&](const std::string& model) {
    std::vector<std::string> args = {"energy", model, "--accel", "eyeriss-sparse", "--data", dir + "/val_x.npy", "--json"};
    args.insert(args.end(), kPreprocess.begin(), kPreprocess.end());
    auto e = runDnnc(args);
    REQUIRE(e.exit_code == 0);
    return nlohmann::json::parse(e.out)["total"]["energy"].get<double>();
  };
  for (const char* side : {"before", "after"}) {
    INFO(side);
    const auto& t = j["techniques"][side];
    REQUIRE(t.size() == 5);
    CHECK(t[0]["technique"] == "as given");
    CHECK(t[0]["energy"].get<double>() ==
          Approx(energyOf(std::string(side) == "before" ? testData("lenet300.onnx") : dir + "/m.onnx")));
    // eyeriss-sparse gates zeros already and codes feature maps without RLC: said, not hidden.
    CHECK(t[1]["note"].get<std::string>().find("already") != std::string::npos);
    CHECK(t[4]["energy"].is_null());
  }
}
