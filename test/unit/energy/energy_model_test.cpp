// The closed-form model: hand-computed counts on small layers, invariants, zero gating, groups, FC.
#include <catch2/catch.hpp>

#include "lib/energy/energy.h"

using namespace dnnc;
using namespace dnnc::energy;

namespace {

AcceleratorSpec eyeriss() {
  auto s = loadAcceleratorSpec("eyeriss");
  REQUIRE(s.ok());
  return *s;
}

}  // namespace

TEST_CASE("accesses of a small conv follow the pass ordering", "[energy][model]") {
  // N=2, C=4, 10x10 ifmap, M=8 filters of 3x3, stride 1, no padding: E=F=8.
  LayerShape l = convLayer("small", 2, 4, 10, 10, 8, 3, 3);
  REQUIRE(l.E == 8);
  // n=1 (2 n-groups), e=4 (2 strips of 4 rows, 6 ifmap rows each), p=2, q=2, r=1, t=2 (4 filters per pass),
  // m=4 (2 m-groups of one filter pass each), channel groups C/(q*r)=2.
  Mapping m{1, 4, 2, 2, 1, 2, 4};
  auto c = evaluate(eyeriss(), l, m, EvalOptions{false});
  REQUIRE(c.ok());
  const Accesses& a = c->accesses;
  const double plane = 2 * 6 * 10;                                  // strips x rows x W
  CHECK(a.at(Level::Dram, DataType::Ifmap) == 2 * 4 * plane * 2);   // N*C*plane*m-groups
  CHECK(a.at(Level::Dram, DataType::Filter) == 2 * 2 * 8 * 4 * 9);  // n-groups*strips*M*C*R*S
  CHECK(a.at(Level::Dram, DataType::Psum) == 2 * 8 * 8 * 8);        // ofmaps once
  CHECK(a.writes[int(Level::Glb)][int(DataType::Ifmap)] == 2 * 4 * plane * 2);
  CHECK(a.reads[int(Level::Glb)][int(DataType::Ifmap)] == 2 * 4 * plane * 2);  // one filter pass per m-group
  CHECK(a.writes[int(Level::Glb)][int(DataType::Psum)] == 2 * 8 * 64 * 2);     // once per channel group
  CHECK(a.reads[int(Level::Glb)][int(DataType::Psum)] == 2 * 8 * 64 * 2);      // 1 accumulation + 1 readout
  CHECK(a.at(Level::Array, DataType::Psum) == 2 * 8 * 64 * 2 * (3 * 1 - 1));   // R*r-1 hops per channel group
  CHECK(a.reads[int(Level::Rf)][int(DataType::Ifmap)] == c->macs);
  CHECK(c->macs == 2.0 * 8 * 4 * 9 * 64);
  CHECK(c->passes == 2 * 2 * 2 * 2);  // n-groups x strips x channel groups x filter passes
  CHECK(c->active_pes == 3 * 4 * 1 * 2);
  CHECK(c->dramBytes() == c->dramBytesDense());
  // Compute: busiest PE does n*p*q*S*F = 1*2*2*3*8 = 96 MACs per pass.
  CHECK(c->compute_cycles == c->passes * 96);
}

TEST_CASE("energy by level and by data type add up to the same total", "[energy][model]") {
  auto spec = eyeriss();
  LayerShape l = convLayer("c", 4, 64, 28, 28, 128, 3, 3, 1, 1);
  l.ifmap.zero_fraction = 0.5;
  l.ofmap.zero_fraction = 0.6;
  auto m = searchMapping(spec, l, Objective::Energy);
  REQUIRE(m.ok());
  auto c = evaluate(spec, l, *m);
  REQUIRE(c.ok());
  const auto& e = c->energy;
  CHECK(e.ifmap + e.ofmap + e.weight + e.computation == Approx(e.total()));
  CHECK(c->energy_pj.total() == Approx(e.total() * spec.mac_energy_pj()));
  CHECK(c->latency_cycles >= c->processing_cycles);
  CHECK(c->latency_cycles <= c->serial_latency_cycles);
  CHECK(c->serial_latency_cycles == Approx(c->processing_cycles + c->dram_cycles));
}

