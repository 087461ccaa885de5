// What the man pages and the shell completions say about the CLI, read from the CLI11 app itself so
// that they never drift from `dnnc COMMAND --help`: each command's options, value names, positionals.
#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace dnnc::cli {

struct OptionDoc {
  std::vector<std::string> short_names;  // "q" for -q
  std::vector<std::string> long_names;   // "quiet" for --quiet
  std::string positional;                // "MODEL" for a positional, else ""
  std::string value_name;                // "FLOAT", "[FILE]"; "" for a flag
  std::string description;
  bool required = false;
  bool value_optional = false;  // --json [FILE]
  bool repeatable = false;      // takes several values or may be given more than once
  // The value is a path (or free text) rather than a number: shells complete file names for it.
  bool value_is_path() const;
  // The accepted values when the option checks against a fixed set (CLI::IsMember), else empty.
  std::vector<std::string> choices() const;
};

struct CommandDoc {
  std::string name;  // "" for dnnc itself
  std::string description;
  std::string footer;
  std::vector<OptionDoc> options;      // non-positional, help included, in --help order
  std::vector<OptionDoc> positionals;  // in order
};

// The visible options of one app (hidden ones, those with an empty group, are left out).
CommandDoc describeCommand(const CLI::App& app);
// dnnc's visible subcommands, in registration order.
std::vector<CommandDoc> describeSubcommands(const CLI::App& app);

}  // namespace dnnc::cli
