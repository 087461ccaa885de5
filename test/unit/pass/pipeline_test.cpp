#include <catch2/catch.hpp>

#include "lib/pass/pipeline.h"
#include "passes/registry.h"

using namespace dnnc;

namespace {
// A registry with typed parameters, independent of the shipped passes.
PassRegistry testRegistry() {
  PassRegistry r;
  auto none = [](const PassParams&) -> Expected<std::unique_ptr<Pass>> { return Error(Exit::Internal, "not run"); };
  r.add({"prune-magnitude", "test",
         {{"sparsity", ParamType::Float, "0.5", "fraction"},
          {"granularity", ParamType::String, "element", "how", {"element", "filter", "channel"}},
          {"layers", ParamType::String, "", "glob"},
          {"iterations", ParamType::Int, "1", "rounds"},
          {"global", ParamType::Bool, "false", "one threshold"}},
         none});
  r.add({"fold-bn", "test", {}, none});
  return r;
}
}  // namespace

TEST_CASE("pipelines parse, print normalised, and parse back to the same pipeline") {
  auto reg = testRegistry();
  for (const char* text : {"fold-bn", " fold-bn , prune-magnitude( sparsity = 0.90 ) ",
                           "prune-magnitude(granularity=filter,global=yes,iterations=3,layers='conv*,fc1')",
                           "fold-bn,fold-bn"}) {
    auto p = parsePipeline(text, reg);
    REQUIRE(p.ok());
    std::string printed = p->print();
    auto again = parsePipeline(printed, reg);
    REQUIRE(again.ok());
    CHECK(again->print() == printed);
  }
  auto p = parsePipeline("fold-bn,prune-magnitude(sparsity=0.90)", reg);
  CHECK(p->print() == "fold-bn,prune-magnitude(sparsity=0.9,granularity=element,iterations=1,global=false)");
  CHECK(p->elements[1].params.getFloat("sparsity") == 0.9);
  auto q = parsePipeline("prune-magnitude(layers='conv*,fc1')", reg);
  CHECK(q->elements[0].params.getString("layers") == "conv*,fc1");
  CHECK(q->print().find("layers='conv*,fc1'") != std::string::npos);
}

TEST_CASE("bad pipeline text is a usage error with a hint") {
  auto reg = testRegistry();
  auto unknown = parsePipeline("fold-nb", reg);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code() == Exit::Usage);
  CHECK(unknown.error().hint() == "did you mean 'fold-bn'?");
  auto key = parsePipeline("prune-magnitude(sparsty=0.5)", reg);
  CHECK(key.error().code() == Exit::Usage);
  CHECK(key.error().hint() == "did you mean 'sparsity'?");
  CHECK(parsePipeline("prune-magnitude(sparsity=lots)", reg).error().code() == Exit::Usage);
  CHECK(parsePipeline("prune-magnitude(granularity=row)", reg).error().message().find("element|filter|channel") != std::string::npos);
  for (const char* bad : {"", ",", "fold-bn,", "prune-magnitude(sparsity)", "prune-magnitude(sparsity=0.5",
                          "prune-magnitude(sparsity=0.5,sparsity=0.6)", "fold-bn(x=1)", "prune-magnitude(layers='a)"}) {
    INFO(bad);
    auto r = parsePipeline(bad, reg);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Exit::Usage);
  }
}

TEST_CASE("every shipped pass is listed and its defaults parse") {
  const auto& reg = builtinPasses();
  REQUIRE(reg.find("fold-bn"));
  REQUIRE(reg.find("dce"));
  for (const auto& p : reg.all()) {
    auto parsed = parsePipeline(p.name, reg);
    REQUIRE(parsed.ok());
    CHECK(parsePipeline(parsed->print(), reg).ok());
  }
}
