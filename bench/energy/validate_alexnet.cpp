// validate_alexnet: prints, as Markdown, the side-by-side comparison with JSSC 2017 Table V that
// docs/energy-model.md shows (the same numbers test/unit/energy/validation_test.cpp asserts), the
// search-vs-chip-mapping energies, and the calibration of the eyeriss preset's pJ unit.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "lib/energy/energy.h"
#include "test/unit/energy/alexnet_fixture.h"

using namespace dnnc::energy;

namespace {

struct Row {
  std::string quantity;
  std::vector<double> chip;     // 5 layers + total
  double tol_layer, tol_total;  // relative; 0: report only
  std::vector<double> model;
  double exact_to = 0;  // > 0: an exact row, compared after rounding to this step
};

void printRow(const Row& r, int decimals) {
  std::printf("| %s | model", r.quantity.c_str());
  for (double v : r.model) std::printf(" | %.*f", decimals, v);
  std::printf(" | |\n| | chip");
  for (double v : r.chip) std::printf(" | %.*f", decimals, v);
  std::printf(" | |\n| | error");
  bool all = true;
  for (std::size_t i = 0; i < r.model.size(); ++i) {
    const double err = (r.model[i] - r.chip[i]) / r.chip[i];
    const double tol = i + 1 == r.model.size() ? r.tol_total : r.tol_layer;
    const bool ok = r.exact_to > 0
                        ? std::abs(std::round(r.model[i] / r.exact_to) * r.exact_to - r.chip[i]) < r.exact_to / 10
                        : tol <= 0 || std::abs(err) <= tol;
    all &= ok;
    std::printf(" | %+.1f %%%s", 100 * err, ok ? "" : " **out**");
  }
  if (r.exact_to > 0)
    std::printf(" | exact: %s |\n", all ? "met" : "NOT met");
  else if (r.tol_layer > 0)
    std::printf(" | ±%.0f %% / ±%.0f %%: %s |\n", 100 * r.tol_layer, 100 * r.tol_total, all ? "met" : "NOT met");
  else
    std::printf(" | report only |\n");
}

}  // namespace