TEST_CASE("zero gating skips MACs and filter reads, padding counts as zero", "[energy][model]") {
  auto spec = eyeriss();
  LayerShape l = convLayer("c", 1, 16, 14, 14, 32, 3, 3, 1, 1);
  Mapping m{1, 14, 8, 4, 1, 1, 32};
  auto dense = evaluate(spec, l, m);
  REQUIRE(dense.ok());
  // Padding: of the 14*3 (output row, tap) pairs per axis, 2 hit the zero border.
  CHECK(dense->nonzero_macs == Approx(dense->macs * (40.0 / 42) * (40.0 / 42)));
  l.ifmap.zero_fraction = 0.5;
  auto sparse = evaluate(spec, l, m);
  REQUIRE(sparse.ok());
  CHECK(sparse->nonzero_macs == Approx(dense->nonzero_macs * 0.5));
  CHECK(sparse->energy.mac == Approx(dense->energy.mac * 0.5));
  CHECK(sparse->accesses.reads[int(Level::Rf)][int(DataType::Filter)] == Approx(sparse->nonzero_macs));
  CHECK(sparse->compute_cycles == dense->compute_cycles);  // Eyeriss gates energy, not cycles
  // Zero weights are not gated on eyeriss, and are on eyeriss-sparse.
  l.weight_zero_fraction = 0.75;
  auto w = evaluate(spec, l, m);
  REQUIRE(w.ok());
  CHECK(w->nonzero_macs == Approx(sparse->nonzero_macs));
  auto ys = loadAcceleratorSpec("eyeriss-sparse");
  REQUIRE(ys.ok());
  auto y = evaluate(*ys, l, m);
  REQUIRE(y.ok());
  CHECK(y->nonzero_macs == Approx(sparse->nonzero_macs * 0.25));
  // Significance map on weights: 1 + 0.25*16 = 5 bits per weight instead of 16.
  CHECK(y->dram_bits[int(DataType::Filter)] == Approx(y->dram_bits_dense[int(DataType::Filter)] * 5 / 16));
}

TEST_CASE("RLC: the first layer's ifmap stays raw; --no-rlc gives dense traffic", "[energy][model]") {
  auto spec = eyeriss();
  LayerShape l = convLayer("c", 1, 3, 32, 32, 16, 3, 3, 1, 1);
  l.ifmap.zero_fraction = 0.8;
  l.ofmap.zero_fraction = 0.8;
  Mapping m{1, 8, 16, 3, 1, 1, 16};
  l.first_layer = true;
  auto first = evaluate(spec, l, m);
  REQUIRE(first.ok());
  CHECK(first->dram_bits[int(DataType::Ifmap)] == first->dram_bits_dense[int(DataType::Ifmap)]);
  CHECK(first->dram_bits[int(DataType::Psum)] < 0.5 * first->dram_bits_dense[int(DataType::Psum)]);
  l.first_layer = false;
  auto later = evaluate(spec, l, m);
  REQUIRE(later.ok());
  CHECK(later->dram_bits[int(DataType::Ifmap)] < 0.5 * later->dram_bits_dense[int(DataType::Ifmap)]);
  auto raw = evaluate(spec, l, m, EvalOptions{false});
  REQUIRE(raw.ok());
  CHECK(raw->dramBytes() == raw->dramBytesDense());
  CHECK(raw->dramBytes() == later->dramBytesDense());
  // Dense data is sent raw rather than expanded by RLC.
  l.ifmap.zero_fraction = 0;
  auto dense = evaluate(spec, l, m);
  REQUIRE(dense.ok());
  CHECK(dense->dram_bits[int(DataType::Ifmap)] == dense->dram_bits_dense[int(DataType::Ifmap)]);
}

TEST_CASE("a grouped conv costs its groups", "[energy][model]") {
  auto spec = eyeriss();
  LayerShape g2 = convLayer("g2", 1, 32, 13, 13, 64, 3, 3, 1, 1, 2);
  LayerShape g1 = convLayer("g1", 1, 16, 13, 13, 32, 3, 3, 1, 1, 1);
  Mapping m{1, 13, 16, 4, 1, 2, 32};
  auto a = evaluate(spec, g2, m, EvalOptions{false});
  auto b = evaluate(spec, g1, m, EvalOptions{false});
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->macs == 2 * b->macs);
  CHECK(a->energy.total() == Approx(2 * b->energy.total()));
  CHECK(a->processing_cycles == Approx(2 * b->processing_cycles));
}

TEST_CASE("FC and depthwise layers map and evaluate", "[energy][model]") {
  auto spec = eyeriss();
  LayerShape fc = fcLayer("fc", 4, 4096, 1000);
  REQUIRE(validateLayer(fc).ok());
  auto m = searchMapping(spec, fc, Objective::Energy);
  REQUIRE(m.ok());
  auto c = evaluate(spec, fc, *m);
  REQUIRE(c.ok());
  CHECK(c->macs == 4.0 * 4096 * 1000);
  CHECK(c->energy.weight > c->energy.ifmap);  // weights dominate an FC layer
  LayerShape dw = convLayer("dw", 1, 32, 56, 56, 32, 3, 3, 1, 1, 32);
  REQUIRE(dw.C == 1);
  auto md = searchMapping(spec, dw, Objective::Latency);
  REQUIRE(md.ok());
  CHECK(md->p == 1);
  CHECK(md->q == 1);
}

