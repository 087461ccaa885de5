#include "lib/report/svg_chart.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace dnnc::svg {

namespace {

// Okabe-Ito and Tableau hues: distinguishable by most colour-blind readers, then dashes after ten series.
const char* const kPalette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                                "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
constexpr int kPaletteSize = 10;
const char* colour(size_t i) { return kPalette[i % kPaletteSize]; }

constexpr double kCharWidth = 6.2;  // of 11px sans-serif text, on average (a generous estimate)
constexpr double kTitleHeight = 28, kLegendRow = 18, kPlotHeight = 260, kLeft = 72, kRight = 24;
constexpr size_t kMaxLabel = 26;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", std::abs(v) < 0.05 ? 0.0 : v);
  return buf;
}

double textWidth(const std::string& s) {
  size_t chars = 0;
  for (unsigned char c : s) chars += (c & 0xC0) != 0x80;
  return double(chars) * kCharWidth;
}

// Long layer names are shortened on the axis (the tooltip keeps the whole name): the head and the tail
// say most ("/layer3/layer3.1/conv2/Conv" -> "/layer3/la…v2/Conv").
std::string shorten(const std::string& s) {
  if (s.size() <= kMaxLabel) return s;
  const size_t keep = (kMaxLabel - 1) / 2;
  return s.substr(0, keep) + "\xE2\x80\xA6" + s.substr(s.size() - keep);
}

// Round ticks covering [lo, hi]: steps of 1, 2 or 5 times a power of ten, about `count` of them.
struct Axis {
  double lo = 0, hi = 1;
  std::vector<double> ticks;
};

Axis niceAxis(double lo, double hi, int count = 5, double min_step = 0) {
  Axis a;
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (hi <= lo) hi = lo + (lo == 0 ? 1 : std::abs(lo) * 0.1);
  const double raw = (hi - lo) / count;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * power >= raw) {
      step = m * power;
      break;
    }
  step = std::max(step, min_step);
  a.lo = std::floor(lo / step + 1e-9) * step;
  a.hi = std::ceil(hi / step - 1e-9) * step;
  for (int k = 0;; ++k) {
    const double t = a.lo + k * step;
    if (t > a.hi + step * 1e-6) break;
    a.ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  }
  return a;
}

// The drawing area of a chart and its value-to-pixel mappings.
struct Plot {
  double x0, y0, w, h;
  Axis x, y;
  double px(double v) const { return x0 + (v - x.lo) / (x.hi - x.lo) * w; }
  double py(double v) const { return y0 + h - (v - y.lo) / (y.hi - y.lo) * h; }
};

std::string text(double x, double y, const std::string& s, const std::string& attrs = "") {
  return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\"" + (attrs.empty() ? "" : " " + attrs) + ">" + escapeXml(s) + "</text>";
}

std::string tooltip(const std::string& s) { return "<title>" + escapeXml(s) + "</title>"; }

std::string open(double width, double height, const std::string& title) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"" + num(width) + "\" height=\"" + num(height) +
         "\" viewBox=\"0 0 " + num(width) + " " + num(height) +
         "\" font-family=\"'Liberation Sans', Arial, sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"" +
         escapeXml(title) + "\">" + "<rect class=\"background\" width=\"100%\" height=\"100%\" fill=\"#fff\"/>" +
         text(kLeft, 18, title, "font-size=\"14\" font-weight=\"bold\" fill=\"#222\"");
}

struct LegendItem {
  std::string name, colour;
  bool line = false, dashed = false;
};

// Legend rows under the title, wrapped to the width; returns the SVG and sets the height used.
std::string legend(const std::vector<LegendItem>& items, double width, double top, double& height) {
  std::string out;
  double x = kLeft, y = top;
  for (const auto& item : items) {
    const std::string label = shorten(item.name);
    const double w = 18 + textWidth(label) + 16;
    if (x + w > width - kRight && x > kLeft) x = kLeft, y += kLegendRow;
    if (item.line)
      out += "<line x1=\"" + num(x) + "\" y1=\"" + num(y + 6) + "\" x2=\"" + num(x + 14) + "\" y2=\"" + num(y + 6) + "\" stroke=\"" +
             item.colour + "\" stroke-width=\"2\"" + (item.dashed ? " stroke-dasharray=\"4 3\"" : "") + "/>";
    else
      out += "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"12\" height=\"12\" fill=\"" + item.colour + "\"/>";
    out += text(x + 18, y + 10, label, "fill=\"#333\"");
    x += w;
  }
  height = items.empty() ? 0 : y - top + kLegendRow + 4;
  return out;
}

