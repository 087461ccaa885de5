// dnnc: the command-line front end. Only cli/ talks to the terminal and chooses exit codes.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "cli/command.h"
#include "cli/completions.h"
#include "cli/man_page.h"
#include "cli/version.h"
#include "lib/support/atomic_file.h"
#include "lib/support/check.h"
#include "lib/support/suggest.h"

int main(int argc, char** argv) {
  using namespace dnnc::cli;
  CLI::App app{"dnnc: compress trained DNNs (ONNX in, ONNX out) and score them on an accelerator model"};
  app.set_version_flag("--version", versionLine());
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 success, 1 internal error, 2 usage, 3 invalid input, 4 target not reachable, "
      "5 cannot write output.\nRun 'dnnc COMMAND --help' for a command's options.");
  CommandList commands;
  setupInfo(app, commands);
  setupRun(app, commands);
  setupPasses(app, commands);
  setupInfer(app, commands);
  setupEval(app, commands);
  setupStats(app, commands);
  setupEnergy(app, commands);
  setupPrune(app, commands);
  setupSensitivity(app, commands);
  setupDecompose(app, commands);
  setupFinetune(app, commands);
  setupPack(app, commands);
  setupShare(app, commands);
  setupAdapt(app, commands);
  setupCompress(app, commands);
  setupCompare(app, commands);
  setupBatch(app, commands);
  setupReport(app, commands);
  dnnc::installTempFileCleanup();
  // The build's generators (cli/CMakeLists.txt), not commands: the man pages and the shell completions,
  // rendered from this very app so that they say what --help says.
  if (argc == 3 && std::string(argv[1]) == "--generate-man")
    return reportStatus("--generate-man", writeManPages(app, std::string("dnnc ") + DNNC_VERSION, argv[2]));
  if (argc == 3 && std::string(argv[1]) == "--generate-completions")
    return reportStatus("--generate-completions", writeCompletions(app, argv[2]));
  // An unknown first word is most likely a misspelt command: say so, with the closest one.
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> names;
    for (const auto* sub : app.get_subcommands({})) names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), argv[1]) == names.end()) {
      std::cerr << "dnnc: unknown command '" << argv[1] << "'\n";
      std::string close = dnnc::closestMatch(argv[1], names);
      std::cerr << "hint: " << (close.empty() ? std::string("run 'dnnc --help' for the commands") : "did you mean '" + close + "'?") << "\n";
      return static_cast<int>(dnnc::Exit::Usage);
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, our exit code for usage errors.
    std::string where = app.get_subcommands().empty() ? "" : app.get_subcommands().front()->get_name() + ": ";
    std::cerr << "dnnc: " << where << e.what() << "\n";
    std::cerr << "hint: run 'dnnc " << (where.empty() ? "" : where.substr(0, where.size() - 2) + " ") << "--help'\n";
    return static_cast<int>(dnnc::Exit::Usage);
  }
  for (auto& c : commands) {
    if (!c.app->parsed()) continue;
    try {
      return c.run();
    } catch (const dnnc::InternalError& e) {
      std::cerr << "dnnc: " << c.app->get_name() << ": internal error (a bug in dnnc): " << e.what() << "\n";
    } catch (const std::bad_alloc&) {
      std::cerr << "dnnc: " << c.app->get_name() << ": out of memory\n";
    } catch (const std::exception& e) {
      std::cerr << "dnnc: " << c.app->get_name() << ": internal error (a bug in dnnc): " << e.what() << "\n";
    }
    return static_cast<int>(dnnc::Exit::Internal);
  }
  return static_cast<int>(dnnc::Exit::Usage);
}
