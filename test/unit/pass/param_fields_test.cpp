#include <catch2/catch.hpp>

#include "lib/pass/pipeline.h"
#include "lib/pass/registry.h"
#include "passes/registry.h"

using namespace dnnc;

namespace {

struct Group {
  int64_t epochs = -1;  // left out below: keeps this initialiser
  std::optional<int64_t> seed;
  std::string optimizer;
};

struct Params {
  std::optional<double> sparsity;
  double lr = 0;
  int64_t rounds = 0;
  bool refit = false;
  std::string method;
  std::optional<std::string> skip;
  Group group;
};

ParamFields<Group> groupFields() {
  return ParamFields<Group>()
      .field("epochs", &Group::epochs, "1", "epochs")
      .field("seed", &Group::seed, "", "seed")
      .field("optimizer", &Group::optimizer, "sgd", "optimizer", {"sgd", "adam"});
}

const ParamFields<Params>& fields() {
  static const auto f = ParamFields<Params>()
                            .field("sparsity", &Params::sparsity, "", "fraction")
                            .field("lr", &Params::lr, "1e-4", "rate")
                            .field("rounds", &Params::rounds, "3", "rounds")
                            .field("refit", &Params::refit, "true", "refit")
                            .field("method", &Params::method, "l1", "criterion", {"l1", "l2"})
                            .field("skip", &Params::skip, "", "globs")
                            .fields(&Params::group, groupFields(), {"epochs"});
  return f;
}

Params bind(const std::vector<std::pair<std::string, std::string>>& given) {
  auto parsed = PassParams::parse("p", fields().specs(), given);
  REQUIRE(parsed.ok());
  return fields().bind(*parsed);
}

}  // namespace

TEST_CASE("ParamFields gives the specs in declaration order, with types, defaults and choices") {
  const auto& s = fields().specs();
  std::vector<std::string> names;
  for (const auto& p : s) names.push_back(p.name);
  CHECK(names == std::vector<std::string>{"sparsity", "lr", "rounds", "refit", "method", "skip", "seed", "optimizer"});
  CHECK(s[0].type == ParamType::Float);
  CHECK(s[0].default_value.empty());
  CHECK(s[1].default_value == "1e-4");  // as written: `dnnc passes` prints it so
  CHECK(s[2].type == ParamType::Int);
  CHECK(s[3].type == ParamType::Bool);
  CHECK(s[4].choices == std::vector<std::string>{"l1", "l2"});
  CHECK(s[6].type == ParamType::Int);
  CHECK(s[7].choices == std::vector<std::string>{"sgd", "adam"});
}

TEST_CASE("ParamFields binds defaults, leaves optional parameters empty unless given") {
  Params d = bind({});
  CHECK(!d.sparsity);
  CHECK(d.lr == 1e-4);
  CHECK(d.rounds == 3);
  CHECK(d.refit);
  CHECK(d.method == "l1");
  CHECK(!d.skip);
  CHECK(!d.group.seed);
  CHECK(d.group.optimizer == "sgd");
  CHECK(d.group.epochs == -1);  // not a parameter here

  Params g = bind({{"sparsity", "0.25"}, {"rounds", "7"}, {"refit", "no"}, {"method", "l2"}, {"skip", "conv*,fc1"},
                   {"seed", "42"}, {"optimizer", "adam"}, {"lr", "0.5"}});
  REQUIRE(g.sparsity);
  CHECK(*g.sparsity == 0.25);
  CHECK(g.lr == 0.5);
  CHECK(g.rounds == 7);
  CHECK(!g.refit);
  CHECK(g.method == "l2");
  CHECK(g.skip == std::optional<std::string>("conv*,fc1"));
  CHECK(g.group.seed == std::optional<int64_t>(42));
  CHECK(g.group.optimizer == "adam");
}

TEST_CASE("ParamFields specs reject what the pass does not declare, with the parser's messages") {
  auto bad = [](std::vector<std::pair<std::string, std::string>> given) {
    auto p = PassParams::parse("p", fields().specs(), given);
    REQUIRE(!p.ok());
    return p.error().message();
  };
  CHECK(bad({{"epochs", "2"}}) == "pass 'p' has no parameter 'epochs'");  // left out of the group
  CHECK(bad({{"rounds", "x"}}) == "pass 'p': parameter 'rounds' expects an integer, got 'x'");
  CHECK(bad({{"method", "l3"}}) == "pass 'p': parameter 'method' expects l1|l2, got 'l3'");
}

TEST_CASE("every shipped pass's declared defaults parse as their types") {
  for (const auto& info : builtinPasses().all())
    for (const auto& s : info.params) {
      INFO(info.name << " " << s.name);
      if (!s.default_value.empty()) CHECK(normaliseParamValue(info.name, s, s.default_value).ok());
      CHECK((s.choices.empty() || s.type == ParamType::String));
    }
}
