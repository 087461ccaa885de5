// Shell completions for bash, zsh and fish, rendered from the CLI11 app: the commands, each command's
// flags (with the fixed choices of an option where it has them), and file names for positionals and
// for options whose value is a path.
#pragma once
#include <CLI/CLI.hpp>
#include <string>

#include "lib/support/error.h"

namespace dnnc::cli {

std::string bashCompletion(const CLI::App& app);
std::string zshCompletion(const CLI::App& app);
std::string fishCompletion(const CLI::App& app);

// Writes dnnc.bash, _dnnc (zsh) and dnnc.fish into dir (created if missing).
Status writeCompletions(const CLI::App& app, const std::string& dir);

}  // namespace dnnc::cli
