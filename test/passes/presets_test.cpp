// Presets and recipes are pipeline text: every preset parses against the built-in passes, and each
// recipe in docs/recipes/ reads back to the same normalised pipeline as its preset.
#include "passes/presets.h"
#include "test/passes/pass_test_util.h"

using namespace dnnc;

TEST_CASE("every preset parses against the built-in passes", "[presets]") {
  for (const auto& p : builtinPresets()) {
    INFO(p.name << ": " << p.pipeline);
    auto parsed = parsePipeline(p.pipeline, builtinPasses());
    INFO((parsed.ok() ? "" : parsed.error().message()));
    CHECK(parsed.ok());
  }
  auto unknown = presetPipeline("no-such-preset");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code() == Exit::Usage);
}

TEST_CASE("the recipes in docs/recipes are their presets", "[presets]") {
  for (const char* name : {"energy", "deep-compression"}) {
    INFO(name);
    std::string path = std::string(DNNC_SOURCE_DIR) + "/docs/recipes/" + name + ".yaml";
    auto text = recipePipeline(test::readBytes(path), path);
    INFO((text.ok() ? "" : text.error().message()));
    REQUIRE(text.ok());
    auto from_recipe = parsePipeline(*text, builtinPasses());
    auto from_preset = parsePipeline(*presetPipeline(name), builtinPasses());
    REQUIRE(from_recipe.ok());
    REQUIRE(from_preset.ok());
    CHECK(from_recipe->print() == from_preset->print());
  }
}

TEST_CASE("a recipe that is not a pipeline list gets a clear error", "[presets]") {
  for (const char* bad : {"pipeline: fold-bn", "passes: [dce]", "pipeline:\n  - {a: 1, b: 2}", "pipeline: [", ""}) {
    INFO(bad);
    auto r = recipePipeline(bad, "r.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Exit::Input);
    CHECK(r.error().message().find("r.yaml") != std::string::npos);
  }
  auto quoted = recipePipeline("pipeline:\n  - prune-magnitude: {skip: 'conv1,fc*'}\n", "r.yaml");
  REQUIRE(quoted.ok());
  CHECK(*quoted == "prune-magnitude(skip='conv1,fc*')");
}