// Grid lines and tick labels of the y axis, with its title turned along the axis.
std::string yAxis(const Plot& p, const std::string& label, const std::string& unit = "") {
  std::string out;
  for (double t : p.y.ticks) {
    const double y = p.py(t);
    out += "<line x1=\"" + num(p.x0) + "\" y1=\"" + num(y) + "\" x2=\"" + num(p.x0 + p.w) + "\" y2=\"" + num(y) +
           "\" stroke=\"#e4e4e4\"/>";
    out += text(p.x0 - 6, y + 4, shortNumber(t) + unit, "text-anchor=\"end\" fill=\"#555\"");
  }
  out += "<line x1=\"" + num(p.x0) + "\" y1=\"" + num(p.y0) + "\" x2=\"" + num(p.x0) + "\" y2=\"" + num(p.y0 + p.h) +
         "\" stroke=\"#888\"/>";
  out += "<line x1=\"" + num(p.x0) + "\" y1=\"" + num(p.y0 + p.h) + "\" x2=\"" + num(p.x0 + p.w) + "\" y2=\"" + num(p.y0 + p.h) +
         "\" stroke=\"#888\"/>";
  const double cy = p.y0 + p.h / 2;
  out += text(16, cy, label, "text-anchor=\"middle\" fill=\"#333\" transform=\"rotate(-90 16 " + num(cy) + ")\"");
  return out;
}

// Tick labels and title of a numeric x axis.
std::string xAxis(const Plot& p, const std::string& label) {
  std::string out;
  for (double t : p.x.ticks) {
    const double x = p.px(t);
    out += "<line x1=\"" + num(x) + "\" y1=\"" + num(p.y0) + "\" x2=\"" + num(x) + "\" y2=\"" + num(p.y0 + p.h) +
           "\" stroke=\"#f0f0f0\"/>";
    out += text(x, p.y0 + p.h + 16, shortNumber(t), "text-anchor=\"middle\" fill=\"#555\"");
  }
  out += text(p.x0 + p.w / 2, p.y0 + p.h + 36, label, "text-anchor=\"middle\" fill=\"#333\"");
  return out;
}

// Category labels under slots of width `slot`: level when they fit, else turned 40 degrees. Returns the
// height they take below the axis.
double categoryLabelsHeight(const std::vector<std::string>& labels, double slot) {
  double widest = 0;
  for (const auto& l : labels) widest = std::max(widest, textWidth(shorten(l)));
  if (widest + 4 <= slot) return 22;
  return 14 + widest * std::sin(40 * M_PI / 180) + 6;
}

std::string categoryLabels(const std::vector<std::string>& labels, double x0, double slot, double y, bool level) {
  std::string out;
  for (size_t i = 0; i < labels.size(); ++i) {
    const double cx = x0 + slot * (double(i) + 0.5);
    out += "<g>" + tooltip(labels[i]);
    if (level)
      out += text(cx, y + 14, shorten(labels[i]), "text-anchor=\"middle\" fill=\"#333\"");
    else
      out += text(cx + 3, y + 10, shorten(labels[i]),
                  "text-anchor=\"end\" fill=\"#333\" transform=\"rotate(-40 " + num(cx + 3) + " " + num(y + 10) + ")\"");
    out += "</g>";
  }
  return out;
}

// "5.01 MB", "-14.8 kB", "3.2 G pJ": a value with its unit, the magnitude suffix set apart from the number.
std::string value(double v, const std::string& unit) {
  std::string n = shortNumber(v);
  std::string suffix;
  if (!n.empty() && std::isalpha(static_cast<unsigned char>(n.back()))) suffix = n.back(), n.pop_back();
  if (unit == "B" || unit.empty()) return n + " " + suffix + unit;
  return n + " " + suffix + (suffix.empty() ? "" : " ") + unit;
}

}  // namespace

std::string escapeXml(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters are not allowed in XML 1.0 text: they become spaces.
        out += (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') ? ' ' : c;
    }
  }
  return out;
}

