#include "lib/report/report_sections.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "lib/report/table.h"
#include "lib/support/error.h"

namespace dnnc::report_html {

using nlohmann::json;

namespace {

std::string baseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.size() > 5 && name.compare(name.size() - 5, 5, ".onnx") == 0) name.resize(name.size() - 5);
  return name;
}

std::string percent(double fraction, int digits = 1) { return formatFixed(100.0 * fraction, digits) + " %"; }

// after/before in percent, 0 where before is 0 (nothing to compare).
double percentOf(double after, double before) { return before != 0 ? 100.0 * after / before : 0; }

bool isNumber(const json& j, const char* key) { return j.contains(key) && j[key].is_number(); }

const json& require(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) throw std::runtime_error(strCat("no '", key, "' key"));
  return j[key];
}

struct Part {
  const char* key;
  const char* label;
};
// Nearest the multipliers first: a stack then reads from cheap local accesses up to DRAM.
const Part kLevels[] = {{"mac", "MAC"}, {"rf", "RF"}, {"array", "array (NoC)"}, {"glb", "global buffer"}, {"dram", "DRAM"}};

// The per-layer charts of one energy-scored model (the "layers" and "total" of `dnnc energy --json`).
void energyModel(const json& m, const std::string& name, Rendered& out) {
  const json& layers = require(m, "layers");
  const json& total = require(m, "total");
  std::vector<std::string> names;
  for (const auto& l : layers) names.push_back(l.at("name").get<std::string>());

  const Part types[] = {{"weight", "weights"}, {"ifmap", "input fmaps"}, {"ofmap", "output fmaps, psums"}, {"computation", "computation"}};
  auto stacked = [&](const char* field, const auto& parts, const std::string& title) {
    svg::BarChart c;
    c.title = title;
    c.y_label = "energy (pJ)";
    c.y_unit = "pJ";
    c.categories = names;
    c.stacked = true;
    for (const auto& part : parts) {
      svg::Series s{part.label, {}};
      for (const auto& l : layers) s.values.push_back(l.at(field).at(part.key).template get<double>());
      c.series.push_back(std::move(s));
    }
    return svg::renderBarChart(c);
  };

  std::string html = table({"total energy", "latency", "MACs", "DRAM traffic", "layers"},
                           {{formatFixed(total.at("energy_pj").get<double>() / 1e6, 3) + " uJ",
                             formatFixed(total.at("latency_ms").get<double>(), 4) + " ms",
                             humanCount(static_cast<int64_t>(total.at("macs").get<double>())),
                             humanBytes(static_cast<int64_t>(total.at("dram_bytes").get<double>())),
                             std::to_string(layers.size())}});
  html += figure(stacked("energy_by_level_pj", kLevels, "Energy per layer by memory level: " + name),
                 "Where each layer's energy goes in the memory hierarchy. Hover a bar for its value.");
  html += figure(stacked("energy_by_type_pj", types, "Energy per layer by data type: " + name),
                 "The same energy split by what is moved: weights, input feature maps, output feature maps and partial sums, "
                 "and the MACs themselves.");

  svg::BarChart share;
  share.title = "Share of MACs, energy and latency per layer: " + name;
  share.y_label = "share of the model (%)";
  share.y_unit = "%";
  share.categories = names;
  const Part shares[] = {{"macs", "MACs"}, {"energy", "energy"}, {"latency_cycles", "latency"}};
  for (const auto& part : shares) {
    svg::Series s{part.label, {}};
    for (const auto& l : layers) s.values.push_back(100.0 * l.at("share").at(part.key).get<double>());
    share.series.push_back(std::move(s));
  }
  html += figure(svg::renderBarChart(share),
                 "A layer's share of the MACs does not predict its share of the energy or of the latency: data movement "
                 "(feature maps, DRAM) costs more than arithmetic.");
  out.sections.push_back({"Energy: " + name, html});
}

// One bar per metric: the after model as a percentage of the before model.
std::string afterPercentChart(const std::string& title, const std::vector<std::pair<std::string, std::pair<double, double>>>& metrics) {
  svg::BarChart c;
  c.title = title;
  c.y_label = "after as % of before";
  c.y_unit = "%";
  c.reference = 100;
  svg::Series s{"after / before", {}};
  for (const auto& [label, ba] : metrics) {
    c.categories.push_back(label);
    s.values.push_back(percentOf(ba.second, ba.first));
  }
  c.series.push_back(std::move(s));
  return svg::renderBarChart(c);
}

