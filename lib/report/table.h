// Plain-text tables and number formatting for human-readable reports.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace dnnc {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
  void alignRight(std::vector<size_t> columns) { right_ = std::move(columns); }
  void addRow(std::vector<std::string> row) { rows_.push_back({std::move(row), false}); }
  void addSeparator() { rows_.push_back({{}, true}); }
  std::string render() const;

 private:
  struct Row {
    std::vector<std::string> cells;
    bool separator;
  };
  std::vector<std::string> header_;
  std::vector<size_t> right_;
  std::vector<Row> rows_;
};

std::string withThousands(int64_t v);         // 1234567 -> "1,234,567"
std::string humanBytes(int64_t bytes);        // "1.07 MB" (decimal units, as file sizes are quoted)
std::string humanCount(int64_t v);            // "4.09 G", "25.6 M"
std::string formatFixed(double v, int digits);

}  // namespace dnnc