std::string shortNumber(double v) {
  if (!std::isfinite(v)) return "-";
  const double a = std::abs(v);
  const char* suffix = "";
  double scaled = v;
  if (a >= 1e12) scaled = v / 1e12, suffix = "T";
  else if (a >= 1e9) scaled = v / 1e9, suffix = "G";
  else if (a >= 1e6) scaled = v / 1e6, suffix = "M";
  else if (a >= 1e3) scaled = v / 1e3, suffix = "k";
  char buf[32];
  const double s = std::abs(scaled);
  if (s == 0) return "0";
  if (s >= 100 || scaled == std::round(scaled)) std::snprintf(buf, sizeof buf, "%.0f%s", scaled, suffix);
  else if (s >= 10) std::snprintf(buf, sizeof buf, "%.1f%s", scaled, suffix);
  else if (s >= 0.01) std::snprintf(buf, sizeof buf, "%.3g%s", scaled, suffix);
  else std::snprintf(buf, sizeof buf, "%.2g%s", scaled, suffix);
  return buf;
}

std::string renderBarChart(const BarChart& c) {
  const size_t n = c.categories.size(), k = c.series.size();
  const double slot = c.stacked ? 34 : std::max(34.0, 10.0 * double(k) + 8);
  const double width = std::max(720.0, kLeft + kRight + slot * double(n));
  double legend_h = 0;
  std::vector<LegendItem> items;
  for (size_t s = 0; s < k; ++s) items.push_back({c.series[s].name, colour(s)});
  const std::string legend_svg = legend(items, width, kTitleHeight + 4, legend_h);
  Plot p{kLeft, kTitleHeight + 10 + legend_h, width - kLeft - kRight, kPlotHeight, {}, {}};
  const double slot_w = n ? p.w / double(n) : p.w;
  const double labels_h = categoryLabelsHeight(c.categories, slot_w);

  double lo = 0, hi = 0;
  for (size_t i = 0; i < n; ++i) {
    double pos = 0, neg = 0;
    for (const auto& s : c.series) {
      const double v = i < s.values.size() ? s.values[i] : 0;
      if (c.stacked) (v >= 0 ? pos : neg) += v;
      else hi = std::max(hi, v), lo = std::min(lo, v);
    }
    hi = std::max(hi, pos), lo = std::min(lo, neg);
  }
  if (std::isfinite(c.reference)) hi = std::max(hi, c.reference), lo = std::min(lo, c.reference);
  p.y = niceAxis(lo, hi);
  std::string out = open(width, p.y0 + p.h + labels_h + 8, c.title) + legend_svg + yAxis(p, c.y_label);
  if (std::isfinite(c.reference))
    out += "<line class=\"reference\" x1=\"" + num(p.x0) + "\" y1=\"" + num(p.py(c.reference)) + "\" x2=\"" + num(p.x0 + p.w) +
           "\" y2=\"" + num(p.py(c.reference)) + "\" stroke=\"#666\" stroke-dasharray=\"5 3\"/>";
  for (size_t i = 0; i < n; ++i) {
    const double left = p.x0 + slot_w * double(i);
    double pos = 0, neg = 0;
    for (size_t s = 0; s < k; ++s) {
      const double v = i < c.series[s].values.size() ? c.series[s].values[i] : 0;
      double from, to, x, w;
      if (c.stacked) {
        double& base = v >= 0 ? pos : neg;
        from = base, to = base + v, base = to;
        w = std::min(slot_w * 0.7, 40.0);
        x = left + (slot_w - w) / 2;
      } else {
        from = 0, to = v;
        const double group = std::min(slot_w * 0.8, 28.0 * double(k));
        w = group / double(k);
        x = left + (slot_w - group) / 2 + w * double(s);
      }
      const double y1 = p.py(std::max(from, to)), y2 = p.py(std::min(from, to));
      out += "<rect class=\"bar\" x=\"" + num(x) + "\" y=\"" + num(y1) + "\" width=\"" + num(w) + "\" height=\"" + num(y2 - y1) +
             "\" fill=\"" + colour(s) + "\">" + tooltip(c.categories[i] + ", " + c.series[s].name + ": " + value(v, c.y_unit)) +
             "</rect>";
    }
  }
  out += categoryLabels(c.categories, p.x0, slot_w, p.y0 + p.h, labels_h <= 22);
  return out + "</svg>";
}

