// Charts as standalone SVG text: bars (grouped or stacked), lines, a scatter with its Pareto front, and a
// waterfall. Each has axes with round ticks, axis titles, a legend and a <title> tooltip on every mark, so
// that a report is readable without any script. Pure functions of their input: the same chart gives the
// same bytes (coordinates are printed with one decimal).
#pragma once
#include <cmath>
#include <string>
#include <vector>

namespace dnnc::svg {

// One named row of values, one per category (bars) or one per point (lines).
struct Series {
  std::string name;
  std::vector<double> values;
};

struct BarChart {
  std::string title, y_label;
  std::vector<std::string> categories;  // the x axis
  std::vector<Series> series;           // one bar (grouped) or one segment (stacked) per series and category
  bool stacked = false;
  std::string y_unit;  // appended to tooltip values, e.g. "pJ"
  double reference = NAN;  // a dashed horizontal line at this value (e.g. 100 % of before), when given
};

struct LineSeries {
  std::string name;
  std::vector<double> x, y;
  bool dashed = false;
};

struct LineChart {
  std::string title, x_label, y_label;
  std::vector<LineSeries> series;
};

// A point of an accuracy-against-compression chart: what any compression run reports (a batch model, a
// pruning step, a compress trajectory step).
struct TradeoffPoint {
  std::string label;
  double ratio = 1;     // x: how many times smaller (or cheaper)
  double accuracy = 0;  // y: in percent
};

struct TradeoffGroup {
  std::string name;
  std::vector<TradeoffPoint> points;
};

struct ScatterChart {
  std::string title, x_label, y_label;
  std::vector<TradeoffGroup> groups;  // one colour each; the Pareto front is drawn per group
  bool pareto = true;
};

struct WaterfallStep {
  std::string label;
  double value = 0;    // a total's height, or a step's signed change
  bool total = false;  // totals stand on the axis; steps float from the running sum
};

struct WaterfallChart {
  std::string title, y_label, unit;
  std::vector<WaterfallStep> steps;
};

std::string renderBarChart(const BarChart& chart);
std::string renderLineChart(const LineChart& chart);
std::string renderScatterChart(const ScatterChart& chart);
std::string renderWaterfallChart(const WaterfallChart& chart);

// The points on the Pareto front (no other point has both a higher ratio and a higher accuracy), by ratio.
std::vector<TradeoffPoint> paretoFront(std::vector<TradeoffPoint> points);

// Text for XML content and attribute values: & < > " ' escaped.
std::string escapeXml(const std::string& text);
// A compact number for ticks and tooltips: 1.2k, 35M, 0.25, 4.1G.
std::string shortNumber(double v);

}  // namespace dnnc::svg
