// The measured-model analyses: the activation statistics and energy the AnalysisManager keeps equal
// the executor's and the energy model's direct results, are computed once per data/accelerator, and
// are dropped by a pass that changes weights.
#include <catch2/catch.hpp>

#include "lib/energy/accelerator_spec.h"
#include "lib/energy/model_energy_analysis.h"
#include "lib/ir/onnx_io.h"
#include "lib/pass/pass.h"
#include "test/support/test_support.h"

using namespace dnnc;

TEST_CASE("model energy analysis: equal to the direct evaluation, cached by data and accelerator") {
  auto loaded = loadModel(test::testData("lenet5.onnx"));
  REQUIRE(loaded.ok());
  const Model& m = *loaded;
  Calibration c;
  c.data.path = test::testData("fashion_test_2000_images.npy");
  c.data.scale = 1.0f / 255.0f;
  c.labels = test::testData("fashion_test_2000_labels.npy");
  c.limit = 200;

  AnalysisManager am;
  auto measured = am.get(m, energy::ModelEnergyAnalysis{"eyeriss-sparse", energy::Objective::Energy, c, 1});
  REQUIRE(measured.ok());
  const ClassifierScore* score = am.cached(energy::ActivationStatsAnalysis{c, 1});
  REQUIRE(score != nullptr);  // measured on the way and kept

  // The same, computed directly.
  auto set = loadCalibrationSet(m, c);
  REQUIRE(set.ok());
  const ActivationStatsOptions stats_options = energy::energyStatsOptions();
  auto direct_score = ClassifierScorer(*set, 1).score(m, &stats_options);
  REQUIRE(direct_score.ok());
  CHECK(score->accuracy == direct_score->accuracy);
  CHECK(score->accuracy > 50.0);  // LeNet-5 on Fashion-MNIST: a real model on real data
  CHECK(score->predictions == direct_score->predictions);
  auto spec = energy::loadAcceleratorSpec("eyeriss-sparse");
  REQUIRE(spec.ok());
  auto direct = energy::evaluateModelEnergy(m, *spec, direct_score->stats);
  REQUIRE(direct.ok());
  CHECK((*measured)->energy.cost.energy_pj.total() == Approx(direct->cost.energy_pj.total()).epsilon(1e-12));
  CHECK((*measured)->energy.cost.energy_pj.total() > 0);

  // Another accelerator: its own entry over the same statistics.
  auto dense = am.get(m, energy::ModelEnergyAnalysis{"eyeriss", energy::Objective::Energy, c, 1});
  REQUIRE(dense.ok());
  CHECK(*dense != *measured);
  CHECK(am.size() == 3);
  // Fewer samples: other statistics.
  Calibration fewer = c;
  fewer.limit = 100;
  CHECK(am.cached(energy::ActivationStatsAnalysis{fewer, 1}) == nullptr);

  am.invalidate(weightValuesChanged());
  CHECK(am.cached(energy::ActivationStatsAnalysis{c, 1}) == nullptr);
}
