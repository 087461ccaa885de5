// Accelerator spec: YAML parsing with field-naming errors, defaults and derived fields, and the dump.
#include "lib/energy/accelerator_spec.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

namespace dnnc::energy {

const char* provenanceName(Provenance p) {
  switch (p) {
    case Provenance::Given:
      return "given";
    case Provenance::Defaulted:
      return "defaulted";
    case Provenance::Derived:
      return "derived";
  }
  return "?";
}

const char* dataTypeName(DataType t) {
  switch (t) {
    case DataType::Ifmap:
      return "ifmap";
    case DataType::Filter:
      return "filter";
    case DataType::Psum:
      return "psum";
  }
  return "?";
}

const char* levelName(Level l) {
  switch (l) {
    case Level::Dram:
      return "dram";
    case Level::Glb:
      return "glb";
    case Level::Array:
      return "array";
    case Level::Rf:
      return "rf";
  }
  return "?";
}

const char* levelClass(Level l) {
  switch (l) {
    case Level::Dram:
      return "dram";
    case Level::Glb:
      return "global_buffer";
    case Level::Array:
      return "array_noc";
    case Level::Rf:
      return "pe_spad";
  }
  return "?";
}

const char* compressionName(Compression c) {
  switch (c) {
    case Compression::None:
      return "none";
    case Compression::Rlc:
      return "rlc";
    case Compression::SignificanceMap:
      return "significance-map";
  }
  return "?";
}

const Partition* StorageLevel::partitionOf(DataType t) const {
  for (const Partition& p : partitions)
    for (DataType u : p.types)
      if (u == t) return &p;
  return nullptr;
}

namespace {

// Reads one YAML map, remembering which keys were used so that unknown keys are errors.
class MapReader {
 public:
  MapReader(YAML::Node node, std::string path, const std::string& source)
      : node_(std::move(node)), path_(std::move(path)), source_(source) {}

  Error error(const std::string& key, const std::string& why) const {
    std::string where = at(key);
    return Error(Exit::Input, "invalid accelerator spec ", source_, ": ", where.empty() ? "" : where + ": ", why);
  }
  std::string at(const std::string& key) const {
    if (key.empty()) return path_;
    return path_.empty() ? key : path_ + "." + key;
  }
  const std::string& source() const { return source_; }

  // A present section must be a map.
  Status expectMap() const {
    if (!node_ || node_.IsNull() || node_.IsMap()) return {};
    return error("", strCat("expected a map, got a ", kindName(node_)));
  }
  bool has(const std::string& key) {
    used_.insert(key);
    return node_ && node_.IsMap() && node_[key] && !node_[key].IsNull();
  }
  // The value under `key`, or a null node when it is absent (never yaml-cpp's invalid node).
  YAML::Node child(const std::string& key) {
    used_.insert(key);
    if (!node_ || !node_.IsMap()) return YAML::Node();
    const YAML::Node n = node_[key];
    return n ? YAML::Node(n) : YAML::Node();
  }

  template <class T>
  Status scalar(const std::string& key, Field<T>& f, T fallback) {
    if (!has(key)) {
      f.value = fallback;
      f.from = Provenance::Defaulted;
      return {};
    }
    const YAML::Node n = node_[key];
    if (!n.IsScalar()) return error(key, strCat("expected ", article<T>(), typeName<T>(), ", got a ", kindName(n)));
    try {
      f.value = n.as<T>();
    } catch (const YAML::Exception&) {
      return error(key, strCat("expected ", article<T>(), typeName<T>(), ", got '", n.Scalar(), "'"));
    }
    if constexpr (std::is_floating_point_v<T>) {
      if (!std::isfinite(f.value)) return error(key, strCat("expected a finite number, got '", n.Scalar(), "'"));
    }
    f.from = Provenance::Given;
    return {};
  }

  template <class T>
  Status positive(const std::string& key, Field<T>& f, T fallback) {
    DNNC_TRY(scalar(key, f, fallback));
    if (f.from == Provenance::Given && !(f.value > 0))
      return error(key, strCat("expected a positive ", typeName<T>(), ", got ", f.value));
    return {};
  }

  template <class T>
  Status nonNegative(const std::string& key, Field<T>& f, T fallback) {
    DNNC_TRY(scalar(key, f, fallback));
    if (f.from == Provenance::Given && !(f.value >= 0))
      return error(key, strCat("expected a non-negative ", typeName<T>(), ", got ", f.value));
    return {};
  }

  Status finish(const std::vector<std::string>& allowed) const {
    if (!node_ || !node_.IsMap()) return {};
    for (const auto& kv : node_) {
      std::string key = kv.first.as<std::string>();
      if (used_.count(key)) continue;
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return error(key, strCat("unknown field (expected one of: ", list, ")"));
    }
    return {};
  }

