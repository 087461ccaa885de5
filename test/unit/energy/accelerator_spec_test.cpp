// Accelerator specs: presets, provenance, derived fields, errors naming the field, dump round trip.
#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "lib/energy/energy.h"

using namespace dnnc;
using namespace dnnc::energy;

namespace {

std::map<std::string, std::pair<std::string, Provenance>> fieldsOf(const AcceleratorSpec& s) {
  std::map<std::string, std::pair<std::string, Provenance>> out;
  forEachField(s, [&](const std::string& path, const std::string& value, Provenance p) { out[path] = {value, p}; });
  return out;
}

// A minimal valid spec; tests replace one line to break it.
const std::string kMinimal = R"yaml(
name: tiny
word_bits: 16
clock_mhz: 100
pe_array: {rows: 4, cols: 4}
levels:
  - {class: dram, clock_mhz: 50, energy: 100}
  - class: global_buffer
    energy: 5
    partitions:
      - {types: [ifmap, psum], size_kb: 16}
      - {types: [filter], size_words: 1024}
  - {class: array_noc, energy: 2}
  - class: pe_spad
    energy: 1
    partitions:
      - {types: [ifmap], size_words: 12}
      - {types: [filter], size_words: 224}
      - {types: [psum], size_words: 24}
)yaml";

std::string replaced(const std::string& from, const std::string& to) {
  std::string s = kMinimal;
  auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  return s.replace(pos, from.size(), to);
}

void expectError(const std::string& yaml, const std::string& needle) {
  auto spec = parseAcceleratorSpec(yaml, "'test.yaml'");
  REQUIRE_FALSE(spec.ok());
  INFO(spec.error().message());
  CHECK(spec.error().code() == Exit::Input);
  CHECK(spec.error().message().find(needle) != std::string::npos);
}

}  // namespace

TEST_CASE("presets load and describe the JSSC 2017 chip", "[energy][spec]") {
  auto names = presetNames();
  REQUIRE(names.size() >= 3);
  for (const auto& n : names) {
    auto s = loadAcceleratorSpec(n);
    INFO(n << ": " << (s.ok() ? "" : s.error().message()));
    REQUIRE(s.ok());
    CHECK(s->name == n);
  }
  auto s = loadAcceleratorSpec("eyeriss");
  REQUIRE(s.ok());
  CHECK(s->pe_rows() == 12);
  CHECK(s->pe_cols() == 14);
  CHECK(s->pe_count() == 168);
  CHECK(s->word_bits() == 16);
  CHECK(s->level(Level::Dram).energy() == 200);
  CHECK(s->level(Level::Glb).energy() == 6);
  CHECK(s->level(Level::Array).energy() == 2);
  CHECK(s->level(Level::Rf).energy() == 1);
  CHECK(s->mac_energy() == 1);
  // 108 kB GLB: 100 kB ifmap/psum (51200 words), 8 kB filter (4096 words).
  CHECK(s->level(Level::Glb).partitionOf(DataType::Psum)->size_words() == 51200);
  CHECK(s->level(Level::Glb).partitionOf(DataType::Filter)->size_words() == 4096);
  CHECK(s->level(Level::Rf).partitionOf(DataType::Filter)->size_words() == 224);
  // 64-bit link at 60 MHz, core at 200 MHz: 19.2 bits per core cycle (480 MB/s).
  CHECK(s->level(Level::Dram).bandwidth_per_cycle() == Approx(19.2));
  CHECK(s->zeros.fmap_compression() == Compression::Rlc);
  CHECK(s->zeros.weight_compression() == Compression::None);
  CHECK(s->zeros.rlc_pairs_per_word() == 3);
  CHECK(s->zeros.gate_ifmap_zeros());
  CHECK_FALSE(s->zeros.gate_weight_zeros());

  auto sparse = loadAcceleratorSpec("eyeriss-sparse");
  REQUIRE(sparse.ok());
  CHECK(sparse->zeros.fmap_compression() == Compression::SignificanceMap);
  CHECK(sparse->zeros.weight_compression() == Compression::SignificanceMap);
  CHECK(sparse->zeros.gate_weight_zeros());
}

