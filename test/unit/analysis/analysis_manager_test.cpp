// The AnalysisManager: results cached by type and parameters, failures not cached, invalidation by what
// a pass preserves, and analyses that ask for other analyses (channel groups over shapes).
#include <catch2/catch.hpp>

#include "lib/analysis/analysis_manager.h"
#include "lib/analysis/channel_groups.h"
#include "lib/analysis/shape_resolution.h"
#include "lib/ir/onnx_io.h"
#include "lib/pass/pass.h"
#include "test/support/test_support.h"

using namespace dnnc;

namespace {

// An analysis that counts its runs and fails while told to.
struct CountingAnalysis {
  using Result = int;
  int param = 0;
  int* runs = nullptr;
  bool* fail = nullptr;
  std::string key() const { return std::to_string(param); }
  Expected<int> run(const Model&, AnalysisManager&) const {
    ++*runs;
    if (*fail) return Error(Exit::Input, "told to fail");
    return param * 10;
  }
};

Model bundled(const std::string& name) {
  auto m = loadModel(test::testData(name));
  REQUIRE(m.ok());
  return std::move(*m);
}

}  // namespace

TEST_CASE("analysis manager: keyed by parameters, failures not cached") {
  AnalysisManager am;
  Model m;
  int runs = 0;
  bool fail = true;
  CHECK_FALSE(am.get(m, CountingAnalysis{1, &runs, &fail}).ok());
  fail = false;
  auto a = am.get(m, CountingAnalysis{1, &runs, &fail});
  REQUIRE(a.ok());
  CHECK(**a == 10);
  CHECK(runs == 2);  // the failure was not kept
  auto again = am.get(m, CountingAnalysis{1, &runs, &fail});
  REQUIRE(again.ok());
  CHECK(*again == *a);
  CHECK(runs == 2);
  auto other = am.get(m, CountingAnalysis{2, &runs, &fail});  // other parameters: its own result
  REQUIRE(other.ok());
  CHECK(**other == 20);
  CHECK(runs == 3);
  am.invalidate(PreservedAnalyses::none().preserve<CountingAnalysis>());
  CHECK(am.size() == 2);
  am.invalidate(PreservedAnalyses::none());
  CHECK(am.size() == 0);
}

TEST_CASE("analysis manager: channel groups of the residual CNN equal the direct analysis, over cached shapes") {
  Model m = bundled("rescnn.onnx");
  AnalysisManager am;
  auto cached = am.get(m, ChannelGroupsAnalysis{});
  REQUIRE(cached.ok());
  CHECK(am.cached(ShapeAnalysis{}) != nullptr);  // computed on the way, kept for the next pass

  auto shapes = resolveShapes(m);
  REQUIRE(shapes.ok());
  Graph graph(m.graph(), ".");
  const ChannelGroups direct = analyzeChannelGroups(graph, shapes->shapes);
  const ChannelGroups& got = **cached;
  REQUIRE(got.groups.size() == direct.groups.size());
  CHECK(got.groups.size() > 1);
  for (size_t g = 0; g < direct.groups.size(); ++g) {
    CHECK(got.groups[g].sources == direct.groups[g].sources);
    CHECK(got.groups[g].blocked == direct.groups[g].blocked);
  }
  // A weight-only pass keeps the shapes but not the channel groups (they read weights: depthwise, zeros).
  am.invalidate(weightValuesChanged());
  CHECK(am.cached(ShapeAnalysis{}) != nullptr);
  CHECK(am.cached(ChannelGroupsAnalysis{}) == nullptr);
}