  static const char* kindName(const YAML::Node& n) {
    if (n.IsMap()) return "map";
    if (n.IsSequence()) return "list";
    if (n.IsNull()) return "null";
    return "scalar";
  }

 private:
  template <class T>
  static const char* article() {
    return std::is_integral_v<T> && !std::is_same_v<T, bool> ? "an " : "a ";
  }
  template <class T>
  static const char* typeName() {
    if constexpr (std::is_same_v<T, bool>)
      return "boolean (true/false)";
    else if constexpr (std::is_integral_v<T>)
      return "integer";
    else if constexpr (std::is_floating_point_v<T>)
      return "number";
    else
      return "string";
  }

  const YAML::Node node_;
  std::string path_;
  const std::string& source_;
  std::set<std::string> used_;
};

Expected<DataType> parseDataType(const std::string& s) {
  if (s == "ifmap") return DataType::Ifmap;
  if (s == "filter" || s == "weight") return DataType::Filter;
  if (s == "psum" || s == "ofmap") return DataType::Psum;
  return Error(Exit::Input, "expected ifmap, filter or psum, got '", s, "'");
}

Expected<Compression> parseCompression(const std::string& s) {
  if (s == "none") return Compression::None;
  if (s == "rlc") return Compression::Rlc;
  if (s == "significance-map") return Compression::SignificanceMap;
  return Error(Exit::Input, "expected none, rlc or significance-map, got '", s, "'");
}

// Reads the list of what a zero operand gates (a YAML sequence, or one scalar); absent: the MAC and the
// filter-scratchpad read, the Eyeriss v1 chip's gating (JSSC 2017).
Status readGates(MapReader& r, const std::string& key, Field<GatedAccesses>& out) {
  if (!r.has(key)) {
    out = {GatedAccesses{true, false, true, false, false}, Provenance::Defaulted};
    return {};
  }
  const char* expected = "expected a list of mac, ifmap_read, filter_read, psum_read, psum_write";
  YAML::Node n = r.child(key);
  std::vector<std::string> names;
  if (n.IsScalar()) {
    names.push_back(n.Scalar());
  } else if (n.IsSequence()) {
    for (const auto& item : n) {
      if (!item.IsScalar()) return r.error(key, expected);
      names.push_back(item.Scalar());
    }
  } else if (!n.IsNull()) {
    return r.error(key, expected);
  }
  GatedAccesses g;
  for (const auto& s : names) {
    bool* slot = s == "mac"           ? &g.mac
                 : s == "ifmap_read"  ? &g.ifmap_read
                 : s == "filter_read" ? &g.filter_read
                 : s == "psum_read"   ? &g.psum_read
                 : s == "psum_write"  ? &g.psum_write
                                      : nullptr;
    if (!slot) return r.error(key, strCat(expected, ", got '", s, "'"));
    if (*slot) return r.error(key, strCat("'", s, "' listed twice"));
    *slot = true;
  }
  out = {g, Provenance::Given};
  return {};
}

// Reads a list of data type names (a YAML sequence, or one scalar).
Status readTypes(MapReader& r, const std::string& key, std::vector<DataType>& out) {
  YAML::Node n = r.child(key);
  std::vector<std::string> names;
  if (n.IsScalar()) {
    names.push_back(n.Scalar());
  } else if (n.IsSequence()) {
    for (const auto& item : n) {
      if (!item.IsScalar()) return r.error(key, "expected a list of data types (ifmap, filter, psum)");
      names.push_back(item.Scalar());
    }
  } else if (!n || n.IsNull()) {
    return {};
  } else {
    return r.error(key, "expected a list of data types (ifmap, filter, psum)");
  }
  for (const auto& s : names) {
    auto t = parseDataType(s);
    if (!t) return r.error(key, t.error().message());
    for (DataType u : out)
      if (u == *t) return r.error(key, strCat("data type '", s, "' listed twice"));
    out.push_back(*t);
  }
  return {};
}

Status readLevels(MapReader& r, const std::string& key, Field<std::vector<Level>>& out) {
  YAML::Node n = r.child(key);
  if (!n || n.IsNull()) return {};
  if (!n.IsSequence()) return r.error(key, "expected a list of levels (dram, glb, array, rf)");
  for (const auto& item : n) {
    std::string name = item.IsScalar() ? item.Scalar() : "";
    int found = -1;
    for (int l = 0; l < kLevels; ++l)
      if (name == levelName(Level(l)) || name == levelClass(Level(l))) found = l;
    if (found < 0) return r.error(key, strCat("expected a level (dram, glb, array, rf), got '", name, "'"));
    for (Level u : out.value)
      if (u == Level(found)) return r.error(key, strCat("level '", name, "' listed twice"));
    out.value.push_back(Level(found));
  }
  out.from = Provenance::Given;
  return {};
}

std::string levelsList(const std::vector<Level>& ls) {
  std::string s = "[";
  for (std::size_t i = 0; i < ls.size(); ++i) s += strCat(i ? ", " : "", levelName(ls[i]));
  return s + "]";
}

Status readEnergyPair(MapReader& r, Field<double>& norm, Field<double>& pj) {
  DNNC_TRY(r.nonNegative("energy", norm, 0.0));
  DNNC_TRY(r.nonNegative("energy_pj", pj, 0.0));
  if (norm.from != Provenance::Given && pj.from != Provenance::Given)
    return r.error("energy", "missing: give the energy per access normalised to one MAC (energy) or in pJ (energy_pj)");
  return {};
}

Status readPartitions(MapReader& r, StorageLevel& level, int word_bits, bool required) {
  YAML::Node list = r.child("partitions");
  if (!list || list.IsNull()) {
    if (required)
      return r.error("partitions",
                     "missing: give the size split by data type, e.g. [{types: [ifmap, psum], "
                     "size_kb: 100}, {types: [filter], size_kb: 8}]");
    return {};
  }
  if (!list.IsSequence()) return r.error("partitions", "expected a list of {types, size_words|size_kb|size_bytes}");
  for (std::size_t i = 0; i < list.size(); ++i) {
    MapReader pr(list[i], r.at(strCat("partitions[", i, "]")), r.source());
    if (!list[i].IsMap()) return pr.error("", "expected a map with types and a size");
    Partition p;
    DNNC_TRY(readTypes(pr, "types", p.types));
    if (p.types.empty()) return pr.error("types", "missing: name the data types the partition holds");
    Field<double> words, kb, bytes;
    DNNC_TRY(pr.positive("size_words", words, 0.0));
    DNNC_TRY(pr.positive("size_kb", kb, 0.0));
    DNNC_TRY(pr.positive("size_bytes", bytes, 0.0));
    int given = (words.from == Provenance::Given) + (kb.from == Provenance::Given) + (bytes.from == Provenance::Given);
    if (given != 1) return pr.error("", strCat("expected exactly one of size_words, size_kb, size_bytes, got ", given));
    if (words.from == Provenance::Given) {
      p.size_words = words;
    } else {
      double b = kb.from == Provenance::Given ? kb.value * 1024.0 : bytes.value;
      p.size_words = {b * 8.0 / word_bits, Provenance::Derived};
    }
    for (const Partition& q : level.partitions)
      for (DataType t : p.types)
        for (DataType u : q.types)
          if (t == u)
            return pr.error("types", strCat("data type '", dataTypeName(t), "' is already held by another partition"));
    DNNC_TRY(pr.finish({"types", "size_words", "size_kb", "size_bytes"}));
    level.partitions.push_back(std::move(p));
  }
  if (required)
    for (int t = 0; t < kDataTypes; ++t)
      if (!level.partitionOf(DataType(t)))
        return r.error("partitions", strCat("no partition holds ", dataTypeName(DataType(t)),
                                            " (every data type needs space at this level)"));
  return {};
}

Status readLevel(const YAML::Node& node, std::size_t index, const std::string& source, int word_bits,
                 StorageLevel& level) {
  std::string path = strCat("levels[", index, "]");
  MapReader r(node, path, source);
  if (!node.IsMap()) return r.error("", "expected a map (name, class, energy, ...)");
  Field<std::string> cls, name;
  DNNC_TRY(r.scalar<std::string>("class", cls, ""));
  const Level expected = Level(index);
  if (cls.from != Provenance::Given) return r.error("class", strCat("missing (expected '", levelClass(expected), "')"));
  if (cls.value != levelClass(expected))
    return r.error("class", strCat("expected '", levelClass(expected),
                                   "' (levels go DRAM, global buffer, array "
                                   "network, PE scratchpads, in that order), got '",
                                   cls.value, "'"));
  level.kind = expected;
  DNNC_TRY(r.scalar<std::string>("name", name, levelName(expected)));
  level.name = name.value;
  DNNC_TRY(readEnergyPair(r, level.energy, level.energy_pj));
  std::vector<std::string> allowed = {"name", "class", "energy", "energy_pj"};
  switch (expected) {
    case Level::Dram:
      DNNC_TRY(r.positive("width_bits", level.width_bits, 64));
      DNNC_TRY(r.positive("clock_mhz", level.clock_mhz, 0.0));
      if (level.clock_mhz.from != Provenance::Given)
        return r.error("clock_mhz", "missing: the DRAM link clock sets the DRAM bandwidth");
      DNNC_TRY(r.scalar("stores_padding", level.stores_padding, true));
      allowed.insert(allowed.end(), {"width_bits", "clock_mhz", "stores_padding"});
      break;
    case Level::Glb:
      DNNC_TRY(r.positive("width_bits", level.width_bits, 64));
      DNNC_TRY(readPartitions(r, level, word_bits, true));
      allowed.insert(allowed.end(), {"width_bits", "partitions"});
      break;
    case Level::Array:
      break;
    case Level::Rf:
      DNNC_TRY(readPartitions(r, level, word_bits, true));
      allowed.push_back("partitions");
      break;
  }
  return r.finish(allowed);
}

Status resolveEnergy(const std::string& source, const std::string& path, Field<double>& norm, Field<double>& pj,
                     double unit_pj) {
  if (norm.from == Provenance::Given && pj.from == Provenance::Given) {
    if (std::abs(norm.value * unit_pj - pj.value) > 1e-9 * std::max(1.0, pj.value))
      return Error(Exit::Input, "invalid accelerator spec ", source, ": ", path,
                   ": energy and energy_pj disagree (energy ", norm.value, " x mac.energy_pj ", unit_pj, " = ",
                   norm.value * unit_pj, " pJ, got energy_pj ", pj.value, ")")
          .withHint("give only one of them");
    return {};
  }
  if (norm.from == Provenance::Given)
    pj = {norm.value * unit_pj, Provenance::Derived};
  else
    norm = {pj.value / unit_pj, Provenance::Derived};
  return {};
}

}  // namespace

namespace {

// `over` laid on `base`: maps merge key by key, anything else (scalars, lists such as levels) replaces.
YAML::Node overlay(const YAML::Node& base, const YAML::Node& over) {
  if (!base.IsMap() || !over.IsMap()) return YAML::Clone(over);
  YAML::Node out = YAML::Clone(base);
  for (const auto& kv : over) {
    const std::string key = kv.first.as<std::string>();
    out[key] = out[key] ? overlay(out[key], kv.second) : YAML::Clone(kv.second);
  }
  return out;
}

Expected<YAML::Node> loadYaml(const std::string& text, const std::string& source) {
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap())
      return Error(Exit::Input, "invalid accelerator spec ", source, ": expected a YAML map at the top level");
    return root;
  } catch (const YAML::Exception& e) {
    return Error(Exit::Input, "invalid accelerator spec ", source, ": YAML syntax error at line ", e.mark.line + 1,
                 ", column ", e.mark.column + 1, ": ", e.msg);
  }
}

