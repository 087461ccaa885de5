#include "cli/batch_manifest.h"

#include <glob.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "lib/support/atomic_file.h"
#include "lib/support/sha256.h"

namespace dnnc::cli {

namespace fs = std::filesystem;

namespace {

// The commands that write a model and take -o and --json.
const std::set<std::string>& recipeCommands() {
  static const std::set<std::string> commands = {"run", "prune", "decompose", "share", "quantize", "adapt", "finetune"};
  return commands;
}

Expected<std::vector<std::string>> expandPattern(const std::string& pattern) {
  glob_t g{};
  const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
  std::vector<std::string> out;
  if (rc == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  globfree(&g);
  if (out.empty()) return Error(Exit::Input, "no model matches '", pattern, "'");
  std::sort(out.begin(), out.end());
  return out;
}

// The key: the model's bytes, the recipe, every file the recipe names, and the version of dnnc.
Expected<std::string> jobKey(const std::string& model, const BatchJob& job) {
  DNNC_ASSIGN(std::string bytes, readFile(model));
  std::string text = "model " + sha256Hex(bytes) + "\nrecipe " + job.recipe + "\nversion " DNNC_VERSION "\n";
  std::vector<std::string> args = job.args;
  args.insert(args.end(), job.eval_args.begin(), job.eval_args.end());
  args.insert(args.end(), job.energy_args.begin(), job.energy_args.end());
  for (const auto& a : job.eval_args) text += "eval " + a + "\n";
  for (const auto& a : job.energy_args) text += "energy " + a + "\n";
  for (const auto& a : args) {
    // A value such as "x.npz:images" names the file before the colon.
    const std::string path = a.substr(0, a.find(':'));
    std::error_code ec;
    if (a.empty() || a[0] == '-' || !fs::is_regular_file(path, ec)) continue;
    DNNC_ASSIGN(std::string content, readFile(path));
    text += "file " + a + " " + sha256Hex(content) + "\n";
  }
  return sha256Hex(text);
}

Expected<BatchJob> makeJob(const std::string& model, const BatchDefaults& d) {
  BatchJob job;
  job.model = model;
  job.recipe = d.recipe;
  job.timeout_seconds = d.timeout_seconds;
  job.max_memory_bytes = d.max_memory_bytes;
  if (job.recipe.empty()) return Error(Exit::Usage, "no recipe for '", model, "'").withHint("give --recipe, or recipe: in the manifest");
  DNNC_ASSIGN(job.args, splitRecipe(job.recipe));
  if (job.args.empty() || !recipeCommands().count(job.args[0]))
    return Error(Exit::Usage, "recipe '", job.recipe, "' must start with a command that writes a model (run, prune, decompose, "
                 "share, quantize, adapt or finetune)");
  for (const auto& a : job.args)
    if (a == "-o" || a == "--output" || a.rfind("--json", 0) == 0)
      return Error(Exit::Usage, "recipe '", job.recipe, "' sets ", a, ": batch chooses the output and the report");
  DNNC_ASSIGN(job.eval_args, splitRecipe(d.eval));
  DNNC_ASSIGN(job.energy_args, splitRecipe(d.energy));
  DNNC_ASSIGN(job.key, jobKey(model, job));
  job.id = fs::path(model).stem().string() + "-" + job.key.substr(0, 12);
  return job;
}

Status readDefaults(const YAML::Node& n, BatchDefaults& d, const std::string& where) {
  try {
    if (n["recipe"]) d.recipe = n["recipe"].as<std::string>();
    if (n["eval"]) d.eval = n["eval"].as<std::string>();
    if (n["energy"]) d.energy = n["energy"].as<std::string>();
    if (n["timeout"]) d.timeout_seconds = n["timeout"].as<double>();
    if (n["max_memory"]) {
      DNNC_ASSIGN(d.max_memory_bytes, parseMemorySize(n["max_memory"].as<std::string>()));
    }
  } catch (const YAML::Exception& e) {
    return Error(Exit::Usage, where, ": ", e.what());
  }
  return {};
}

}  // namespace

Expected<std::vector<std::string>> splitRecipe(const std::string& recipe) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (char c : recipe) {
    if (quote) {
      if (c == quote) quote = 0;
      else word += c;
    } else if (c == '\'' || c == '"') {
      quote = c, in_word = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(word), word.clear(), in_word = false;
    } else {
      word += c, in_word = true;
    }
  }
  if (quote) return Error(Exit::Usage, "recipe '", recipe, "' has an unclosed quote");
  if (in_word) words.push_back(word);
  return words;
}

Expected<uint64_t> parseMemorySize(const std::string& text) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const std::string unit = text.substr(used);
  const double scale = unit.empty() ? 1 : unit == "K" ? 1024.0 : unit == "M" ? 1048576.0 : unit == "G" ? 1073741824.0 : -1;
  if (used == 0 || scale < 0 || v <= 0) return Error(Exit::Usage, "memory size '", text, "' (expected bytes, or a number with K, M or G)");
  return uint64_t(v * scale);
}

