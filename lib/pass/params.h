// Pass parameters, parsed from pipeline text (`prune-magnitude(sparsity=0.9)`) against the pass's
// ParamSpecs; unknown keys and ill-typed values are usage errors. Passes do not read PassParams by key:
// they declare a typed struct with ParamFields (param_fields.h), which binds these values to it.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lib/support/error.h"
#include "lib/support/format_double.h"  // parameter values print with it

namespace dnnc {

enum class ParamType { Float, Int, Bool, String };

struct ParamSpec {
  std::string name;
  ParamType type;
  std::string default_value;  // in pipeline syntax; "" means no default (the value is optional)
  std::string doc;
  std::vector<std::string> choices = {};  // for String params with a closed set of values
};

std::string paramTypeName(ParamType t);

// A value checked against its spec (type, choices) and normalised: the text the pipeline prints.
// Exit::Usage naming `pass`, the parameter and the expected form when it does not fit.
Expected<std::string> normaliseParamValue(const std::string& pass, const ParamSpec& spec, const std::string& value);

class PassParams {
 public:
  PassParams() = default;
  // Validates raw key=value pairs against specs and fills defaults.
  static Expected<PassParams> parse(const std::string& pass, const std::vector<ParamSpec>& specs,
                                    const std::vector<std::pair<std::string, std::string>>& given);

  bool has(const std::string& name) const { return values_.count(name) > 0; }
  bool given(const std::string& name) const { return given_.count(name) > 0; }
  double getFloat(const std::string& name) const;
  int64_t getInt(const std::string& name) const;
  bool getBool(const std::string& name) const;
  const std::string& getString(const std::string& name) const;
  // Normalised key=value pairs in declaration order (defaults included), for printing.
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::map<std::string, std::string> values_;
  std::map<std::string, bool> given_;
  std::vector<std::pair<std::string, std::string>> items_;
};

}  // namespace dnnc