std::string renderLineChart(const LineChart& c) {
  const double width = 760;
  std::vector<LegendItem> items;
  for (size_t s = 0; s < c.series.size(); ++s)
    items.push_back({c.series[s].name, colour(s), true, c.series[s].dashed || s >= kPaletteSize});
  double legend_h = 0;
  const std::string legend_svg = legend(items, width, kTitleHeight + 4, legend_h);
  Plot p{kLeft, kTitleHeight + 10 + legend_h, width - kLeft - kRight, kPlotHeight, {}, {}};
  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  for (const auto& s : c.series)
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
      xlo = std::min(xlo, s.x[i]), xhi = std::max(xhi, s.x[i]), ylo = std::min(ylo, s.y[i]), yhi = std::max(yhi, s.y[i]);
  // Whole-number x values (iterations, steps) get whole-number ticks.
  bool whole = true;
  for (const auto& s : c.series)
    for (double x : s.x) whole &= x == std::round(x);
  p.x = niceAxis(xlo, xhi, 8, whole ? 1 : 0);
  p.y = niceAxis(std::min(ylo, 0.0), yhi);
  std::string out = open(width, p.y0 + p.h + 46, c.title) + legend_svg + yAxis(p, c.y_label) + xAxis(p, c.x_label);
  for (size_t s = 0; s < c.series.size(); ++s) {
    const auto& line = c.series[s];
    const bool dashed = line.dashed || s >= kPaletteSize;
    std::string points;
    for (size_t i = 0; i < line.x.size() && i < line.y.size(); ++i)
      points += (i ? " " : "") + num(p.px(line.x[i])) + "," + num(p.py(line.y[i]));
    out += "<g class=\"series\"><polyline class=\"line\" points=\"" + points + "\" fill=\"none\" stroke=\"" + colour(s) +
           "\" stroke-width=\"1.8\"" + (dashed ? " stroke-dasharray=\"5 3\"" : "") + "/>";
    for (size_t i = 0; i < line.x.size() && i < line.y.size(); ++i)
      out += "<circle cx=\"" + num(p.px(line.x[i])) + "\" cy=\"" + num(p.py(line.y[i])) + "\" r=\"2.5\" fill=\"" + colour(s) + "\">" +
             tooltip(line.name + ": " + shortNumber(line.x[i]) + ", " + shortNumber(line.y[i])) + "</circle>";
    out += "</g>";
  }
  return out + "</svg>";
}

std::vector<TradeoffPoint> paretoFront(std::vector<TradeoffPoint> points) {
  // By ratio, highest first (equal ratios: best accuracy first); a point is on the front when it is more
  // accurate than every point at least as small.
  std::stable_sort(points.begin(), points.end(), [](const TradeoffPoint& a, const TradeoffPoint& b) {
    return a.ratio != b.ratio ? a.ratio > b.ratio : a.accuracy > b.accuracy;
  });
  std::vector<TradeoffPoint> front;
  double best = -INFINITY;
  for (const auto& p : points)
    if (p.accuracy > best) {
      front.push_back(p);
      best = p.accuracy;
    }
  std::reverse(front.begin(), front.end());
  return front;
}