std::string countChange(double before, double after) {
  return withThousands(static_cast<int64_t>(before)) + " → " + withThousands(static_cast<int64_t>(after));
}

}  // namespace

std::string escapeHtml(const std::string& text) { return svg::escapeXml(text); }

std::string figure(const std::string& svg, const std::string& caption) {
  return "<figure><div class=\"chart-scroll\">" + svg + "</div><figcaption>" + escapeHtml(caption) + "</figcaption></figure>\n";
}

std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::string out = "<table><thead><tr>";
  for (const auto& h : header) out += "<th>" + escapeHtml(h) + "</th>";
  out += "</tr></thead><tbody>";
  for (const auto& r : rows) {
    out += "<tr>";
    for (const auto& cell : r) out += "<td>" + escapeHtml(cell) + "</td>";
    out += "</tr>";
  }
  return out + "</tbody></table>\n";
}

std::string documentCommand(const json& doc) {
  if (!doc.is_object()) return "";
  if (doc.contains("command") && doc["command"].is_string()) return doc["command"].get<std::string>();
  if (doc.contains("models") && doc["models"].is_array() && doc.contains("exit_code")) return "batch";
  return "";
}

Rendered energySections(const json& doc) {
  Rendered out;
  const std::string first = baseName(require(doc, "model").get<std::string>());
  energyModel(doc, first, out);
  if (doc.contains("model2")) {
    const json& m2 = doc["model2"];
    const std::string second = baseName(require(m2, "model").get<std::string>());
    energyModel(m2, second, out);
    svg::BarChart c;
    c.title = "Total energy by memory level: " + first + " and " + second;
    c.y_label = "energy (pJ)";
    c.y_unit = "pJ";
    c.stacked = true;
    c.categories = {first == second ? first + " (1)" : first, first == second ? second + " (2)" : second};
    for (const auto& level : kLevels) {
      svg::Series s{level.label, {}};
      for (const json* m : {&doc, &m2}) s.values.push_back(require(*m, "total").at("energy_by_level_pj").at(level.key).get<double>());
      c.series.push_back(std::move(s));
    }
    // Layer by layer on one scale, matched by name (a layer the second model lacks is 0 there).
    svg::BarChart per_layer;
    per_layer.title = "Energy per layer: " + first + " and " + second;
    per_layer.y_label = "energy (pJ)";
    per_layer.y_unit = "pJ";
    svg::Series e1{c.categories[0], {}}, e2{c.categories[1], {}};
    for (const auto& l : require(doc, "layers")) {
      const std::string layer = l.at("name").get<std::string>();
      per_layer.categories.push_back(layer);
      e1.values.push_back(l.at("energy_pj").get<double>());
      double other = 0;
      for (const auto& l2 : require(m2, "layers"))
        if (l2.at("name").get<std::string>() == layer) other = l2.at("energy_pj").get<double>();
      e2.values.push_back(other);
    }
    per_layer.series = {e1, e2};
    const json& r = require(doc, "ratios");
    std::string html = table({"energy", "latency", "DRAM traffic", "MACs", "nonzero MACs"},
                             {{percent(r.at("energy_pj").get<double>()), percent(r.at("latency_cycles").get<double>()),
                               percent(r.at("dram_bytes").get<double>()), percent(r.at("macs").get<double>()),
                               percent(r.at("nonzero_macs").get<double>())}});
    out.sections.push_back({"Energy: " + second + " against " + first,
                            "<p>" + escapeHtml(second) + " as a percentage of " + escapeHtml(first) + ":</p>" + html +
                                figure(svg::renderBarChart(c), "Both models' energy on the same accelerator, by memory level.") +
                                figure(svg::renderBarChart(per_layer), "Each layer of the first model and the layer of the same name in the second.")});
  }
  return out;
}

