#include "cli/batch_summary.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include "lib/report/table.h"
#include "lib/support/atomic_file.h"
#include "lib/support/format_double.h"

namespace dnnc::cli {

namespace fs = std::filesystem;

namespace {

std::vector<nlohmann::json> sortedById(std::vector<nlohmann::json> results) {
  std::sort(results.begin(), results.end(),
            [](const nlohmann::json& a, const nlohmann::json& b) { return a["id"].get<std::string>() < b["id"].get<std::string>(); });
  return results;
}

std::string count(const nlohmann::json& r, const char* side, const char* key) {
  if (!r.contains(side) || !r[side].contains(key)) return "";
  return std::to_string(r[side][key].get<int64_t>());
}

std::string number(const nlohmann::json& r, const char* key, int digits) {
  return r.contains(key) && r[key].is_number() ? formatFixed(r[key].get<double>(), digits) : "";
}

// The columns of every format: the row of one result as text.
const std::vector<std::string> kColumns = {"model", "recipe", "status", "params_before", "params_after",
                                           "nonzero_before", "nonzero_after", "macs_before", "macs_after",
                                           "weight_bytes_before", "weight_bytes_after", "accuracy_before",
                                           "accuracy_after", "energy_ratio", "latency_ratio", "seconds", "message"};

std::vector<std::string> row(const nlohmann::json& r) {
  return {r["model"].get<std::string>(),
          r["recipe"].get<std::string>(),
          r["status"].get<std::string>(),
          count(r, "before", "params"),
          count(r, "after", "params"),
          count(r, "before", "nonzero_params"),
          count(r, "after", "nonzero_params"),
          count(r, "before", "macs"),
          count(r, "after", "macs"),
          count(r, "before", "weight_bytes"),
          count(r, "after", "weight_bytes"),
          number(r, "accuracy_before", 2),
          number(r, "accuracy_after", 2),
          number(r, "energy_ratio", 4),
          number(r, "latency_ratio", 4),
          formatFixed(r.value("seconds", 0.0), 1),
          r.value("message", "")};
}

std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::string summaryMarkdown(const std::vector<nlohmann::json>& results) {
  std::ostringstream os;
  os << "|";
  for (const auto& c : kColumns) os << " " << c << " |";
  os << "\n|";
  for (size_t k = 0; k < kColumns.size(); ++k) os << "---|";
  os << "\n";
  for (const auto& r : sortedById(results)) {
    os << "|";
    for (const auto& f : row(r)) {
      std::string cell = f;
      std::replace(cell.begin(), cell.end(), '|', '/');
      os << " " << cell << " |";
    }
    os << "\n";
  }
  std::map<std::string, int> by_status;
  for (const auto& r : results) ++by_status[r["status"].get<std::string>()];
  os << "\n" << results.size() << " models:";
  for (const auto& [s, n] : by_status) os << " " << n << " " << s;
  os << "\n";
  return os.str();
}

Status writeSummary(const std::string& out_dir, const std::vector<nlohmann::json>& results) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  const auto sorted = sortedById(results);
  std::ostringstream csv;
  for (size_t k = 0; k < kColumns.size(); ++k) csv << (k ? "," : "") << kColumns[k];
  csv << "\n";
  for (const auto& r : sorted) {
    const auto fields = row(r);
    for (size_t k = 0; k < fields.size(); ++k) csv << (k ? "," : "") << csvField(fields[k]);
    csv << "\n";
  }
  nlohmann::json models = nlohmann::json::array();
  for (auto r : sorted) {
    r.erase("skipped");  // how this run got it, not what it is
    models.push_back(r);
  }
  nlohmann::json doc = {{"models", models}, {"exit_code", batchExitCode(results)}};
  DNNC_TRY(writeFileAtomic((fs::path(out_dir) / "summary.csv").string(), csv.str()));
  DNNC_TRY(writeFileAtomic((fs::path(out_dir) / "summary.md").string(), summaryMarkdown(results)));
  return writeFileAtomic((fs::path(out_dir) / "summary.json").string(), doc.dump(1) + "\n");
}

int batchExitCode(const std::vector<nlohmann::json>& results) {
  bool internal = false, failed = false, missed = false;
  for (const auto& r : results) {
    const std::string s = r["status"].get<std::string>();
    internal |= s == "error" || s == "crashed";
    failed |= s == "failed" || s == "timeout" || s == "out-of-memory";
    missed |= s == "budget-missed";
  }
  return internal ? 1 : failed ? 3 : missed ? 4 : 0;
}

}  // namespace dnnc::cli
