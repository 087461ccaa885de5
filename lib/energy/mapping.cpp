// Mapping files: parse and look up fixed row-stationary mappings per layer.
#include "lib/energy/mapping.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

namespace dnnc::energy {

std::string toString(const Mapping& m) {
  return strCat("n=", m.n, " e=", m.e, " p=", m.p, " q=", m.q, " r=", m.r, " t=", m.t, " m=", m.m);
}

const MappingEntry* MappingTable::find(const std::string& name, int index) const {
  for (const auto& e : entries)
    if (!e.name.empty() && e.name == name) return &e;
  for (const auto& e : entries)
    if (e.name.empty() && e.index == index) return &e;
  return nullptr;
}

Expected<MappingTable> parseMappingTable(const std::string& text, const std::string& source) {
  auto fail = [&](const std::string& where, const std::string& why) {
    return Error(Exit::Input, "invalid mapping file ", source, ": ", where, where.empty() ? "" : ": ", why);
  };
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return fail("", strCat("YAML syntax error at line ", e.mark.line + 1, ", column ", e.mark.column + 1, ": ", e.msg));
  }
  if (!root.IsMap()) return fail("", "expected a map with a 'layers' list");
  for (const auto& kv : root) {
    std::string key = kv.first.as<std::string>();
    if (key != "layers" && key != "description" && key != "batch")
      return fail(key, "unknown field (expected layers, description, batch)");
  }
  const YAML::Node layers = root["layers"];
  if (!layers || !layers.IsSequence())
    return fail("layers", "missing: expected a list of {name|index, n, e, p, q, r, t, m}");
  MappingTable table;
  table.source = source;
  std::set<std::string> names;
  std::set<int> indexes;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const YAML::Node item = layers[i];
    std::string where = strCat("layers[", i, "]");
    if (!item.IsMap()) return fail(where, "expected a map {name|index, n, e, p, q, r, t, m}");
    MappingEntry entry;
    bool has_name = item["name"] && !item["name"].IsNull();
    bool has_index = item["index"] && !item["index"].IsNull();
    if (has_name == has_index)
      return fail(where, "expected exactly one of 'name' (the layer's name) or 'index' (0-based)");
    try {
      if (has_name) entry.name = item["name"].as<std::string>();
      if (has_index) entry.index = item["index"].as<int>();
    } catch (const YAML::Exception&) {
      return fail(where + (has_name ? ".name" : ".index"), has_name ? "expected a string" : "expected an integer");
    }
    if (has_name) where += strCat(" ('", entry.name, "')");
    if (has_index && entry.index < 0)
      return fail(where + ".index", strCat("expected a non-negative integer, got ", entry.index));
    if (has_name && !names.insert(entry.name).second) return fail(where, "layer listed twice");
    if (has_index && !indexes.insert(entry.index).second) return fail(where, "layer index listed twice");
    struct Key {
      const char* name;
      int* value;
    };
    Mapping& m = entry.mapping;
    for (Key k : {Key{"n", &m.n}, Key{"e", &m.e}, Key{"p", &m.p}, Key{"q", &m.q}, Key{"r", &m.r}, Key{"t", &m.t},
                  Key{"m", &m.m}}) {
      const YAML::Node v = item[k.name];
      if (!v || v.IsNull())
        return fail(where, strCat("missing '", k.name, "' (every mapping gives n, e, p, q, r, t, m)"));
      try {
        *k.value = v.as<int>();
      } catch (const YAML::Exception&) {
        return fail(strCat(where, ".", k.name),
                    strCat("expected a positive integer, got '", v.IsScalar() ? v.Scalar() : "?", "'"));
      }
      if (*k.value < 1) return fail(strCat(where, ".", k.name), strCat("expected a positive integer, got ", *k.value));
    }
    for (const auto& kv : item) {
      std::string key = kv.first.as<std::string>();
      static const std::set<std::string> allowed = {"name", "index", "n", "e", "p", "q", "r", "t", "m"};
      if (!allowed.count(key))
        return fail(strCat(where, ".", key), "unknown field (expected name|index, n, e, p, q, r, t, m)");
    }
    table.entries.push_back(std::move(entry));
  }
  return table;
}

Expected<MappingTable> loadMappingFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error(Exit::Input, "cannot load mapping file '", path, "': cannot open it");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parseMappingTable(ss.str(), strCat("'", path, "'"));
}

}  // namespace dnnc::energy
