// Report: what a command did, as one JSON document. `--json` prints it; text tables format it.
// Schema-versioned so scripts can rely on keys.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace dnnc {

constexpr int kReportSchemaVersion = 1;

class Report {
 public:
  explicit Report(const std::string& command);
  nlohmann::json& root() { return root_; }
  const nlohmann::json& root() const { return root_; }
  // Records an input file with its SHA-256 (of the exact bytes read).
  void addInput(const std::string& path, const std::string& sha256);
  std::string dump() const { return root_.dump(2) + "\n"; }

 private:
  nlohmann::json root_;
};

}  // namespace dnnc