TEST_CASE("every field records given, defaulted or derived", "[energy][spec]") {
  auto s = parseAcceleratorSpec(kMinimal, "'tiny.yaml'");
  REQUIRE(s.ok());
  auto f = fieldsOf(*s);
  CHECK(f.at("pe_array.rows").second == Provenance::Given);
  CHECK(f.at("pe_array.pe_count").second == Provenance::Derived);
  CHECK(f.at("levels[0].width_bits").second == Provenance::Defaulted);  // 64
  CHECK(f.at("levels[0].energy").second == Provenance::Given);
  CHECK(f.at("levels[0].energy_pj").second == Provenance::Derived);
  CHECK(f.at("levels[0].bandwidth_bits_per_cycle").second == Provenance::Derived);
  CHECK(f.at("levels[1].partitions[0].size_words").second == Provenance::Derived);  // from size_kb
  CHECK(f.at("levels[1].partitions[0].size_words").first == "8192");
  CHECK(f.at("levels[1].partitions[1].size_words").second == Provenance::Given);
  CHECK(f.at("mac.energy_pj").second == Provenance::Defaulted);
  CHECK(f.at("zero_handling.fmap_compression").second == Provenance::Defaulted);
  CHECK(f.at("zero_handling.rlc_pairs_per_word").second == Provenance::Derived);
  CHECK(f.at("latency.overlap_dram").second == Provenance::Defaulted);
}

TEST_CASE("energies in pJ derive the normalised ones through the MAC", "[energy][spec]") {
  auto s = loadAcceleratorSpec("edge-8bit");
  REQUIRE(s.ok());
  CHECK(s->mac_energy_pj() == Approx(0.12));
  CHECK(s->level(Level::Dram).energy_pj.from == Provenance::Given);
  CHECK(s->level(Level::Dram).energy.from == Provenance::Derived);
  CHECK(s->level(Level::Dram).energy() == Approx(32 / 0.12));
  CHECK(s->zeros.rlc_pairs_per_word() == 4);  // (64 - 1) / (5 + 8)
  // Consistent duplicates are accepted; inconsistent ones are errors.
  auto both = parseAcceleratorSpec(
      replaced("{class: array_noc, energy: 2}", "{class: array_noc, energy: 2, energy_pj: 2}"), "x");
  CHECK(both.ok());
  expectError(replaced("{class: array_noc, energy: 2}", "{class: array_noc, energy: 2, energy_pj: 3}"),
              "levels[2]: energy and energy_pj disagree");
  expectError(replaced("{class: array_noc, energy: 2}", "{class: array_noc, energy_pj: 3}"), "mac.energy_pj: missing");
}

TEST_CASE("bad specs get errors naming the field, with exit code 3", "[energy][spec]") {
  expectError(replaced("rows: 4", "rows: -4"), "pe_array.rows: expected a positive integer, got -4");
  expectError(replaced("rows: 4", "rows: four"), "pe_array.rows: expected an integer, got 'four'");
  expectError(replaced("clock_mhz: 100\n", "\n"), "clock_mhz: missing");
  expectError(replaced("{class: dram, clock_mhz: 50, energy: 100}", "{class: dram, clock_mhz: 50}"),
              "levels[0].energy: missing");
  expectError(replaced("{class: array_noc, energy: 2}", "{class: pe_spad, energy: 2}"),
              "levels[2].class: expected 'array_noc'");
  expectError(replaced("size_kb: 16", "size_kb: 0"), "levels[1].partitions[0].size_kb: expected a positive number");
  expectError(replaced("{types: [filter], size_words: 1024}", "{types: [filter, ifmap], size_words: 1024}"),
              "levels[1].partitions[1].types: data type 'ifmap' is already held by another partition");
  expectError(replaced("      - {types: [filter], size_words: 1024}\n", ""),
              "levels[1].partitions: no partition holds filter");
  expectError(replaced("{types: [ifmap, psum], size_kb: 16}", "{types: [ifmap, output], size_kb: 16}"),
              "levels[1].partitions[0].types: expected ifmap, filter or psum, got 'output'");
  expectError(replaced("name: tiny", "name: tiny\ncolour: blue"), "colour: unknown field");
  expectError(replaced("word_bits: 16", "word_bits: 16\nzero_handling: {fmap_compression: zip}"),
              "zero_handling.fmap_compression: expected none, rlc or significance-map, got 'zip'");
  expectError(replaced("word_bits: 16", "word_bits: 16\nzero_handling: {rlc_word_bits: 16}"),
              "zero_handling.rlc_word_bits: a 16-bit word cannot hold one run/level pair");
  expectError(replaced("word_bits: 16", "word_bits: 16\ndataflow: weight-stationary"),
              "dataflow: expected 'row-stationary'");
  expectError(replaced("word_bits: 16", "word_bits: 16\nlatency: {overlap_dram: [ifmap, ifmap]}"),
              "latency.overlap_dram: data type 'ifmap' listed twice");
  expectError("levels: [", "YAML syntax error at line");
  expectError("- 1\n- 2\n", "expected a YAML map");
  auto missing = loadAcceleratorSpec("/nonexistent/spec.yaml");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == Exit::Input);
  CHECK(missing.error().message().find("no such preset and no such file (presets: eyeriss") != std::string::npos);
}