// A spec that names `base: PRESET` is that preset with the spec's own keys laid over it, so a variant
// states only what it changes. A base may have a base of its own, up to a few levels.
Expected<YAML::Node> resolveBase(YAML::Node root, const std::string& source, int depth = 0) {
  if (!root["base"]) return root;
  if (!root["base"].IsScalar())
    return Error(Exit::Input, "invalid accelerator spec ", source, ": base: expected the name of a preset");
  const std::string name = root["base"].Scalar();
  if (depth >= 4) return Error(Exit::Input, "invalid accelerator spec ", source, ": base: chain too long at '", name, "'");
  auto text = presetYaml(name);
  if (!text) {
    std::string names;
    for (const auto& n : presetNames()) names += (names.empty() ? "" : ", ") + n;
    return Error(Exit::Input, "invalid accelerator spec ", source, ": base: no preset named '", name,
                 "' (presets: ", names, ")");
  }
  const std::string base_source = strCat("preset '", name, "'");
  DNNC_ASSIGN(YAML::Node base, loadYaml(*text, base_source));
  DNNC_ASSIGN(base, resolveBase(base, base_source, depth + 1));
  root.remove("base");
  return overlay(base, root);
}

}  // namespace

Expected<AcceleratorSpec> parseAcceleratorSpec(const std::string& text, const std::string& source) {
  DNNC_ASSIGN(YAML::Node root, loadYaml(text, source));
  DNNC_ASSIGN(root, resolveBase(root, source));
  AcceleratorSpec spec;
  MapReader r(root, "", source);
  Field<std::string> name;
  DNNC_TRY(r.scalar<std::string>("name", name, "custom"));
  spec.name = name.value;
  DNNC_TRY(r.scalar<std::string>("description", spec.description, ""));
  DNNC_TRY(r.scalar<std::string>("dataflow", spec.dataflow, "row-stationary"));
  if (spec.dataflow.value != "row-stationary")
    return r.error("dataflow",
                   strCat("expected 'row-stationary' (the only dataflow modelled), got '", spec.dataflow.value, "'"));
  DNNC_TRY(r.positive("word_bits", spec.word_bits, 16));
  if (spec.word_bits.value > 64) return r.error("word_bits", strCat("expected at most 64, got ", spec.word_bits.value));
  DNNC_TRY(r.positive("clock_mhz", spec.clock_mhz, 0.0));
  if (spec.clock_mhz.from != Provenance::Given) return r.error("clock_mhz", "missing: the core clock in MHz");

  {
    if (!r.has("pe_array")) return r.error("pe_array", "missing: give {rows, cols}");
    MapReader a(r.child("pe_array"), "pe_array", source);
    DNNC_TRY(a.expectMap());
    DNNC_TRY(a.positive("rows", spec.pe_rows, 0));
    DNNC_TRY(a.positive("cols", spec.pe_cols, 0));
    if (spec.pe_rows.from != Provenance::Given) return a.error("rows", "missing");
    if (spec.pe_cols.from != Provenance::Given) return a.error("cols", "missing");
    DNNC_TRY(a.finish({"rows", "cols"}));
    spec.pe_count = {spec.pe_rows.value * spec.pe_cols.value, Provenance::Derived};
  }
  {
    MapReader m(r.child("mac"), "mac", source);
    DNNC_TRY(m.expectMap());
    DNNC_TRY(m.positive("energy", spec.mac_energy, 1.0));
    if (spec.mac_energy.value != 1.0)
      return m.error("energy", strCat("expected 1 (energies are normalised to one MAC), got ", spec.mac_energy.value))
          .withHint("give the MAC's cost in pJ as mac.energy_pj");
    DNNC_TRY(m.positive("energy_pj", spec.mac_energy_pj, 1.0));
    DNNC_TRY(m.finish({"energy", "energy_pj"}));
  }
  {
    YAML::Node levels = r.child("levels");
    if (!levels || !levels.IsSequence())
      return r.error("levels", "missing: give the storage levels DRAM, global buffer, array network, PE scratchpads");
    if (levels.size() != kLevels)
      return r.error("levels", strCat("expected ", kLevels, " levels (dram, global_buffer, array_noc, pe_spad), got ",
                                      levels.size()));
    for (std::size_t i = 0; i < levels.size(); ++i)
      DNNC_TRY(readLevel(levels[i], i, source, spec.word_bits.value, spec.levels[i]));
    bool any_pj = false;
    for (const auto& l : spec.levels)
      any_pj |= l.energy_pj.from == Provenance::Given && l.energy.from != Provenance::Given;
    if (any_pj && spec.mac_energy_pj.from != Provenance::Given)
      return r.error("mac.energy_pj",
                     "missing: required when level energies are given in pJ (it is the normalisation unit)");
    for (std::size_t i = 0; i < kLevels; ++i) {
      auto& l = spec.levels[i];
      DNNC_TRY(resolveEnergy(source, strCat("levels[", i, "]"), l.energy, l.energy_pj, spec.mac_energy_pj.value));
    }
    auto& dram = spec.levels[int(Level::Dram)];
    dram.bandwidth_per_cycle = {dram.width_bits.value * dram.clock_mhz.value / spec.clock_mhz.value,
                                Provenance::Derived};
    auto& glb = spec.levels[int(Level::Glb)];
    glb.bandwidth_per_cycle = {double(glb.width_bits.value) / spec.word_bits.value, Provenance::Derived};
    if (glb.bandwidth_per_cycle.value < 1.0)
      return Error(Exit::Input, "invalid accelerator spec ", source,
                   ": levels[1].width_bits: expected at least word_bits (", spec.word_bits.value, "), got ",
                   glb.width_bits.value);
  }
  {
    MapReader z(r.child("zero_handling"), "zero_handling", source);
    DNNC_TRY(z.expectMap());
    auto& zh = spec.zeros;
    DNNC_TRY(z.scalar("gate_ifmap_zeros", zh.gate_ifmap_zeros, false));
    DNNC_TRY(z.scalar("gate_weight_zeros", zh.gate_weight_zeros, false));
    DNNC_TRY(readGates(z, "ifmap_zero_gates", zh.ifmap_zero_gates));
    DNNC_TRY(readGates(z, "weight_zero_gates", zh.weight_zero_gates));
    DNNC_TRY(z.scalar("skip_gated_cycles", zh.skip_gated_cycles, false));
    Field<std::string> fc, wc;
    DNNC_TRY(z.scalar<std::string>("fmap_compression", fc, "none"));
    DNNC_TRY(z.scalar<std::string>("weight_compression", wc, "none"));
    auto fcv = parseCompression(fc.value);
    if (!fcv) return z.error("fmap_compression", fcv.error().message());
    auto wcv = parseCompression(wc.value);
    if (!wcv) return z.error("weight_compression", wcv.error().message());
    zh.fmap_compression = {*fcv, fc.from};
    zh.weight_compression = {*wcv, wc.from};
    DNNC_TRY(z.scalar("compress_first_layer_ifmap", zh.compress_first_layer_ifmap, false));
    DNNC_TRY(z.positive("rlc_run_bits", zh.rlc_run_bits, 5));
    DNNC_TRY(z.positive("rlc_word_bits", zh.rlc_word_bits, 64));
    if (zh.rlc_run_bits.value > 30)
      return z.error("rlc_run_bits", strCat("expected at most 30, got ", zh.rlc_run_bits.value));
    int pairs = (zh.rlc_word_bits.value - 1) / (zh.rlc_run_bits.value + spec.word_bits.value);
    if (pairs < 1)
      return z.error("rlc_word_bits",
                     strCat("a ", zh.rlc_word_bits.value, "-bit word cannot hold one run/level pair of ",
                            zh.rlc_run_bits.value + spec.word_bits.value, " bits plus the term bit"));
    zh.rlc_pairs_per_word = {pairs, Provenance::Derived};
    DNNC_TRY(z.finish({"gate_ifmap_zeros", "gate_weight_zeros", "ifmap_zero_gates", "weight_zero_gates",
                       "skip_gated_cycles", "fmap_compression",
                       "weight_compression", "compress_first_layer_ifmap", "rlc_run_bits", "rlc_word_bits"}));
  }
  {
    // Defaults of the multiply and add energies: the 8-bit integer figures of Horowitz, ISSCC 2014 (45 nm:
    // add 0.03 pJ, multiply 0.2 pJ), as shares of their sum.
    MapReader u(r.child("weight_repetition"), "weight_repetition", source);
    DNNC_TRY(u.expectMap());
    auto& wr = spec.repetition;
    DNNC_TRY(u.scalar("factorized_dot_products", wr.factorized_dot_products, false));
    DNNC_TRY(u.positive("activation_group_reuse", wr.activation_group_reuse, 1));
    DNNC_TRY(u.nonNegative("multiply_energy", wr.multiply_energy, 0.87));
    DNNC_TRY(u.nonNegative("add_energy", wr.add_energy, 0.13));
    DNNC_TRY(u.finish({"factorized_dot_products", "activation_group_reuse", "multiply_energy", "add_energy"}));
  }
  {
    MapReader n(r.child("narrow_data"), "narrow_data", source);
    DNNC_TRY(n.expectMap());
    DNNC_TRY(readLevels(n, "levels", spec.narrow.levels));
    DNNC_TRY(n.finish({"levels"}));
  }
  {
    MapReader l(r.child("latency"), "latency", source);
    DNNC_TRY(l.expectMap());
    if (l.has("overlap_dram")) {
      DNNC_TRY(readTypes(l, "overlap_dram", spec.latency.overlap_dram.value));
      spec.latency.overlap_dram.from = Provenance::Given;
    } else {
      spec.latency.overlap_dram = {{}, Provenance::Defaulted};
    }
    DNNC_TRY(l.nonNegative("pass_overhead_cycles", spec.latency.pass_overhead_cycles, 0.0));
    DNNC_TRY(l.finish({"overlap_dram", "pass_overhead_cycles"}));
  }
  DNNC_TRY(r.finish({"name", "description", "dataflow", "word_bits", "clock_mhz", "pe_array", "mac", "levels",
                     "zero_handling", "weight_repetition", "narrow_data", "latency"}));
  return spec;
}