int main() {
  auto spec = loadAcceleratorSpec("eyeriss");
  if (!spec) return 3;
  const auto layers = testing::alexnetConvLayers();
  const auto chip = testing::eyerissAlexnetMapping();
  std::vector<LayerCost> rlc, dense;
  for (int i = 0; i < 5; ++i) {
    rlc.push_back(*evaluate(*spec, layers[i], chip[i], EvalOptions{true}));
    dense.push_back(*evaluate(*spec, layers[i], chip[i], EvalOptions{false}));
  }
  auto withTotal = [](std::vector<double> v) {
    double t = 0;
    for (double x : v) t += x;
    v.push_back(t);
    return v;
  };
  auto per = [&](const std::vector<LayerCost>& cs, auto f) {
    std::vector<double> v;
    for (const auto& c : cs) v.push_back(f(c));
    return withTotal(v);
  };
  std::printf("| Quantity | | CONV1 | CONV2 | CONV3 | CONV4 | CONV5 | Total | Tolerance |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  auto macs = per(rlc, [](const LayerCost& c) { return std::round(c.macs / 1e5) / 10; });
  macs.back() = std::round(macs.back());
  printRow({"MACs (M, batch 4)", {421.7, 895.8, 598.1, 448.6, 299.0, 2663}, 0, 0, macs, 0.1}, 1);
  {
    std::vector<double> pes;
    double pc = 0, cyc = 0;
    for (const auto& c : rlc) {
      pes.push_back(c.active_pes);
      pc += c.active_pes * c.processing_cycles;
      cyc += c.processing_cycles;
    }
    pes.push_back(std::round(pc / cyc));
    printRow({"Active PEs (total: average over time)", {154, 135, 156, 156, 156, 148}, 0, 0, pes, 1}, 0);
  }
  printRow({"DRAM MB, no RLC",
            {6.05, 5.42, 5.06, 3.92, 2.60, 23.05},
            0.10,
            0.05,
            per(dense, [](const LayerCost& c) { return c.dramBytes() / 1e6; })},
           2);
  printRow({"DRAM MB, RLC",
            {5.0, 4.0, 3.0, 2.1, 1.3, 15.4},
            0.15,
            0.05,
            per(rlc, [](const LayerCost& c) { return c.dramBytes() / 1e6; })},
           2);
  printRow({"Processing latency (ms)",
            {16.5, 39.2, 21.8, 16.0, 10.0, 103.5},
            0.20,
            0.12,
            per(rlc, [](const LayerCost& c) { return c.ms(c.processing_cycles); })},
           1);
  printRow({"Total latency (ms)",
            {20.9, 41.9, 23.6, 18.4, 10.5, 115.3},
            0.25,
            0.15,
            per(rlc, [](const LayerCost& c) { return c.ms(c.latency_cycles); })},
           1);
  printRow({"GLB MB (ifmap+psum)",
            {18.5, 77.6, 50.2, 37.4, 24.9, 208.5},
            0,
            0,
            per(rlc, [](const LayerCost& c) { return c.glb_fmap_bytes / 1e6; })},
           1);

  std::printf("\nLatency detail (ms): compute | ramp | DRAM (ifmap, filter, ofmap) | exposed | no overlap\n\n");
  for (int i = 0; i < 5; ++i) {
    const auto& c = rlc[i];
    std::printf("CONV%d: %.2f | %.2f | %.2f (%.2f, %.2f, %.2f) | %.2f | %.2f\n", i + 1, c.ms(c.compute_cycles),
                c.ms(c.ramp_cycles), c.ms(c.dram_cycles), c.ms(c.dram_cycles_by_type[0]),
                c.ms(c.dram_cycles_by_type[1]), c.ms(c.dram_cycles_by_type[2]),
                c.ms(c.latency_cycles - c.processing_cycles), c.ms(c.serial_latency_cycles));
  }
  std::printf("\nDRAM bytes by type with RLC (MB): ifmap | filter | ofmap\n\n");
  for (int i = 0; i < 5; ++i)
    std::printf("CONV%d: %.3f | %.3f | %.3f\n", i + 1, rlc[i].dram_bits[0] / 8e6, rlc[i].dram_bits[1] / 8e6,
                rlc[i].dram_bits[2] / 8e6);

  std::printf("\n| Layer | chip mapping | energy | searched mapping (energy objective) | energy | saving |\n");
  std::printf("|---|---|---|---|---|---|\n");
  double te_chip = 0, te_search = 0;
  for (int i = 0; i < 5; ++i) {
    auto m = searchMapping(*spec, layers[i], Objective::Energy);
    auto s = evaluate(*spec, layers[i], *m);
    te_chip += rlc[i].energy.total();
    te_search += s->energy.total();
    std::printf("| CONV%d | %s | %.4g | %s | %.4g | %.1f %% |\n", i + 1, toString(chip[i]).c_str(),
                rlc[i].energy.total(), toString(*m).c_str(), s->energy.total(),
                100 * (1 - s->energy.total() / rlc[i].energy.total()));
  }
  std::printf("| Total | | %.4g | | %.4g | %.1f %% |\n", te_chip, te_search, 100 * (1 - te_search / te_chip));

  // The pJ unit: measured core energy (Table V power x latency) over the modelled on-chip energy units.
  const double power_mw[5] = {332, 288, 266, 235, 236}, lat_ms[5] = {20.9, 41.9, 23.6, 18.4, 10.5};
  double chip_uj = 0, units = 0;
  for (int i = 0; i < 5; ++i) {
    chip_uj += power_mw[i] * lat_ms[i];
    units += rlc[i].energy.total() - rlc[i].energy.dram;
  }
  const double unit_pj = chip_uj * 1e6 / units;
  std::printf("\nCalibration: core energy %.2f mJ / %.4g on-chip units = %.3f pJ per unit (preset: %.3g)\n",
              chip_uj / 1e3, units, unit_pj, spec->mac_energy_pj.value);
  std::printf("\n| | CONV1 | CONV2 | CONV3 | CONV4 | CONV5 |\n|---|---|---|---|---|---|\n| modelled core power (mW) |");
  for (int i = 0; i < 5; ++i) {
    const auto& c = rlc[i];
    std::printf(" %.0f |",
                (c.energy.total() - c.energy.dram) * spec->mac_energy_pj.value * 1e-9 / c.ms(c.latency_cycles) * 1e3);
  }
  std::printf("\n| chip power (mW) |");
  for (int i = 0; i < 5; ++i) std::printf(" %.0f |", power_mw[i]);
  std::printf("\n\nEnergy breakdown, chip mapping (normalised, fraction of layer total):\n");
  for (int i = 0; i < 5; ++i) {
    const auto& e = rlc[i].energy;
    const double t = e.total();
    std::printf(
        "CONV%d: total %.4g  DRAM %.2f GLB %.2f array %.2f RF %.2f MAC %.2f | ifmap %.2f ofmap %.2f weight %.2f comp "
        "%.2f\n",
        i + 1, t, e.dram / t, e.glb / t, e.array / t, e.rf / t, e.mac / t, e.ifmap / t, e.ofmap / t, e.weight / t,
        e.computation / t);
  }
  return 0;
}