std::string renderScatterChart(const ScatterChart& c) {
  const double width = 760;
  std::vector<LegendItem> items;
  for (size_t g = 0; g < c.groups.size(); ++g) items.push_back({c.groups[g].name, colour(g)});
  if (c.pareto) items.push_back({"Pareto front", "#444", true, true});
  double legend_h = 0;
  const std::string legend_svg = legend(items, width, kTitleHeight + 4, legend_h);
  Plot p{kLeft, kTitleHeight + 10 + legend_h, width - kLeft - kRight, kPlotHeight, {}, {}};
  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  for (const auto& g : c.groups)
    for (const auto& pt : g.points)
      xlo = std::min(xlo, pt.ratio), xhi = std::max(xhi, pt.ratio), ylo = std::min(ylo, pt.accuracy), yhi = std::max(yhi, pt.accuracy);
  p.x = niceAxis(std::min(xlo, 1.0), xhi * 1.05, 8);
  p.y = niceAxis(std::max(0.0, ylo - 5), std::min(100.0, yhi + 2));
  std::string out = open(width, p.y0 + p.h + 46, c.title) + legend_svg + yAxis(p, c.y_label) + xAxis(p, c.x_label);
  // A point's label goes above and right of it, else below, else nowhere (its tooltip still names it):
  // labels never overlap one another.
  struct Box {
    double x0, y0, x1, y1;
  };
  std::vector<Box> placed;
  auto place = [&](double x, double y, const std::string& label) -> std::string {
    const std::string shown = shorten(label);
    const double w = textWidth(shown) * 0.92;
    for (double dy : {-7.0, 15.0}) {
      const Box b{x + 7, y + dy - 10, x + 7 + w, y + dy + 2};
      const bool clash = std::any_of(placed.begin(), placed.end(),
                                     [&](const Box& o) { return b.x0 < o.x1 && o.x0 < b.x1 && b.y0 < o.y1 && o.y0 < b.y1; });
      if (clash || b.x1 > width) continue;
      placed.push_back(b);
      return text(x + 7, y + dy, shown, "font-size=\"10\" fill=\"#555\"");
    }
    return "";
  };
  for (size_t g = 0; g < c.groups.size(); ++g) {
    const auto& group = c.groups[g];
    out += "<g class=\"series\">";
    if (c.pareto) {
      std::string points;
      for (const auto& pt : paretoFront(group.points))
        points += (points.empty() ? "" : " ") + num(p.px(pt.ratio)) + "," + num(p.py(pt.accuracy));
      out += "<polyline class=\"pareto\" points=\"" + points + "\" fill=\"none\" stroke=\"#444\" stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/>";
    }
    for (const auto& pt : group.points)
      out += "<circle class=\"point\" cx=\"" + num(p.px(pt.ratio)) + "\" cy=\"" + num(p.py(pt.accuracy)) + "\" r=\"4.5\" fill=\"" +
             colour(g) + "\" fill-opacity=\"0.85\" stroke=\"#fff\">" +
             tooltip(group.name + " " + pt.label + ": " + shortNumber(pt.ratio) + "x, " + shortNumber(pt.accuracy) + " %") + "</circle>" +
             place(p.px(pt.ratio), p.py(pt.accuracy), pt.label);
    out += "</g>";
  }
  return out + "</svg>";
}

std::string renderWaterfallChart(const WaterfallChart& c) {
  const size_t n = c.steps.size();
  const double slot = 110;
  const double width = std::max(720.0, kLeft + kRight + slot * double(n));
  Plot p{kLeft, kTitleHeight + 14, width - kLeft - kRight, kPlotHeight, {}, {}};
  const double slot_w = n ? p.w / double(n) : p.w;
  // The running sum before and after each step.
  std::vector<double> from(n), to(n);
  double run = 0, lo = 0, hi = 0;
  for (size_t i = 0; i < n; ++i) {
    from[i] = c.steps[i].total ? 0 : run;
    to[i] = c.steps[i].total ? c.steps[i].value : run + c.steps[i].value;
    run = to[i];
    lo = std::min({lo, from[i], to[i]}), hi = std::max({hi, from[i], to[i]});
  }
  p.y = niceAxis(lo, hi * 1.08);
  std::vector<std::string> labels;
  for (const auto& s : c.steps) labels.push_back(s.label);
  const double labels_h = categoryLabelsHeight(labels, slot_w);
  std::string out = open(width, p.y0 + p.h + labels_h + 8, c.title) + yAxis(p, c.y_label);
  for (size_t i = 0; i < n; ++i) {
    const auto& s = c.steps[i];
    const double w = slot_w * 0.6, x = p.x0 + slot_w * double(i) + (slot_w - w) / 2;
    const double y1 = p.py(std::max(from[i], to[i])), y2 = p.py(std::min(from[i], to[i]));
    const char* fill = s.total ? "#4e79a7" : s.value <= 0 ? "#59a14f" : "#e15759";
    const std::string shown = s.total ? value(s.value, c.unit) : (s.value > 0 ? "+" : "") + value(s.value, c.unit);
    out += "<rect class=\"bar\" x=\"" + num(x) + "\" y=\"" + num(y1) + "\" width=\"" + num(w) + "\" height=\"" +
           num(std::max(y2 - y1, 1.0)) + "\" fill=\"" + fill + "\">" + tooltip(s.label + ": " + shown) + "</rect>";
    out += text(x + w / 2, y1 - 5, shown, "text-anchor=\"middle\" fill=\"#222\"");
    if (i + 1 < n)
      out += "<line x1=\"" + num(x + w) + "\" y1=\"" + num(p.py(to[i])) + "\" x2=\"" + num(x + slot_w) + "\" y2=\"" + num(p.py(to[i])) +
             "\" stroke=\"#999\" stroke-dasharray=\"3 2\"/>";
  }
  out += categoryLabels(labels, p.x0, slot_w, p.y0 + p.h, labels_h <= 22);
  return out + "</svg>";
}

}  // namespace dnnc::svg
