// Man pages (roff, man(7) macros) rendered from the CLI11 app: dnnc.1 and one dnnc-COMMAND.1 per command.
#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "lib/support/error.h"

namespace dnnc::cli {

struct ManPage {
  std::string file;  // "dnnc-prune.1"
  std::string text;
};

// The pages of dnnc and each visible subcommand; version goes in the footer ("dnnc 0.1.0").
std::vector<ManPage> renderManPages(const CLI::App& app, const std::string& version);

// Writes them into dir (created if missing); Exit::Output when a file cannot be written.
Status writeManPages(const CLI::App& app, const std::string& version, const std::string& dir);

}  // namespace dnnc::cli