Rendered compareSections(const json& doc) {
  Rendered out;
  const json &b = require(doc, "before"), &a = require(doc, "after");
  std::vector<std::pair<std::string, std::pair<double, double>>> metrics = {
      {"params", {b.at("params").get<double>(), a.at("params").get<double>()}},
      {"nonzero params", {b.at("nonzero_params").get<double>(), a.at("nonzero_params").get<double>()}},
      {"MACs", {b.at("macs").get<double>(), a.at("macs").get<double>()}},
      {".onnx size", {b.at("onnx_bytes").get<double>(), a.at("onnx_bytes").get<double>()}}};
  if (isNumber(b, "dnnc_bytes") && isNumber(a, "dnnc_bytes"))
    metrics.push_back({".dnnc size", {b["dnnc_bytes"].get<double>(), a["dnnc_bytes"].get<double>()}});
  metrics.push_back({"energy", {b.at("energy_pj").get<double>(), a.at("energy_pj").get<double>()}});
  metrics.push_back({"latency (model)", {b.at("latency_cycles").get<double>(), a.at("latency_cycles").get<double>()}});
  metrics.push_back({"CPU latency", {b.at("cpu_latency_ms").get<double>(), a.at("cpu_latency_ms").get<double>()}});
  const std::string metric = require(doc, "accuracy_metric").get<std::string>();
  std::vector<std::vector<std::string>> rows = {
      {metric, percent(b.at("top1").get<double>(), 2), percent(a.at("top1").get<double>(), 2)},
      {".onnx size", humanBytes(b.at("onnx_bytes").get<int64_t>()), humanBytes(a.at("onnx_bytes").get<int64_t>())},
      {"nonzero params", withThousands(b.at("nonzero_params").get<int64_t>()), withThousands(a.at("nonzero_params").get<int64_t>())},
      {"MACs", withThousands(b.at("macs").get<int64_t>()), withThousands(a.at("macs").get<int64_t>())},
      {"energy (" + require(doc, "accelerator").get<std::string>() + ")", formatFixed(b.at("energy_pj").get<double>() / 1e6, 3) + " uJ",
       formatFixed(a.at("energy_pj").get<double>() / 1e6, 3) + " uJ"},
      {"CPU latency, batch 1", formatFixed(b.at("cpu_latency_ms").get<double>(), 3) + " ms",
       formatFixed(a.at("cpu_latency_ms").get<double>(), 3) + " ms"}};
  const std::string before = baseName(b.at("path").get<std::string>()), after = baseName(a.at("path").get<std::string>());
  std::string html = table({"", before + " (before)", after + " (after)"}, rows);
  html += figure(afterPercentChart("After as a percentage of before: " + after, metrics),
                 "Below 100 % the compressed model is smaller, cheaper or faster on that measure.");
  out.sections.push_back({"Before and after: " + before + " → " + after, html});
  const double ratio = a.at("nonzero_params").get<double>() > 0
                           ? b.at("nonzero_params").get<double>() / a.at("nonzero_params").get<double>() : 1;
  out.tradeoffs.push_back({before, {{"before", 1, 100 * b.at("top1").get<double>()},
                                    {after, ratio, 100 * a.at("top1").get<double>()}}});
  return out;
}

Rendered sensitivitySections(const json& doc) {
  Rendered out;
  const json& s = require(doc, "sensitivity");
  const double baseline = 100 * s.at("baseline").at("top1").get<double>();
  const auto levels = s.at("levels").get<std::vector<double>>();
  const std::string model = doc.contains("inputs") && !doc["inputs"].empty() ? baseName(doc["inputs"][0].at("path").get<std::string>()) : "";
  for (const auto& gran : s.at("granularities")) {
    const std::string g = gran.get<std::string>();
    svg::LineChart c;
    c.title = "Accuracy with one layer pruned (" + g + "): " + model;
    c.x_label = "sparsity of the layer (%)";
    c.y_label = "top-1 accuracy (%)";
    for (const auto& layer : s.at("layers")) {
      svg::LineSeries line{layer.at("layer").get<std::string>(), {}, {}, false};
      for (const auto& p : layer.at("granularities").at(g)) {
        line.x.push_back(100 * p.at("level").get<double>());
        line.y.push_back(100 * p.at("top1").get<double>());
      }
      c.series.push_back(std::move(line));
    }
    svg::LineSeries base{"baseline", {}, {}, true};
    for (double l : levels) base.x.push_back(100 * l), base.y.push_back(baseline);
    c.series.push_back(std::move(base));
    out.sections.push_back({"Sensitivity (" + g + "): " + model,
                            "<p>Baseline top-1 " + formatFixed(baseline, 2) + " % on " + std::to_string(doc.value("samples", 0)) +
                                " samples. Each curve prunes one layer alone.</p>" +
                                figure(svg::renderLineChart(c), "The flatter a layer's curve, the more of it can be pruned.")});
  }
  if (doc.contains("schedule")) {
    const json& sched = doc["schedule"];
    svg::BarChart c;
    c.title = "Schedule within " + formatFixed(sched.at("budget_points").get<double>(), 2) + " points: sparsity per layer";
    c.y_label = "sparsity (%)";
    c.y_unit = "%";
    svg::Series series{"sparsity", {}};
    for (const auto& [name, level] : sched.at("layers").items()) {
      c.categories.push_back(name);
      series.values.push_back(100 * level.get<double>());
    }
    c.series.push_back(std::move(series));
    out.sections.push_back({"Schedule: " + model, "<p>Top-1 with the schedule: " + percent(sched.at("top1").get<double>(), 2) +
                                                      " (drop " + formatFixed(sched.at("drop_points").get<double>(), 2) + " points).</p>" +
                                                      figure(svg::renderBarChart(c), "The per-layer sparsities the budget allows.")});
  }
  return out;
}