TEST_CASE("the dump annotates provenance and parses back to the same spec", "[energy][spec]") {
  for (const auto& name : presetNames()) {
    auto s = loadAcceleratorSpec(name);
    REQUIRE(s.ok());
    std::string dump = dumpAcceleratorSpec(*s);
    CHECK(dump.find("# given") != std::string::npos);
    CHECK(dump.find("(derived)") != std::string::npos);
    auto back = parseAcceleratorSpec(dump, "dump");
    INFO(name << "\n" << dump << (back.ok() ? "" : back.error().message()));
    REQUIRE(back.ok());
    auto a = fieldsOf(*s), b = fieldsOf(*back);
    REQUIRE(a.size() == b.size());
    for (const auto& [path, v] : a) {
      INFO(path);
      CHECK(b.at(path).first == v.first);
    }
  }
}

TEST_CASE("a spec with base: is that preset with its own keys laid over it", "[energy][spec]") {
  auto eyeriss = loadAcceleratorSpec("eyeriss");
  auto ucnn = loadAcceleratorSpec("eyeriss-ucnn");
  REQUIRE(eyeriss.ok());
  REQUIRE(ucnn.ok());
  // eyeriss-ucnn states only its name and weight_repetition: everything else is the chip's.
  auto a = fieldsOf(*eyeriss), b = fieldsOf(*ucnn);
  for (const auto& [path, v] : a) {
    INFO(path);
    if (path.rfind("weight_repetition.", 0) == 0 || path == "description" || path == "name") continue;
    CHECK(b.at(path).first == v.first);
  }
  CHECK(b.at("weight_repetition.factorized_dot_products").first == "true");
  // A user's variant: maps merge key by key (zero_handling keeps the base's other keys).
  auto v = parseAcceleratorSpec(
      "base: eyeriss-sparse\nname: mine\nzero_handling: {skip_gated_cycles: true}\nnarrow_data: {levels: [dram, glb]}\n",
      "'v.yaml'");
  REQUIRE(v.ok());
  CHECK(v->name == "mine");
  CHECK(v->zeros.skip_gated_cycles.value);
  CHECK(v->zeros.gate_weight_zeros.value);  // eyeriss-sparse's
  CHECK(v->zeros.fmap_compression.value == Compression::SignificanceMap);
  CHECK(v->narrow.at(Level::Dram));
  CHECK(v->narrow.at(Level::Glb));
  CHECK_FALSE(v->narrow.at(Level::Rf));
  CHECK(v->level(Level::Glb).partitions.size() == 2);  // eyeriss's levels
  expectError("base: tpu\n", "base: no preset named 'tpu' (presets: eyeriss");
  expectError("base: [eyeriss]\n", "base: expected the name of a preset");
  expectError("base: eyeriss\nnarrow_data: {levels: [dram, l3]}\n", "narrow_data.levels: expected a level (dram, glb, array, rf), got 'l3'");
  expectError("base: eyeriss\nnarrow_data: {levels: [glb, glb]}\n", "narrow_data.levels: level 'glb' listed twice");
}
