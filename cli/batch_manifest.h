// What `dnnc batch` runs: one job per (model, recipe), from a manifest or a folder. A recipe is the rest
// of a dnnc command line after MODEL ("prune --sparsity 0.5"); the job runs it with -o and --json into
// the batch's output folder. Each job's key is the content hash of the model, the recipe, the files the
// recipe names (data, labels, schedules) and the dnnc version, so a rerun knows what is already done.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/support/error.h"

namespace dnnc::cli {

struct BatchJob {
  std::string model;              // path as found (globs expanded)
  std::string recipe;             // as written
  std::vector<std::string> args;  // the recipe split into words; args[0] is the command
  // Scoring after the recipe succeeded: `dnnc eval` flags (run on the model before and after) and
  // `dnnc energy` flags (before and after in one run); empty: not scored.
  std::vector<std::string> eval_args, energy_args;
  double timeout_seconds = 0;     // 0: none
  uint64_t max_memory_bytes = 0;  // address-space cap of the job's process; 0: none
  std::string key;                // sha256 hex of everything the result depends on
  std::string id;                 // file-name-safe: model stem + 12 hex digits of the key
};

struct BatchDefaults {
  std::string recipe;
  std::string eval, energy;  // flags of dnnc eval / dnnc energy, "" for none
  double timeout_seconds = 0;
  uint64_t max_memory_bytes = 0;
};

// A YAML manifest:
//   defaults: {recipe: "prune --sparsity 0.5", timeout: 600, max_memory: 8G,
//              eval: "--data x.npy --labels y.npy --scale 1/255", energy: "--accel eyeriss-sparse"}
//   models:
//     - test/data/*.onnx                     # a path or a glob, with the defaults
//     - {path: big.onnx, recipe: "share --bits 5", timeout: 1200}
// Relative paths are relative to the manifest's folder. Errors are Exit::Usage (bad manifest) or
// Exit::Input (a pattern that matches nothing).
Expected<std::vector<BatchJob>> loadManifest(const std::string& path, const BatchDefaults& overrides);
// The short form: every .onnx file of a folder (sorted) with one recipe.
Expected<std::vector<BatchJob>> folderJobs(const std::string& folder, const BatchDefaults& defaults);

// "i/n" (1-based): the jobs whose position in the sorted list is i-1 modulo n, the same on every machine.
Expected<std::pair<int, int>> parseShard(const std::string& text);
std::vector<BatchJob> shardOf(const std::vector<BatchJob>& jobs, int index, int count);

// Recipe text to words: whitespace separates, single and double quotes group.
Expected<std::vector<std::string>> splitRecipe(const std::string& recipe);
// "8G", "512M", "100000": bytes.
Expected<uint64_t> parseMemorySize(const std::string& text);

}  // namespace dnnc::cli