Expected<AcceleratorSpec> loadAcceleratorSpec(const std::string& preset_or_path) {
  if (auto text = presetYaml(preset_or_path))
    return parseAcceleratorSpec(*text, strCat("preset '", preset_or_path, "'"));
  std::ifstream in(preset_or_path);
  if (!in) {
    std::string names;
    for (const auto& n : presetNames()) names += (names.empty() ? "" : ", ") + n;
    return Error(Exit::Input, "cannot load accelerator spec '", preset_or_path,
                 "': no such preset and no such file (presets: ", names, ")");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return parseAcceleratorSpec(ss.str(), strCat("'", preset_or_path, "'"));
}

namespace {

std::string num(double v) {
  std::ostringstream os;
  os.precision(12);
  os << v;
  return os.str();
}

std::string typesList(const std::vector<DataType>& ts) {
  std::string s = "[";
  for (std::size_t i = 0; i < ts.size(); ++i) s += (i ? ", " : "") + std::string(dataTypeName(ts[i]));
  return s + "]";
}

}  // namespace

std::string gatedAccessesList(const GatedAccesses& g) {
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (on) s += (s.empty() ? "" : ", ") + std::string(name);
  };
  add(g.mac, "mac");
  add(g.ifmap_read, "ifmap_read");
  add(g.filter_read, "filter_read");
  add(g.psum_read, "psum_read");
  add(g.psum_write, "psum_write");
  return "[" + s + "]";
}