Rendered packSections(const json& doc) {
  Rendered out;
  const json& p = require(doc, "pack");
  const double onnx = p.at("onnx_bytes").get<double>(), container = p.at("container_bytes").get<double>();
  const double dense = p.at("tensor_dense_bytes").get<double>();
  double packed = 0;
  for (const auto& t : p.at("tensors")) packed += t.at("packed_bytes").get<double>();
  svg::WaterfallChart w;
  const std::string name = baseName(require(doc, "output").get<std::string>());
  w.title = "From .onnx to .dnnc: " + name;
  w.y_label = "bytes";
  w.unit = "B";
  w.steps = {{".onnx", onnx, true},
             {"weights coded", packed - dense, false},
             {"graph, framing", container - onnx - (packed - dense), false},
             {".dnnc", container, true}};
  std::string html = table({".onnx", "weights (dense)", "weights (packed)", ".dnnc", "ratio"},
                           {{humanBytes(int64_t(onnx)), humanBytes(int64_t(dense)), humanBytes(int64_t(packed)),
                             humanBytes(int64_t(container)), formatFixed(p.at("ratio").get<double>(), 2) + "x"}});
  html += figure(svg::renderWaterfallChart(w),
                 "The .onnx file, what coding the weights saves, what the graph and the container framing change, and the "
                 ".dnnc file that results.");
  // The largest tensors, in the file's order: where the bytes are and how well each one codes.
  std::vector<const json*> tensors;
  for (const auto& t : p.at("tensors")) tensors.push_back(&t);
  if (tensors.size() > 30) {
    std::vector<const json*> by_size = tensors;
    std::stable_sort(by_size.begin(), by_size.end(),
                     [](const json* a, const json* b) { return a->at("dense_bytes").get<double>() > b->at("dense_bytes").get<double>(); });
    const double cut = by_size[29]->at("dense_bytes").get<double>();
    std::vector<const json*> kept;
    for (const json* t : tensors)
      if (t->at("dense_bytes").get<double>() >= cut && kept.size() < 30) kept.push_back(t);
    tensors = kept;
  }
  svg::BarChart c;
  c.title = "Tensors dense and packed: " + name;
  c.y_label = "bytes";
  c.y_unit = "B";
  svg::Series d{"dense", {}}, k{"packed", {}};
  for (const json* t : tensors) {
    c.categories.push_back(t->at("name").get<std::string>() + " (" + t->at("codec").get<std::string>() + ")");
    d.values.push_back(t->at("dense_bytes").get<double>());
    k.values.push_back(t->at("packed_bytes").get<double>());
  }
  c.series = {d, k};
  html += figure(svg::renderBarChart(c), p.at("tensors").size() > tensors.size() ? "The 30 largest tensors, with the codec each one uses."
                                                                                  : "Every tensor, with the codec it uses.");
  out.sections.push_back({"Packed size: " + name, html});
  return out;
}

