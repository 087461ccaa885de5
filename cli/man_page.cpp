#include "cli/man_page.h"

#include <filesystem>
#include <sstream>

#include "cli/command_docs.h"
#include "lib/support/atomic_file.h"

namespace dnnc::cli {

namespace {

// Text as roff reads it: backslashes escaped, minus signs as \- (so that man pages search and copy
// as ASCII hyphens), and a line that would start with a control character guarded.
std::string roff(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
  }
  std::string guarded;
  bool line_start = true;
  for (char c : out) {
    if (line_start && (c == '.' || c == '\'')) guarded += "\\&";
    guarded += c;
    line_start = c == '\n';
  }
  return guarded;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// "-o, --output TEXT" with the names bold and the value italic.
std::string optionHeading(const OptionDoc& o) {
  std::string out;
  auto name = [&](const std::string& n) {
    if (!out.empty()) out += ", ";
    out += "\\fB" + roff(n) + "\\fR";
  };
  for (const auto& s : o.short_names) name("-" + s);
  for (const auto& l : o.long_names) name("--" + l);
  if (!o.value_name.empty()) out += " \\fI" + roff(o.value_name) + "\\fR";
  return out;
}

std::string optionParagraph(const OptionDoc& o, const std::string& heading) {
  std::string text = o.description;
  if (o.required) text += (text.empty() ? "" : " ") + std::string("(required)");
  return ".TP\n" + heading + "\n" + roff(text) + "\n";
}

std::string header(const std::string& title, const std::string& version) {
  // No date: the pages are the same for the same dnnc, whenever they are built.
  return ".TH " + roff(upper(title)) + " 1 \"\" \"" + roff(version) + "\" \"dnnc manual\"\n";
}

std::string exitStatus() {
  return ".SH EXIT STATUS\n"
         ".TP\n.B 0\nsuccess\n.TP\n.B 1\ninternal error (a bug in dnnc)\n.TP\n.B 2\nusage error\n"
         ".TP\n.B 3\ninvalid input\n.TP\n.B 4\ntarget not reachable\n.TP\n.B 5\ncannot write output\n";
}

std::string commandPage(const CommandDoc& c, const std::vector<CommandDoc>& all, const std::string& version) {
  std::ostringstream out;
  out << header("dnnc-" + c.name, version);
  out << ".SH NAME\ndnnc\\-" << roff(c.name) << " \\- " << roff(c.description) << "\n";
  out << ".SH SYNOPSIS\n.B dnnc " << roff(c.name) << "\n[\\fIOPTIONS\\fR]";
  for (const auto& p : c.positionals) {
    std::string name = "\\fI" + roff(p.positional) + "\\fR" + (p.repeatable ? "..." : "");
    out << " " << (p.required ? name : "[" + name + "]");
  }
  out << "\n.SH DESCRIPTION\n" << roff(c.description) << ".\n";
  if (!c.positionals.empty()) {
    out << ".SH ARGUMENTS\n";
    for (const auto& p : c.positionals) out << optionParagraph(p, "\\fI" + roff(p.positional) + "\\fR");
  }
  out << ".SH OPTIONS\n";
  for (const auto& o : c.options) out << optionParagraph(o, optionHeading(o));
  out << exitStatus();
  out << ".SH SEE ALSO\n\\fBdnnc\\fR(1)";
  for (const auto& other : all)
    if (other.name != c.name) out << ", \\fBdnnc\\-" << roff(other.name) << "\\fR(1)";
  out << "\n";
  return out.str();
}

std::string mainPage(const CommandDoc& d, const std::vector<CommandDoc>& commands, const std::string& version) {
  std::ostringstream out;
  out << header("dnnc", version);
  std::string summary = d.description.substr(d.description.find(':') == std::string::npos ? 0 : d.description.find(':') + 2);
  out << ".SH NAME\ndnnc \\- " << roff(summary) << "\n";
  out << ".SH SYNOPSIS\n.B dnnc\n\\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGS\\fR]\n.br\n.B dnnc\n\\-\\-help | \\-\\-version\n";
  out << ".SH DESCRIPTION\n" << roff(d.description) << ".\n.PP\n"
      << "Each command has its own page: \\fBman dnnc\\-\\fR\\fICOMMAND\\fR, or run \\fBdnnc \\fR\\fICOMMAND\\fR\\fB \\-\\-help\\fR.\n";
  out << ".SH COMMANDS\n";
  for (const auto& c : commands) out << ".TP\n\\fBdnnc\\-" << roff(c.name) << "\\fR(1)\n" << roff(c.description) << "\n";
  out << ".SH OPTIONS\n";
  for (const auto& o : d.options) out << optionParagraph(o, optionHeading(o));
  out << exitStatus();
  out << ".SH SEE ALSO\n";
  for (size_t i = 0; i < commands.size(); ++i) out << (i ? ", " : "") << "\\fBdnnc\\-" << roff(commands[i].name) << "\\fR(1)";
  out << "\n";
  return out.str();
}

}  // namespace

std::vector<ManPage> renderManPages(const CLI::App& app, const std::string& version) {
  std::vector<CommandDoc> commands = describeSubcommands(app);
  std::vector<ManPage> pages{{"dnnc.1", mainPage(describeCommand(app), commands, version)}};
  for (const auto& c : commands) pages.push_back({"dnnc-" + c.name + ".1", commandPage(c, commands, version)});
  return pages;
}

Status writeManPages(const CLI::App& app, const std::string& version, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error(Exit::Output, "cannot create '", dir, "': ", ec.message());
  for (const auto& page : renderManPages(app, version)) {
    Status st = writeFileAtomic((std::filesystem::path(dir) / page.file).string(), page.text);
    if (!st) return st;
  }
  return {};
}

}  // namespace dnnc::cli
