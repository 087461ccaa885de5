// dnnc passes [--json]: every pass a pipeline may name, with its parameters.
#include <iostream>

#include "cli/command.h"
#include "passes/registry.h"

namespace dnnc::cli {

namespace {

struct PassesOptions {
  CommonOptions common;
};

int runPasses(const PassesOptions& o) {
  const auto& registry = builtinPasses();
  if (!o.common.json.empty()) {
    Report report("passes");
    nlohmann::json list = nlohmann::json::array();
    for (const auto& p : registry.all()) {
      nlohmann::json params = nlohmann::json::array();
      for (const auto& s : p.params)
        params.push_back({{"name", s.name}, {"type", paramTypeName(s.type)}, {"default", s.default_value},
                          {"doc", s.doc}, {"choices", s.choices}});
      list.push_back({{"name", p.name}, {"summary", p.summary}, {"params", params}});
    }
    report.root()["passes"] = list;
    return emitJson("passes", report, o.common);
  }
  for (const auto& p : registry.all()) {
    std::cout << p.name << "\n    " << p.summary << "\n";
    for (const auto& s : p.params) {
      std::cout << "    " << s.name << "=<" << paramTypeName(s.type) << ">";
      if (!s.default_value.empty()) std::cout << " (default " << s.default_value << ")";
      std::cout << "  " << s.doc << "\n";
    }
  }
  std::cout << "\nPipeline syntax: name(key=value,...),name,...  e.g. 'fold-bn,dce'\n";
  return 0;
}

}  // namespace

void setupPasses(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<PassesOptions>();
  auto* sub = app.add_subcommand("passes", "List the passes and their parameters");
  addCommonOptions(sub, o->common);
  commands.push_back({sub, [o] { return runPasses(*o); }});
}

}  // namespace dnnc::cli