void forEachField(const AcceleratorSpec& s,
                  const std::function<void(const std::string&, const std::string&, Provenance)>& fn) {
  auto b = [](bool v) { return std::string(v ? "true" : "false"); };
  fn("name", s.name, Provenance::Given);
  fn("description", s.description.value, s.description.from);
  fn("dataflow", s.dataflow.value, s.dataflow.from);
  fn("word_bits", num(s.word_bits.value), s.word_bits.from);
  fn("clock_mhz", num(s.clock_mhz.value), s.clock_mhz.from);
  fn("pe_array.rows", num(s.pe_rows.value), s.pe_rows.from);
  fn("pe_array.cols", num(s.pe_cols.value), s.pe_cols.from);
  fn("pe_array.pe_count", num(s.pe_count.value), s.pe_count.from);
  fn("mac.energy", num(s.mac_energy.value), s.mac_energy.from);
  fn("mac.energy_pj", num(s.mac_energy_pj.value), s.mac_energy_pj.from);
  for (int i = 0; i < kLevels; ++i) {
    const StorageLevel& l = s.levels[i];
    std::string p = strCat("levels[", i, "].");
    fn(p + "name", l.name, Provenance::Given);
    fn(p + "class", levelClass(l.kind), Provenance::Given);
    fn(p + "energy", num(l.energy.value), l.energy.from);
    fn(p + "energy_pj", num(l.energy_pj.value), l.energy_pj.from);
    if (l.kind == Level::Dram) {
      fn(p + "width_bits", num(l.width_bits.value), l.width_bits.from);
      fn(p + "clock_mhz", num(l.clock_mhz.value), l.clock_mhz.from);
      fn(p + "stores_padding", b(l.stores_padding.value), l.stores_padding.from);
      fn(p + "bandwidth_bits_per_cycle", num(l.bandwidth_per_cycle.value), l.bandwidth_per_cycle.from);
    }
    if (l.kind == Level::Glb) {
      fn(p + "width_bits", num(l.width_bits.value), l.width_bits.from);
      fn(p + "bandwidth_words_per_cycle", num(l.bandwidth_per_cycle.value), l.bandwidth_per_cycle.from);
    }
    for (std::size_t k = 0; k < l.partitions.size(); ++k) {
      std::string q = strCat(p, "partitions[", k, "].");
      fn(q + "types", typesList(l.partitions[k].types), Provenance::Given);
      fn(q + "size_words", num(l.partitions[k].size_words.value), l.partitions[k].size_words.from);
    }
  }
  const auto& z = s.zeros;
  fn("zero_handling.gate_ifmap_zeros", b(z.gate_ifmap_zeros.value), z.gate_ifmap_zeros.from);
  fn("zero_handling.gate_weight_zeros", b(z.gate_weight_zeros.value), z.gate_weight_zeros.from);
  fn("zero_handling.ifmap_zero_gates", gatedAccessesList(z.ifmap_zero_gates.value), z.ifmap_zero_gates.from);
  fn("zero_handling.weight_zero_gates", gatedAccessesList(z.weight_zero_gates.value), z.weight_zero_gates.from);
  fn("zero_handling.skip_gated_cycles", b(z.skip_gated_cycles.value), z.skip_gated_cycles.from);
  fn("zero_handling.fmap_compression", compressionName(z.fmap_compression.value), z.fmap_compression.from);
  fn("zero_handling.weight_compression", compressionName(z.weight_compression.value), z.weight_compression.from);
  fn("zero_handling.compress_first_layer_ifmap", b(z.compress_first_layer_ifmap.value),
     z.compress_first_layer_ifmap.from);
  fn("zero_handling.rlc_run_bits", num(z.rlc_run_bits.value), z.rlc_run_bits.from);
  fn("zero_handling.rlc_word_bits", num(z.rlc_word_bits.value), z.rlc_word_bits.from);
  fn("zero_handling.rlc_pairs_per_word", num(z.rlc_pairs_per_word.value), z.rlc_pairs_per_word.from);
  const auto& u = s.repetition;
  fn("weight_repetition.factorized_dot_products", b(u.factorized_dot_products.value), u.factorized_dot_products.from);
  fn("weight_repetition.activation_group_reuse", num(u.activation_group_reuse.value), u.activation_group_reuse.from);
  fn("weight_repetition.multiply_energy", num(u.multiply_energy.value), u.multiply_energy.from);
  fn("weight_repetition.add_energy", num(u.add_energy.value), u.add_energy.from);
  fn("narrow_data.levels", levelsList(s.narrow.levels.value), s.narrow.levels.from);
  fn("latency.overlap_dram", typesList(s.latency.overlap_dram.value), s.latency.overlap_dram.from);
  fn("latency.pass_overhead_cycles", num(s.latency.pass_overhead_cycles.value), s.latency.pass_overhead_cycles.from);
}

