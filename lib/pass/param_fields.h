// ParamFields<P>: a pass's parameters declared once, as bindings of a pipeline name to a member of the
// pass's own parameter struct P. From that one list come both the ParamSpec list (what `dnnc passes`
// prints and the pipeline parser validates against) and the filled, typed P the pass is created from,
// so the two cannot drift apart.
//
//   struct PruneMagnitudeParams {
//     std::optional<double> sparsity;  // no default: given or not
//     std::string granularity;
//     static const ParamFields<PruneMagnitudeParams>& fields() {
//       static const auto f = ParamFields<PruneMagnitudeParams>()
//           .field("sparsity", &PruneMagnitudeParams::sparsity, "", "fraction of weights to zero")
//           .field("granularity", &PruneMagnitudeParams::granularity, "element", "element or simd:N");
//       return f;
//     }
//   };
//
// Member types: double (float), int64_t (int), bool, std::string, and std::optional of each for a
// parameter without a default. Defaults are written in pipeline syntax ("1e-4", "true"): that text is
// what `dnnc passes` and the normalised pipeline print. Range checks stay in the pass's create().
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "lib/pass/params.h"
#include "lib/support/check.h"

namespace dnnc {

namespace param_fields_detail {

// The ParamType of a member type and how its value is read from parsed PassParams.
template <class T>
struct Traits;
template <>
struct Traits<double> {
  static constexpr ParamType type = ParamType::Float;
  static double read(const PassParams& p, const std::string& name) { return p.getFloat(name); }
};
template <>
struct Traits<int64_t> {
  static constexpr ParamType type = ParamType::Int;
  static int64_t read(const PassParams& p, const std::string& name) { return p.getInt(name); }
};
template <>
struct Traits<bool> {
  static constexpr ParamType type = ParamType::Bool;
  static bool read(const PassParams& p, const std::string& name) { return p.getBool(name); }
};
template <>
struct Traits<std::string> {
  static constexpr ParamType type = ParamType::String;
  static std::string read(const PassParams& p, const std::string& name) { return p.getString(name); }
};

// A member's value type: T for T and for std::optional<T>.
template <class M>
struct Member {
  static constexpr bool optional = false;
  using Value = M;
};
template <class T>
struct Member<std::optional<T>> {
  static constexpr bool optional = true;
  using Value = T;
};

}  // namespace param_fields_detail

template <class P>
class ParamFields {
 public:
  // Binds pipeline parameter `name` to `member`. A plain member needs a default (pipeline syntax); a
  // std::optional member has none ("") and stays empty unless the parameter is given. `choices`
  // closes the set of values of a string parameter.
  template <class M>
  ParamFields& field(std::string name, M P::*member, std::string default_value, std::string doc,
                     std::vector<std::string> choices = {}) {
    namespace d = param_fields_detail;
    constexpr bool optional = d::Member<M>::optional;
    using T = typename d::Member<M>::Value;
    static_assert(std::is_same_v<T, double> || std::is_same_v<T, int64_t> || std::is_same_v<T, bool> ||
                      std::is_same_v<T, std::string>,
                  "a parameter is a double, int64_t, bool or std::string, or an std::optional of one");
    ParamSpec spec{std::move(name), d::Traits<T>::type, std::move(default_value), std::move(doc), std::move(choices)};
    // Declaration mistakes are bugs, caught when the registry is built (every dnnc run).
    DNNC_CHECK(optional == spec.default_value.empty(), "parameter '", spec.name,
               optional ? "' is optional and must have no default" : "' needs a default (or an std::optional member)");
    DNNC_CHECK(spec.choices.empty() || spec.type == ParamType::String, "parameter '", spec.name, "': choices on a non-string");
    if (!optional) {
      auto ok = normaliseParamValue("", spec, spec.default_value);
      DNNC_CHECK(ok.ok(), "parameter '", spec.name, "': default '", spec.default_value, "' is not a ",
                 paramTypeName(spec.type));
    }
    std::string key = spec.name;
    add(std::move(spec), [member, key](P& out, const PassParams& p) {
      if constexpr (optional) {
        if (p.has(key)) out.*member = d::Traits<T>::read(p, key);
      } else {
        out.*member = d::Traits<T>::read(p, key);
      }
    });
    return *this;
  }

  // Embeds the fields of a parameter group S (shared by several passes, e.g. fine-tuning's) held in
  // member `group`, leaving out those named in `except` (they keep S's member initialisers).
  template <class S>
  ParamFields& fields(S P::*group, const ParamFields<S>& sub, const std::vector<std::string>& except = {}) {
    for (const auto& b : sub.bindings_) {
      bool skip = false;
      for (const auto& e : except) skip = skip || e == b.spec.name;
      if (skip) continue;
      add(b.spec, [group, read = b.read](P& out, const PassParams& p) { read(out.*group, p); });
    }
    return *this;
  }

  // What the registry lists and the pipeline parser validates against, in declaration order.
  const std::vector<ParamSpec>& specs() const { return specs_; }

  // The struct filled from parameters PassParams::parse has checked against specs(): given values,
  // else defaults; optional members without a value stay empty.
  P bind(const PassParams& params) const {
    P out{};
    for (const auto& b : bindings_) b.read(out, params);
    return out;
  }

 private:
  template <class>
  friend class ParamFields;
  struct Binding {
    ParamSpec spec;
    std::function<void(P&, const PassParams&)> read;
  };

  void add(ParamSpec spec, std::function<void(P&, const PassParams&)> read) {
    for (const auto& s : specs_) DNNC_CHECK(s.name != spec.name, "parameter '", spec.name, "' declared twice");
    specs_.push_back(spec);
    bindings_.push_back({std::move(spec), std::move(read)});
  }

  std::vector<ParamSpec> specs_;
  std::vector<Binding> bindings_;
};

// A pass without parameters.
struct NoParams {
  static const ParamFields<NoParams>& fields() {
    static const ParamFields<NoParams> none;
    return none;
  }
};

}  // namespace dnnc