Rendered batchSections(const json& doc) {
  Rendered out;
  const json& models = require(doc, "models");
  // A model's label: its file name, with the recipe when the batch ran the same model more than once.
  std::map<std::string, int> seen;
  for (const auto& m : models) ++seen[baseName(m.at("model").get<std::string>())];
  std::vector<std::vector<std::string>> rows;
  svg::BarChart ratios, accuracy;
  ratios.title = "After as a percentage of before, per model";
  ratios.y_label = "after as % of before";
  ratios.y_unit = "%";
  ratios.reference = 100;
  accuracy.title = "Top-1 accuracy before and after, per model";
  accuracy.y_label = "top-1 (%)";
  accuracy.y_unit = "%";
  svg::Series nz{"nonzero params", {}}, macs{"MACs", {}}, bytes{"weight bytes", {}}, energy{"energy", {}}, latency{"latency", {}};
  svg::Series acc_b{"before", {}}, acc_a{"after", {}};
  bool any_energy = false;
  std::map<std::string, svg::TradeoffGroup> groups;
  std::vector<std::string> group_order;
  for (const auto& m : models) {
    std::string label = baseName(m.at("model").get<std::string>());
    if (seen[label] > 1) label += " (" + m.at("recipe").get<std::string>() + ")";
    const std::string status = m.at("status").get<std::string>();
    rows.push_back({label, m.at("recipe").get<std::string>(), status,
                    m.contains("before") && m.contains("after")
                        ? countChange(m["before"].at("nonzero_params").get<double>(), m["after"].at("nonzero_params").get<double>())
                        : "",
                    isNumber(m, "accuracy_before") && isNumber(m, "accuracy_after")
                        ? percent(m["accuracy_before"].get<double>(), 1) + " → " + percent(m["accuracy_after"].get<double>(), 1)
                        : "",
                    isNumber(m, "energy_ratio") ? percent(m["energy_ratio"].get<double>()) : "", m.value("message", "")});
    if (status != "ok" || !m.contains("before") || !m.contains("after")) continue;
    const json &b = m["before"], &a = m["after"];
    ratios.categories.push_back(label);
    nz.values.push_back(percentOf(a.at("nonzero_params").get<double>(), b.at("nonzero_params").get<double>()));
    macs.values.push_back(percentOf(a.at("macs").get<double>(), b.at("macs").get<double>()));
    bytes.values.push_back(percentOf(a.at("weight_bytes").get<double>(), b.at("weight_bytes").get<double>()));
    any_energy |= isNumber(m, "energy_ratio");
    energy.values.push_back(isNumber(m, "energy_ratio") ? 100 * m["energy_ratio"].get<double>() : 0);
    latency.values.push_back(isNumber(m, "latency_ratio") ? 100 * m["latency_ratio"].get<double>() : 0);
    if (isNumber(m, "accuracy_before") && isNumber(m, "accuracy_after")) {
      accuracy.categories.push_back(label);
      acc_b.values.push_back(100 * m["accuracy_before"].get<double>());
      acc_a.values.push_back(100 * m["accuracy_after"].get<double>());
      const std::string model = baseName(m.at("model").get<std::string>());
      if (!groups.count(model)) {
        group_order.push_back(model);
        groups[model] = {model, {{"original", 1, 100 * m["accuracy_before"].get<double>()}}};
      }
      const double after_nz = a.at("nonzero_params").get<double>();
      groups[model].points.push_back({m.at("recipe").get<std::string>(),
                                      after_nz > 0 ? b.at("nonzero_params").get<double>() / after_nz : 1,
                                      100 * m["accuracy_after"].get<double>()});
    }
  }
  ratios.series = {nz, macs, bytes};
  if (any_energy) ratios.series.push_back(energy), ratios.series.push_back(latency);
  accuracy.series = {acc_b, acc_a};
  std::string html = table({"model", "recipe", "status", "nonzero params", "top-1", "energy after/before", "message"}, rows);
  if (!ratios.categories.empty())
    html += figure(svg::renderBarChart(ratios), "Each model's compression side by side: below 100 % is smaller or cheaper.");
  if (!accuracy.categories.empty())
    html += figure(svg::renderBarChart(accuracy), "What the compression cost in accuracy, per model.");
  out.sections.push_back({"Batch: " + std::to_string(models.size()) + " models", html});
  for (const auto& name : group_order) out.tradeoffs.push_back(groups[name]);
  return out;
}