TEST_CASE("layer shapes are validated with the field named", "[energy][model]") {
  LayerShape l = convLayer("bad", 1, 3, 8, 8, 4, 3, 3);
  l.E = 7;
  auto s = validateLayer(l);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code() == Exit::Input);
  CHECK(s.error().message().find("layer 'bad': invalid E") != std::string::npos);
  l = convLayer("bad", 1, 3, 8, 8, 5, 3, 3);
  l.G = 2;
  CHECK_FALSE(validateLayer(l).ok());
  l = convLayer("bad", 1, 3, 8, 8, 4, 3, 3);
  l.ifmap.zero_fraction = 1.5;
  s = validateLayer(l);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message().find("ifmap zero fraction") != std::string::npos);
}

TEST_CASE("narrow data costs its width on the levels the spec lists, words elsewhere", "[energy][model]") {
  // 4-bit weights (a 16-entry codebook) and 8-bit inputs on a small conv, no DRAM compression: where the
  // spec lists a level, each access of that data type costs bits/16 of a word; elsewhere a word.
  LayerShape l = convLayer("small", 2, 4, 10, 10, 8, 3, 3);
  l.weight_bits = 4;
  l.ifmap_bits = 8;
  Mapping m{1, 4, 2, 2, 1, 2, 4};
  auto words = evaluate(eyeriss(), l, m, EvalOptions{false});
  REQUIRE(words.ok());
  auto narrowSpec = [](const std::string& levels) {
    auto s = parseAcceleratorSpec("base: eyeriss\nnarrow_data: {levels: " + levels + "}\n", "test");
    REQUIRE(s.ok());
    return *s;
  };
  const AcceleratorSpec dram_glb = narrowSpec("[dram, glb]");
  auto narrow = evaluate(dram_glb, l, m, EvalOptions{false});
  REQUIRE(narrow.ok());
  // The same accesses, counted in words.
  for (int lv = 0; lv < kLevels; ++lv)
    for (int t = 0; t < kDataTypes; ++t) CHECK(narrow->accesses.reads[lv][t] == words->accesses.reads[lv][t]);
  // DRAM: bits as stored.
  CHECK(narrow->dram_bits[int(DataType::Filter)] == Approx(words->dram_bits[int(DataType::Filter)] / 4));
  CHECK(narrow->dram_bits[int(DataType::Ifmap)] == Approx(words->dram_bits[int(DataType::Ifmap)] / 2));
  CHECK(narrow->dram_bits[int(DataType::Psum)] == Approx(words->dram_bits[int(DataType::Psum)]));
  // Energy by level, recomputed from the word counts: DRAM and GLB scaled per type, array, RF and MACs not.
  const Accesses& a = words->accesses;
  const double e_dram = dram_glb.energyOf(Level::Dram), e_glb = dram_glb.energyOf(Level::Glb);
  const double dram = (a.at(Level::Dram, DataType::Ifmap) * 0.5 + a.at(Level::Dram, DataType::Filter) * 0.25 +
                       a.at(Level::Dram, DataType::Psum)) * e_dram;
  const double glb = (a.at(Level::Glb, DataType::Ifmap) * 0.5 + a.at(Level::Glb, DataType::Filter) * 0.25 +
                      a.at(Level::Glb, DataType::Psum)) * e_glb;
  CHECK(narrow->energy.dram == Approx(dram));
  CHECK(narrow->energy.glb == Approx(glb));
  CHECK(narrow->energy.array == Approx(words->energy.array));
  CHECK(narrow->energy.rf == Approx(words->energy.rf));
  CHECK(narrow->energy.mac == Approx(words->energy.mac));
  // Fewer DRAM bits, fewer DRAM cycles.
  CHECK(narrow->dram_cycles < words->dram_cycles);
  // Listed at the scratchpads too: RF filter and ifmap reads cost their share; psums stay words.
  auto all = evaluate(narrowSpec("[dram, glb, array, rf]"), l, m, EvalOptions{false});
  REQUIRE(all.ok());
  const double rf = (a.at(Level::Rf, DataType::Ifmap) * 0.5 + a.at(Level::Rf, DataType::Filter) * 0.25 +
                     a.at(Level::Rf, DataType::Psum)) * dram_glb.energyOf(Level::Rf);
  CHECK(all->energy.rf == Approx(rf));
  // A width of a whole word, or none given, changes nothing.
  LayerShape w16 = l;
  w16.weight_bits = 16;
  w16.ifmap_bits = 0;
  auto same = evaluate(narrowSpec("[dram, glb, array, rf]"), w16, m, EvalOptions{false});
  auto plain = evaluate(eyeriss(), w16, m, EvalOptions{false});
  REQUIRE(same.ok());
  REQUIRE(plain.ok());
  CHECK(same->energy.total() == Approx(plain->energy.total()));
}
