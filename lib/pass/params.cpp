#include "lib/pass/params.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "lib/support/check.h"
#include "lib/support/suggest.h"

namespace dnnc {

std::string paramTypeName(ParamType t) {
  switch (t) {
    case ParamType::Float: return "float";
    case ParamType::Int: return "int";
    case ParamType::Bool: return "bool";
    case ParamType::String: return "string";
  }
  return "?";
}

// Parses and normalises a value by its type; the normalised text is what the pipeline prints.
Expected<std::string> normaliseParamValue(const std::string& pass, const ParamSpec& spec, const std::string& value) {
  auto bad = [&](const char* expected) {
    return Error(Exit::Usage, "pass '", pass, "': parameter '", spec.name, "' expects ", expected, ", got '", value, "'");
  };
  switch (spec.type) {
    case ParamType::Float: {
      char* end = nullptr;
      double v = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0' || !std::isfinite(v)) return bad("a number");
      return formatDouble(v);
    }
    case ParamType::Int: {
      char* end = nullptr;
      long long v = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0') return bad("an integer");
      return std::to_string(v);
    }
    case ParamType::Bool:
      if (value == "true" || value == "1" || value == "yes") return std::string("true");
      if (value == "false" || value == "0" || value == "no") return std::string("false");
      return bad("true or false");
    case ParamType::String:
      if (!spec.choices.empty()) {
        for (const auto& c : spec.choices)
          if (c == value) return value;
        std::string list;
        for (const auto& c : spec.choices) list += (list.empty() ? "" : "|") + c;
        return bad(list.c_str());
      }
      return value;
  }
  return value;
}

Expected<PassParams> PassParams::parse(const std::string& pass, const std::vector<ParamSpec>& specs,
                                       const std::vector<std::pair<std::string, std::string>>& given) {
  PassParams p;
  std::vector<std::string> names;
  for (const auto& s : specs) names.push_back(s.name);
  for (const auto& [key, value] : given) {
    const ParamSpec* spec = nullptr;
    for (const auto& s : specs)
      if (s.name == key) spec = &s;
    if (!spec) {
      Error e(Exit::Usage, "pass '", pass, "' has no parameter '", key, "'");
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      std::string close = closestMatch(key, names);
      return std::move(e).withHint(!close.empty() ? strCat("did you mean '", close, "'?")
                                   : known.empty() ? strCat("'", pass, "' takes no parameters")
                                                   : strCat("its parameters: ", known));
    }
    if (p.given_.count(key)) return Error(Exit::Usage, "pass '", pass, "': parameter '", key, "' given twice");
    DNNC_ASSIGN(std::string norm, normaliseParamValue(pass, *spec, value));
    p.values_[key] = norm;
    p.given_[key] = true;
  }
  for (const auto& s : specs) {
    if (!p.values_.count(s.name) && !s.default_value.empty()) p.values_[s.name] = s.default_value;
    if (p.values_.count(s.name)) p.items_.emplace_back(s.name, p.values_[s.name]);
  }
  return p;
}

double PassParams::getFloat(const std::string& name) const {
  auto it = values_.find(name);
  DNNC_CHECK(it != values_.end(), "parameter ", name, " has no value");
  return std::strtod(it->second.c_str(), nullptr);
}

int64_t PassParams::getInt(const std::string& name) const {
  auto it = values_.find(name);
  DNNC_CHECK(it != values_.end(), "parameter ", name, " has no value");
  return std::strtoll(it->second.c_str(), nullptr, 10);
}

bool PassParams::getBool(const std::string& name) const {
  auto it = values_.find(name);
  DNNC_CHECK(it != values_.end(), "parameter ", name, " has no value");
  return it->second == "true";
}

const std::string& PassParams::getString(const std::string& name) const {
  auto it = values_.find(name);
  DNNC_CHECK(it != values_.end(), "parameter ", name, " has no value");
  return it->second;
}

}  // namespace dnnc