std::string dumpAcceleratorSpec(const AcceleratorSpec& s) {
  std::ostringstream os;
  auto tag = [](Provenance p) { return strCat("  # ", provenanceName(p)); };
  // Given and defaulted fields are written as YAML; derived ones as comments, so the dump parses back.
  auto line = [&](int indent, const std::string& key, const std::string& value, Provenance p) {
    std::string pad(indent, ' ');
    if (p == Provenance::Derived)
      os << pad << "# " << key << ": " << value << "  (derived)\n";
    else
      os << pad << key << ": " << value << tag(p) << "\n";
  };
  auto quote = [](const std::string& v) {
    std::string q = "\"";
    for (char c : v) q += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    return q + "\"";
  };
  auto b = [](bool v) { return std::string(v ? "true" : "false"); };
  os << "name: " << quote(s.name) << "\n";
  line(0, "description", quote(s.description.value), s.description.from);
  line(0, "dataflow", s.dataflow.value, s.dataflow.from);
  line(0, "word_bits", num(s.word_bits.value), s.word_bits.from);
  line(0, "clock_mhz", num(s.clock_mhz.value), s.clock_mhz.from);
  os << "pe_array:\n";
  line(2, "rows", num(s.pe_rows.value), s.pe_rows.from);
  line(2, "cols", num(s.pe_cols.value), s.pe_cols.from);
  line(2, "pe_count", num(s.pe_count.value), s.pe_count.from);
  os << "mac:\n";
  line(2, "energy", num(s.mac_energy.value), s.mac_energy.from);
  line(2, "energy_pj", num(s.mac_energy_pj.value), s.mac_energy_pj.from);
  os << "levels:\n";
  for (const StorageLevel& l : s.levels) {
    os << "  - name: " << quote(l.name) << "\n";
    os << "    class: " << levelClass(l.kind) << "\n";
    line(4, "energy", num(l.energy.value), l.energy.from);
    line(4, "energy_pj", num(l.energy_pj.value), l.energy_pj.from);
    if (l.kind == Level::Dram) {
      line(4, "width_bits", num(l.width_bits.value), l.width_bits.from);
      line(4, "clock_mhz", num(l.clock_mhz.value), l.clock_mhz.from);
      line(4, "stores_padding", b(l.stores_padding.value), l.stores_padding.from);
      line(4, "bandwidth_bits_per_cycle", num(l.bandwidth_per_cycle.value), l.bandwidth_per_cycle.from);
    }
    if (l.kind == Level::Glb) {
      line(4, "width_bits", num(l.width_bits.value), l.width_bits.from);
      line(4, "bandwidth_words_per_cycle", num(l.bandwidth_per_cycle.value), l.bandwidth_per_cycle.from);
    }
    if (!l.partitions.empty()) {
      os << "    partitions:\n";
      for (const Partition& p : l.partitions) {
        os << "      - types: " << typesList(p.types) << "\n";
        line(8, "size_words", num(p.size_words.value),
             p.size_words.from == Provenance::Derived ? Provenance::Given : p.size_words.from);
      }
    }
  }
  const auto& z = s.zeros;
  os << "zero_handling:\n";
  line(2, "gate_ifmap_zeros", b(z.gate_ifmap_zeros.value), z.gate_ifmap_zeros.from);
  line(2, "gate_weight_zeros", b(z.gate_weight_zeros.value), z.gate_weight_zeros.from);
  line(2, "ifmap_zero_gates", gatedAccessesList(z.ifmap_zero_gates.value), z.ifmap_zero_gates.from);
  line(2, "weight_zero_gates", gatedAccessesList(z.weight_zero_gates.value), z.weight_zero_gates.from);
  line(2, "skip_gated_cycles", b(z.skip_gated_cycles.value), z.skip_gated_cycles.from);
  line(2, "fmap_compression", compressionName(z.fmap_compression.value), z.fmap_compression.from);
  line(2, "weight_compression", compressionName(z.weight_compression.value), z.weight_compression.from);
  line(2, "compress_first_layer_ifmap", b(z.compress_first_layer_ifmap.value), z.compress_first_layer_ifmap.from);
  line(2, "rlc_run_bits", num(z.rlc_run_bits.value), z.rlc_run_bits.from);
  line(2, "rlc_word_bits", num(z.rlc_word_bits.value), z.rlc_word_bits.from);
  line(2, "rlc_pairs_per_word", num(z.rlc_pairs_per_word.value), z.rlc_pairs_per_word.from);
  const auto& u = s.repetition;
  os << "weight_repetition:\n";
  line(2, "factorized_dot_products", b(u.factorized_dot_products.value), u.factorized_dot_products.from);
  line(2, "activation_group_reuse", num(u.activation_group_reuse.value), u.activation_group_reuse.from);
  line(2, "multiply_energy", num(u.multiply_energy.value), u.multiply_energy.from);
  line(2, "add_energy", num(u.add_energy.value), u.add_energy.from);
  os << "narrow_data:\n";
  line(2, "levels", levelsList(s.narrow.levels.value), s.narrow.levels.from);
  os << "latency:\n";
  line(2, "overlap_dram", typesList(s.latency.overlap_dram.value), s.latency.overlap_dram.from);
  line(2, "pass_overhead_cycles", num(s.latency.pass_overhead_cycles.value), s.latency.pass_overhead_cycles.from);
  return os.str();
}

}  // namespace dnnc::energy
