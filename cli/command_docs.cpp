#include "cli/command_docs.h"

namespace dnnc::cli {

namespace {

OptionDoc describeOption(const CLI::Option& opt) {
  OptionDoc d;
  d.short_names = opt.get_snames();
  d.long_names = opt.get_lnames();
  if (!opt.nonpositional()) d.positional = opt.get_name(true);
  d.description = opt.get_description();
  d.required = opt.get_required();
  bool flag = opt.get_expected_max() == 0;
  if (!flag) {
    d.value_name = opt.get_option_text().empty() ? opt.get_type_name() : opt.get_option_text();
    d.value_optional = opt.get_expected_min() == 0 && opt.nonpositional();
    if (d.value_optional && d.value_name.rfind('[', 0) != 0) d.value_name = "[" + d.value_name + "]";
    if (!opt.get_default_str().empty() && !d.value_optional) d.value_name += "=" + opt.get_default_str();
  }
  // Flags may be given again (-vv counts); an option of several values takes them from repeats too.
  d.repeatable = flag || opt.get_expected_max() > 1;
  return d;
}

}  // namespace

bool OptionDoc::value_is_path() const {
  if (value_name.empty()) return false;
  std::string base = value_name.substr(value_name[0] == '[' ? 1 : 0);
  base = base.substr(0, base.find_first_of(":=]"));
  return base != "INT" && base != "UINT" && base != "FLOAT" && base != "NUMBER";
}

std::vector<std::string> OptionDoc::choices() const {
  // CLI::IsMember describes itself as {a,b,c} after the type: "TEXT:{model,cpu}".
  std::vector<std::string> out;
  auto open = value_name.find(":{");
  auto close = value_name.find('}', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) return out;
  std::string list = value_name.substr(open + 2, close - open - 2);
  for (size_t start = 0; start <= list.size();) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    if (comma > start) out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

CommandDoc describeCommand(const CLI::App& app) {
  CommandDoc doc;
  doc.name = app.get_parent() ? app.get_name() : "";
  doc.description = app.get_description();
  doc.footer = app.get_footer();
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_group().empty()) continue;  // hidden
    OptionDoc d = describeOption(*opt);
    (d.positional.empty() ? doc.options : doc.positionals).push_back(std::move(d));
  }
  return doc;
}

std::vector<CommandDoc> describeSubcommands(const CLI::App& app) {
  std::vector<CommandDoc> out;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); }))
    out.push_back(describeCommand(*sub));
  return out;
}

}  // namespace dnnc::cli
