// dnnc run MODEL -o OUT --passes 'fold-bn,dce': runs any pipeline and reports what each pass changed.
#include <filesystem>
#include <iostream>

#include "cli/pipeline_command.h"
#include "lib/report/table.h"
#include "lib/support/atomic_file.h"
#include "passes/presets.h"
#include "passes/registry.h"

namespace dnnc::cli {

namespace {

struct RunCmdOptions : PipelineCommandOptions {
  std::string passes, preset, recipe;
};

void printText(std::ostream& os, const PipelineRun& run) {
  os << "pipeline: " << run.pipeline.print() << "\n";
  for (const auto& p : run.passes) {
    std::string summary;
    for (const auto& [k, v] : p["summary"].items()) summary += (summary.empty() ? "" : ", ") + k + " " + v.dump();
    os << "  " << p["name"].get<std::string>() << ": " << (summary.empty() ? "done" : summary) << " ("
       << formatFixed(p["time_ms"].get<double>(), 1) << " ms)\n";
    for (const auto& s : p["skipped"]) os << "    skipped " << s["node"].get<std::string>() << ": " << s["reason"].get<std::string>() << "\n";
  }
  const LayerTable &before = run.before, &after = run.after;
  TextTable t({"", "before", "after"});
  t.alignRight({1, 2});
  t.addRow({"nodes", withThousands(before.nodes), withThousands(after.nodes)});
  t.addRow({"params", withThousands(before.params), withThousands(after.params)});
  t.addRow({"nonzero params", withThousands(before.nonzero_params), withThousands(after.nonzero_params)});
  t.addRow({"MACs", withThousands(before.macs), withThousands(after.macs)});
  t.addRow({"weight bytes", humanBytes(before.weight_bytes), humanBytes(after.weight_bytes)});
  os << t.render();
}

Expected<Pipeline> choosePipeline(const RunCmdOptions& o) {
  if (o.passes.empty() && o.preset.empty() && o.recipe.empty())
    return Error(Exit::Usage, "no pipeline: give --passes, --preset or --recipe")
        .withHint("dnnc passes lists the passes; dnnc run --help lists the presets");
  std::string text = o.passes;
  if (!o.preset.empty()) {
    DNNC_ASSIGN(text, presetPipeline(o.preset));
  } else if (!o.recipe.empty()) {
    DNNC_ASSIGN(std::string yaml, readFile(o.recipe));
    DNNC_ASSIGN(text, recipePipeline(yaml, o.recipe));
  }
  return parsePipeline(text, builtinPasses());
}

Status runRun(const RunCmdOptions& o) {
  DNNC_ASSIGN(Pipeline pipeline, choosePipeline(o));
  DNNC_ASSIGN(PipelineRun run, runPipelineCommand("run", o, pipeline, {.progress_label = "run"}));
  Report report = pipelineReport("run", o, run);
  if (!o.common.json.empty()) return emitJsonStatus(report, o.common);
  // The summary is this command's data when the model goes to a file; with -o - it is a diagnostic.
  if (!o.common.quiet) printText(summaryStream(o), run);
  return {};
}

}  // namespace

void setupRun(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<RunCmdOptions>();
  auto* sub = app.add_subcommand("run", "Run a pass pipeline on a model");
  auto* passes = sub->add_option("-p,--passes", o->passes, "Pipeline, e.g. 'fold-bn,dce' ('dnnc passes' lists them)");
  std::string preset_doc = "A named pipeline:";
  for (const auto& p : builtinPresets()) preset_doc += "\n  " + p.name + ": " + p.pipeline;
  auto* preset = sub->add_option("--preset", o->preset, preset_doc);
  auto* recipe = sub->add_option("--recipe", o->recipe, "A YAML recipe (a 'pipeline:' list; see docs/recipes/)");
  passes->excludes(preset)->excludes(recipe);
  preset->excludes(recipe);
  addPipelineCommandOptions(sub, *o, true);
  commands.push_back({sub, [o] { return reportStatus("run", runRun(*o)); }});
}

}  // namespace dnnc::cli