Expected<std::vector<BatchJob>> loadManifest(const std::string& path, const BatchDefaults& overrides) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return Error(Exit::Usage, "cannot read manifest '", path, "': ", e.what());
  }
  if (!root.IsMap() || !root["models"] || !root["models"].IsSequence())
    return Error(Exit::Usage, "manifest '", path, "' needs a list under models:");
  const fs::path base = fs::path(path).parent_path();
  auto resolve = [&](const std::string& p) { return fs::path(p).is_absolute() || base.empty() ? p : (base / p).string(); };
  BatchDefaults defaults;
  if (root["defaults"]) DNNC_TRY(readDefaults(root["defaults"], defaults, path + ": defaults"));
  // The command line wins over the manifest's defaults.
  if (!overrides.recipe.empty()) defaults.recipe = overrides.recipe;
  if (!overrides.eval.empty()) defaults.eval = overrides.eval;
  if (!overrides.energy.empty()) defaults.energy = overrides.energy;
  if (overrides.timeout_seconds > 0) defaults.timeout_seconds = overrides.timeout_seconds;
  if (overrides.max_memory_bytes > 0) defaults.max_memory_bytes = overrides.max_memory_bytes;
  std::vector<BatchJob> jobs;
  for (const auto& entry : root["models"]) {
    BatchDefaults d = defaults;
    std::string pattern;
    if (entry.IsScalar()) {
      pattern = entry.as<std::string>();
    } else if (entry.IsMap() && entry["path"]) {
      pattern = entry["path"].as<std::string>();
      DNNC_TRY(readDefaults(entry, d, path + ": " + pattern));
    } else {
      return Error(Exit::Usage, "manifest '", path, "': each model is a path or a map with path:");
    }
    DNNC_ASSIGN(auto models, expandPattern(resolve(pattern)));
    for (const auto& m : models) {
      DNNC_ASSIGN(BatchJob job, makeJob(m, d));
      jobs.push_back(std::move(job));
    }
  }
  return jobs;
}

Expected<std::vector<BatchJob>> folderJobs(const std::string& folder, const BatchDefaults& defaults) {
  DNNC_ASSIGN(auto models, expandPattern((fs::path(folder) / "*.onnx").string()));
  std::vector<BatchJob> jobs;
  for (const auto& m : models) {
    DNNC_ASSIGN(BatchJob job, makeJob(m, defaults));
    jobs.push_back(std::move(job));
  }
  return jobs;
}

Expected<std::pair<int, int>> parseShard(const std::string& text) {
  const auto slash = text.find('/');
  int i = 0, n = 0;
  try {
    if (slash != std::string::npos) i = std::stoi(text.substr(0, slash)), n = std::stoi(text.substr(slash + 1));
  } catch (const std::exception&) {
    n = 0;
  }
  if (n < 1 || i < 1 || i > n) return Error(Exit::Usage, "--shard '", text, "' (expected I/N with 1 <= I <= N)");
  return std::make_pair(i, n);
}

std::vector<BatchJob> shardOf(const std::vector<BatchJob>& jobs, int index, int count) {
  // By id (model name and key), not manifest order, so that every machine computes the same split.
  std::vector<BatchJob> sorted = jobs;
  std::sort(sorted.begin(), sorted.end(), [](const BatchJob& a, const BatchJob& b) { return a.id < b.id; });
  std::vector<BatchJob> out;
  for (size_t k = 0; k < sorted.size(); ++k)
    if (int(k % size_t(count)) == index - 1) out.push_back(sorted[k]);
  return out;
}

}  // namespace dnnc::cli
