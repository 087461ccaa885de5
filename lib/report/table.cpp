#include "lib/report/table.h"

#include <algorithm>
#include <cstdio>

namespace dnnc {

namespace {
// Display width, counting UTF-8 continuation bytes as nothing.
size_t displayWidth(const std::string& s) {
  size_t w = 0;
  for (unsigned char c : s) w += (c & 0xC0) != 0x80;
  return w;
}
}  // namespace

std::string TextTable::render() const {
  std::vector<size_t> width(header_.size(), 0);
  for (size_t i = 0; i < header_.size(); ++i) width[i] = displayWidth(header_[i]);
  for (const auto& r : rows_)
    for (size_t i = 0; i < r.cells.size() && i < width.size(); ++i) width[i] = std::max(width[i], displayWidth(r.cells[i]));
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < width.size(); ++i) {
      std::string c = i < cells.size() ? cells[i] : "";
      std::string pad(width[i] - displayWidth(c), ' ');
      bool right = std::find(right_.begin(), right_.end(), i) != right_.end();
      out += right ? pad + c : c + pad;
      if (i + 1 < width.size()) out += "  ";
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  auto rule = [&] {
    size_t total = 0;
    for (size_t w : width) total += w + 2;
    return std::string(total > 2 ? total - 2 : 0, '-') + "\n";
  };
  std::string out = line(header_) + rule();
  for (const auto& r : rows_) out += r.separator ? rule() : line(r.cells);
  return out;
}

std::string withThousands(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

std::string formatFixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string humanBytes(int64_t bytes) {
  double b = static_cast<double>(bytes);
  if (b < 1e3) return std::to_string(bytes) + " B";
  if (b < 1e6) return formatFixed(b / 1e3, 1) + " kB";
  if (b < 1e9) return formatFixed(b / 1e6, 2) + " MB";
  return formatFixed(b / 1e9, 2) + " GB";
}

std::string humanCount(int64_t v) {
  double x = static_cast<double>(v);
  if (x < 1e3) return std::to_string(v);
  if (x < 1e6) return formatFixed(x / 1e3, 1) + " k";
  if (x < 1e9) return formatFixed(x / 1e6, 2) + " M";
  return formatFixed(x / 1e9, 2) + " G";
}

}  // namespace dnnc