Rendered pipelineSections(const json& doc) {
  Rendered out;
  const json &b = require(doc, "before"), &a = require(doc, "after");
  const std::string command = doc.at("command").get<std::string>();
  const std::string name = baseName(require(doc, "output").get<std::string>());
  std::vector<std::pair<std::string, std::pair<double, double>>> metrics;
  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, label] : std::vector<std::pair<const char*, const char*>>{
           {"params", "params"}, {"nonzero_params", "nonzero params"}, {"macs", "MACs"}, {"weight_bytes", "weight bytes"}, {"nodes", "nodes"}}) {
    const double before = b.at(key).get<double>(), after = a.at(key).get<double>();
    metrics.push_back({label, {before, after}});
    rows.push_back({label, withThousands(int64_t(before)), withThousands(int64_t(after)), percent(percentOf(after, before) / 100)});
  }
  std::string html = std::string("<p>Pipeline: <code>") + escapeHtml(doc.value("pipeline", "")) + "</code></p>" +
                     table({"", "before", "after", "after / before"}, rows) +
                     figure(afterPercentChart("After as a percentage of before: " + name, metrics),
                            "What dnnc " + command + " changed in the model's size and cost.");
  out.sections.push_back({"dnnc " + command + ": " + name, html});
  if (doc.contains("netadapt")) {
    // NetAdapt's trajectory gives the resource as a fraction of the original's and the accuracy in the
    // unit its accuracy_metric names ("top-1 (%)"; a fraction otherwise, as elsewhere in dnnc).
    const json& n = doc["netadapt"];
    const double to_percent = n.value("accuracy_metric", "").find('%') != std::string::npos ? 1 : 100;
    svg::LineChart c;
    c.title = "NetAdapt trajectory: " + name;
    c.x_label = "iteration";
    c.y_label = "%";
    svg::LineSeries res{n.at("resource").get<std::string>() + " (% of the original)", {}, {}, false};
    svg::LineSeries acc{"accuracy (%)", {}, {}, false};
    svg::TradeoffGroup group{name, {}};
    for (const auto& t : n.at("trajectory")) {
      const double it = t.at("iteration").get<double>(), r = t.at("resource").get<double>();
      const double ac = to_percent * t.at("accuracy").get<double>();
      res.x.push_back(it), res.y.push_back(100 * r);
      acc.x.push_back(it), acc.y.push_back(ac);
      group.points.push_back({"iteration " + std::to_string(int64_t(it)), r > 0 ? 1 / r : 1, ac});
    }
    c.series = {res, acc};
    out.sections.push_back({"NetAdapt: " + name, figure(svg::renderLineChart(c), "Each iteration shrinks one layer; the resource "
                                                                                  "falls towards the budget while accuracy is kept.")});
    out.tradeoffs.push_back(std::move(group));
  }
  return out;
}

Rendered compressSections(const json& doc) {
  // `dnnc compress` writes its steps as trajectory[] with an accuracy (a fraction, as every dnnc report) and
  // the target metric's ratio (before/after); a label names each step.
  Rendered out;
  const json& body = doc.contains("compress") ? doc["compress"] : doc;
  // `dnnc compress` itself writes the Pareto front of its steps: accuracy in percent and the target metric
  // after/before; it is turned into the form above.
  json from_pareto = json::array();
  if (!body.contains("trajectory") && body.contains("pareto") && body["pareto"].is_array())
    for (const auto& p : body["pareto"])
      if (isNumber(p, "accuracy") && isNumber(p, "ratio") && p["ratio"].get<double>() > 0)
        from_pareto.push_back({{"step", p.value("step", json())},
                               {"accuracy", p["accuracy"].get<double>() / 100},
                               {"ratio", 1 / p["ratio"].get<double>()}});
  const json& trajectory = from_pareto.empty() ? require(body, "trajectory") : from_pareto;
  const std::string name = doc.contains("output") && doc["output"].is_string() ? baseName(doc["output"].get<std::string>()) : "compress";
  svg::TradeoffGroup group{name, {}};
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : trajectory) {
    if (!isNumber(t, "accuracy") || !isNumber(t, "ratio")) continue;
    std::string label = t.contains("label") && t["label"].is_string() ? t["label"].get<std::string>()
                        : t.contains("step") ? t["step"].dump() : std::to_string(group.points.size() + 1);
    group.points.push_back({label, t["ratio"].get<double>(), 100 * t["accuracy"].get<double>()});
    rows.push_back({label, formatFixed(t["ratio"].get<double>(), 2) + "x", percent(t["accuracy"].get<double>(), 2)});
  }
  if (group.points.empty()) throw std::runtime_error("no trajectory step has both 'accuracy' and 'ratio'");
  out.sections.push_back({"dnnc compress: " + name, table({"step", "ratio", "accuracy"}, rows)});
  out.tradeoffs.push_back(std::move(group));
  return out;
}

}  // namespace dnnc::report_html
