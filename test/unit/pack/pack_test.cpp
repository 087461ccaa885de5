// Model <-> .dnnc: exact round trips with every codec (as protobuf messages), the codebook view of
// few-valued tensors, the report's yardsticks against independent counts, and corrupt containers.
#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <map>
#include <random>

#include "formats/byte_planes.h"
#include "formats/container.h"
#include "lib/ir/onnx_io.h"
#include "lib/pack/bounds.h"
#include "lib/pack/pack.h"
#include "lib/pack/symbolize.h"
#include "lib/pack/tensor_codec.h"
#include "test/support/test_support.h"

using namespace dnnc;
using google::protobuf::util::MessageDifferencer;

namespace {

// Every codec of the table (a new one is round-tripped here without editing the test).
const std::vector<std::string> kCodecs = pack::codecRequestNames();

onnx::ModelProto bundled(const std::string& name) {
  auto m = loadModel(test::testData(name));
  REQUIRE(m.ok());
  return m->proto;
}

void requireRoundTrip(const onnx::ModelProto& m, const std::string& codec) {
  pack::PackOptions o;
  auto req = pack::parseCodecRequest(codec);
  REQUIRE(req.ok());
  o.codec = *req;
  auto packed = pack::packModel(m, o);
  REQUIRE(packed.ok());
  auto back = pack::unpackModel(packed->bytes());
  INFO(codec << ": " << (back.ok() ? std::string() : back.error().message()));
  REQUIRE(back.ok());
  CHECK(MessageDifferencer::Equals(m, *back));
}

// A model whose weights use the typed fields (float_data, int64_data, int32_data) instead of raw_data.
onnx::ModelProto typedFieldModel() {
  onnx::ModelProto m = test::modelFromText(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[2, 40] x) => (float[2, 40] y) {
      y = Add(x, w)
    }
  )");
  auto* w = m.mutable_graph()->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(40);
  for (int i = 0; i < 40; ++i) w->add_float_data(i % 3 == 0 ? 0.0f : float(i % 5) * 0.5f);
  auto* s = m.mutable_graph()->add_initializer();
  s->set_name("shape64");
  s->set_data_type(onnx::TensorProto::INT64);
  s->add_dims(20);
  for (int i = 0; i < 20; ++i) s->add_int64_data(int64_t(i) << 40);
  auto* b = m.mutable_graph()->add_initializer();
  b->set_name("int8s");
  b->set_data_type(onnx::TensorProto::INT8);
  b->add_dims(30);
  for (int i = 0; i < 30; ++i) b->add_int32_data((i * 7) % 11 - 5);
  return m;
}

}  // namespace

TEST_CASE("unpack(pack(m)) == m for the bundled models with every codec") {
  for (const char* name : {"lenet300.onnx", "lenet5.onnx", "rescnn.onnx"}) {
    auto m = bundled(name);
    for (const auto& c : kCodecs) {
      INFO(name);
      requireRoundTrip(m, c);
    }
  }
  auto typed = typedFieldModel();
  for (const auto& c : kCodecs) requireRoundTrip(typed, c);
}

TEST_CASE("symbolize is lossless and puts zero first") {
  std::vector<float> v = {0.5f, 0.0f, -0.25f, 0.5f, -0.0f, 0.0f, 3.0f};
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(v.data()), v.size() * 4);
  auto s = pack::symbolize(bytes, 4);
  REQUIRE(s.has_value());
  CHECK(s->zero_present);
  CHECK(s->table.size() == 5);  // +0, -0 (a distinct bit pattern), 0.5, -0.25, 3
  CHECK(s->table[0] == 0);
  CHECK(s->symbols[1] == 0);
  CHECK(s->symbols[5] == 0);
  CHECK(s->nonzeros() == 5);
  auto back = pack::desymbolize(s->table, 4, std::span<const uint16_t>(s->symbols));
  CHECK(std::equal(back.begin(), back.end(), bytes.begin(), bytes.end()));
  // Too many distinct values: no codebook.
  std::vector<float> many(70000);
  for (size_t i = 0; i < many.size(); ++i) many[i] = float(i);
  CHECK_FALSE(pack::symbolize({reinterpret_cast<const uint8_t*>(many.data()), many.size() * 4}, 4).has_value());
}

TEST_CASE("sparse bounds: entropy and the Deep Compression count against hand counts") {
  // 0 0 1 0 2 then 40 zeros then 1: gaps 2, 1, 40; values 1, 2, 1.
  std::vector<uint16_t> s = {0, 0, 1, 0, 2};
  s.insert(s.end(), 40, 0);
  s.push_back(1);
  auto b = pack::sparseBounds(s, 5);
  CHECK(b.nonzeros == 3);
  // Gaps all distinct: 3 * log2(3); values {1,1,2}: 3*H(2/3,1/3) = 2.755 bits.
  double gaps = 3 * std::log2(3.0), values = 2 * std::log2(1.5) + std::log2(3.0);
  CHECK(b.entropy_bits == Approx(gaps + values));
  // DC with 5-bit gaps: 40 = 32 + 8 -> one filler (gap 31, value 0) and the entry (gap 8, value 1):
  // 4 entries, gap symbols {2, 1, 31, 8} (2 bits each), value symbols {1, 2, 0, 1} (1+2+2 = 6... Huffman
  // of counts {0:1, 1:2, 2:1}: lengths 2, 1, 2 -> 6 bits).
  CHECK(b.dc_bits == 8 + 6);
}

TEST_CASE("sparse bounds from (gap, value) entries equal those from the symbols; the entropy bounds csr") {
  std::mt19937 rng(21);
  std::vector<std::vector<uint16_t>> cases;
  for (double density : {0.0005, 0.02, 0.08, 0.5, 1.0}) {
    std::vector<uint16_t> v(60000, 0);
    for (auto& x : v)
      if (double(rng() % 100000) < density * 100000) x = uint16_t(1 + rng() % 20);
    cases.push_back(v);
  }
  cases.back()[100] = 0;  // one zero in an otherwise dense array
  std::vector<uint16_t> far(20000, 0);
  far[0] = 3, far[9000] = 4, far[19999] = 3;  // gaps beyond the direct histogram (4096)
  cases.push_back(far);
  for (const auto& v : cases) {
    auto e = formats::sparseEntries(std::span<const uint16_t>(v));
    for (unsigned dc : {5u, 8u}) {
      auto a = pack::sparseBounds(v, dc), b = pack::sparseBounds(e, dc);
      CHECK(a.nonzeros == b.nonzeros);
      CHECK(a.entropy_bits == Approx(b.entropy_bits));
      CHECK(a.entropy_gap_bits == Approx(b.entropy_gap_bits));
      CHECK(a.dc_bits == b.dc_bits);
    }
    const double h = pack::sparseEntropyBits(e);
    CHECK(h == Approx(pack::sparseBounds(v, 5).entropy_bits));
    // auto skips the csr trial on this bound: csr's payload (prefix-coded gaps and values) is never below it.
    if (!e.values.empty()) {
      auto plan = formats::planCsrHuffman(e);
      CHECK(double(plan.gap_bits + plan.value_bits_total) >= h);
    }
  }
}

TEST_CASE("pack by value gives the bytes and report of pack by reference") {
  for (const char* name : {"lenet5.onnx", "rescnn.onnx"}) {
    onnx::ModelProto m = bundled(name);
    auto by_ref = pack::packModel(m);
    REQUIRE(by_ref.ok());
    onnx::ModelProto copy = m;
    auto by_value = pack::packModel(std::move(copy));
    REQUIRE(by_value.ok());
    CHECK(by_value->bytes() == by_ref->bytes());
    CHECK(by_value->report == by_ref->report);
  }
}

TEST_CASE("pack codes a materialized shared tensor as codebook indices and reports it") {
  auto m = bundled("lenet300.onnx");
  // Share fc1 by hand: 92 % zeros, the rest from 31 values.
  auto* w = m.mutable_graph()->mutable_initializer(0);
  for (auto& t : *m.mutable_graph()->mutable_initializer())
    if (t.name() == "fc1.weight") w = &t;
  REQUIRE(w->name() == "fc1.weight");
  std::string raw = w->raw_data();
  std::mt19937 rng(1);
  for (size_t i = 0; i < raw.size() / 4; ++i) {
    float v = rng() % 100 < 92 ? 0.0f : float(int(rng() % 31) - 15) * 0.01f + 0.005f;
    std::memcpy(raw.data() + 4 * i, &v, 4);
  }
  w->set_raw_data(raw);
  auto packed = pack::packModel(m);
  REQUIRE(packed.ok());
  const auto& r = packed->report;
  bool found = false;
  for (const auto& t : r["tensors"]) {
    if (t["name"] != "fc1.weight") continue;
    found = true;
    CHECK(t["codebook_size"].get<int>() == 32);
    auto codec = pack::parseCodecRequest(t["codec"].get<std::string>());
    REQUIRE(codec.ok());
    CHECK(pack::isCodebookCodec(codec->codec));
    CHECK(t["packed_bytes"].get<double>() < t["dc_count_bytes"].get<double>());
    CHECK(t["packed_bytes"].get<double>() < 1.05 * t["entropy_bound_bytes"].get<double>());
    CHECK(t["bits_per_nonzero"].get<double>() < 12.0);
    CHECK(t["index_share"].get<double>() > 0.3);
  }
  CHECK(found);
  auto back = pack::unpackModel(packed->bytes());
  REQUIRE(back.ok());
  CHECK(MessageDifferencer::Equals(m, *back));
}

TEST_CASE("unpack rejects truncated and corrupted containers with Exit::Input") {
  auto m = bundled("lenet5.onnx");
  auto packed = pack::packModel(m);
  REQUIRE(packed.ok());
  const std::vector<uint8_t> bytes = packed->bytes();
  for (size_t len = 0; len < bytes.size(); len += 1 + len / 8) {
    auto r = pack::unpackModel(std::span<const uint8_t>(bytes.data(), len));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Exit::Input);
  }
  std::mt19937 rng(11);
  for (int k = 0; k < 400; ++k) {
    auto bad = bytes;
    size_t at = rng() % bad.size();
    bad[at] ^= uint8_t(1u << (rng() % 8));
    auto r = pack::unpackModel(bad);
    INFO("flip at " << at);
    REQUIRE_FALSE(r.ok());  // CRCs catch every single-bit flip
    CHECK(r.error().code() == Exit::Input);
  }
}

TEST_CASE("unpack validates sections even when their CRCs are right") {
  auto m = bundled("lenet300.onnx");
  auto packed = pack::packModel(m);
  REQUIRE(packed.ok());
  const std::vector<uint8_t> container = packed->bytes();  // the views below point into it
  auto sections = formats::readContainer(container);
  REQUIRE(sections.ok());
  std::vector<formats::Section> base;
  for (const auto& s : *sections) base.push_back({s.name, s.kind, {s.data.begin(), s.data.end()}});
  int rejected = 0, trials = 0;
  std::mt19937 rng(3);
  // Rewrite one tensor section with a damaged payload and fresh CRCs: the decoders themselves must
  // refuse it (or, for a flip they cannot see, produce a model of the right shape).
  for (size_t i = 1; i < base.size(); ++i) {
    for (int k = 0; k < 60; ++k) {
      auto copy = base;
      auto& d = copy[i].data;
      if (k % 3 == 0) d.resize(rng() % d.size());
      else d[rng() % d.size()] ^= uint8_t(1 + rng() % 255);
      auto r = pack::unpackModel(formats::writeContainer(copy));
      ++trials;
      if (!r.ok()) {
        ++rejected;
        CHECK(r.error().code() == Exit::Input);
      } else {
        CHECK(r->graph().initializer_size() == m.graph().initializer_size());
      }
    }
  }
  CHECK(rejected > trials / 2);
  // Two sections naming the same tensor.
  auto dup = base;
  dup.push_back(base[1]);
  CHECK_FALSE(pack::unpackModel(formats::writeContainer(dup)).ok());
}

namespace {

// Reference codebook view by std::map: zero (else the most frequent, smallest on ties) first, then
// ascending bit patterns.
template <class E>
void checkSymbolizeAgainstMap(const std::vector<E>& v) {
  std::map<uint64_t, uint64_t> counts;
  for (E x : v) ++counts[uint64_t(x)];
  uint64_t first = counts.begin()->first;
  if (!counts.count(0))
    for (auto [k, c] : counts)
      if (c > counts[first]) first = k;
  std::vector<uint64_t> table{first};
  for (auto [k, c] : counts)
    if (k != first) table.push_back(k);
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(v.data()), v.size() * sizeof(E));
  auto s = pack::symbolize(bytes, sizeof(E));
  REQUIRE(s.has_value());
  CHECK(s->table == table);
  REQUIRE(s->symbols.size() == v.size());
  for (size_t i = 0; i < v.size(); ++i) REQUIRE(s->table[s->symbols[i]] == uint64_t(v[i]));
  CHECK(s->counts.size() == table.size());
  for (size_t k = 0; k < table.size(); ++k) CHECK(s->counts[k] == counts[table[k]]);
  CHECK(s->nonzeros() == v.size() - counts[first]);
}

}  // namespace

TEST_CASE("symbolize matches a std::map reference for 1-, 2-, 4- and 8-byte elements") {
  std::mt19937 rng(11);
  // Pruned (runs of zeros), then without zero (most frequent value first), at each width; 2-byte
  // arrays both below and above the direct-histogram threshold; 4-byte ones with thousands of
  // values (the growing hash).
  auto pruned = [&](auto zero_value, size_t n, uint32_t values) {
    using E = decltype(zero_value);
    std::vector<E> v(n, zero_value);
    for (auto& x : v)
      if (rng() % 100 < 10) x = E(1 + rng() % values);
    return v;
  };
  checkSymbolizeAgainstMap(pruned(uint8_t(0), 5000, 30));  // every value 0..30: symbols = values
  checkSymbolizeAgainstMap(pruned(uint8_t(7), 5000, 30));
  std::vector<uint8_t> holes(5000, 0);  // values 0, 3, 9 only: symbols 0, 1, 2
  for (size_t i = 0; i < holes.size(); i += 7) holes[i] = i % 2 ? 3 : 9;
  checkSymbolizeAgainstMap(holes);
  checkSymbolizeAgainstMap(pruned(uint16_t(0), 1000, 300));
  checkSymbolizeAgainstMap(pruned(uint16_t(0), 70000, 3000));
  checkSymbolizeAgainstMap(pruned(uint16_t(9), 70000, 3000));
  checkSymbolizeAgainstMap(pruned(uint32_t(0), 50000, 27));
  checkSymbolizeAgainstMap(pruned(uint32_t(0), 50000, 5000));
  checkSymbolizeAgainstMap(pruned(uint32_t(5), 20000, 12000));
  checkSymbolizeAgainstMap(pruned(uint64_t(0), 20000, 3000));
  // Beyond the table limit: no codebook, at every width that can have that many values.
  std::vector<uint32_t> many(20000);
  for (size_t i = 0; i < many.size(); ++i) many[i] = uint32_t(i * 2654435761u);
  CHECK_FALSE(pack::symbolize({reinterpret_cast<const uint8_t*>(many.data()), many.size() * 4}, 4, 1000).has_value());
  std::vector<uint16_t> many16(many.begin(), many.end());
  CHECK_FALSE(pack::symbolize({reinterpret_cast<const uint8_t*>(many16.data()), many16.size() * 2}, 2, 1000).has_value());
}

TEST_CASE("auto picks the smallest codec (lowest number on ties) for tensors up to 64 KB") {
  // Up to 64 KB every trial either runs or is skipped by a lower bound, so auto must equal the
  // brute-force minimum over every forced codec it considers: all of them, except the position
  // codecs (csr, csr-ac, csr-plain) on tensors with more nonzeros than zeros (docs/formats/dnnc.md).
  std::mt19937 rng(3);
  std::vector<std::vector<float>> cases;
  for (double density : {0.02, 0.08, 0.3, 0.6, 1.0}) {
    for (size_t n : {size_t(50), size_t(3000), size_t(16000)}) {
      std::vector<float> v(n, 0.0f);
      for (auto& x : v)
        if (double(rng() % 1000) < density * 1000) x = float(int(rng() % 27) - 13) * 0.01f + 0.005f;
      cases.push_back(v);
    }
  }
  std::vector<float> dense(4000);
  for (auto& x : dense) x = float(rng()) * 1e-9f;
  cases.push_back(dense);
  cases.push_back(std::vector<float>(6000, 0.25f));
  for (const auto& v : cases) {
    std::span<const uint8_t> data(reinterpret_cast<const uint8_t*>(v.data()), v.size() * 4);
    auto automatic = pack::encodeTensor(data, 4, pack::CodecRequest{});
    size_t best = SIZE_MAX;
    pack::Codec best_codec = pack::Codec::Raw;
    auto sym = pack::symbolize(data, 4);
    const bool sparse = sym && 2 * sym->nonzeros() <= sym->symbols.size();
    for (const pack::Codec codec : pack::allCodecs()) {
      if (!sparse && (codec == pack::Codec::Csr || codec == pack::Codec::CsrAc || codec == pack::Codec::CsrAns || codec == pack::Codec::CsrPlain)) continue;
      auto forced = pack::encodeTensor(data, 4, pack::CodecRequest{false, codec});
      if (forced.fallback) continue;
      // Ties go to the lower tag.
      const size_t size = pack::bodySize(forced);
      if (size < best || (size == best && codec < best_codec)) best = size, best_codec = codec;
    }
    INFO(v.size() << " elements, auto chose " << pack::codecName(automatic.codec) << ", smallest " << pack::codecName(best_codec));
    CHECK(pack::bodySize(automatic) == best);
    CHECK(automatic.codec == best_codec);
  }
}

TEST_CASE("a body written as head and tail is the codec's whole body", "[pack]") {
  // Raw and planes keep the part of their body copied from the data out of memory (pack writes it piece
  // by piece); joined, the pieces must be exactly the body the codec's one-piece encoder makes.
  std::mt19937 rng(5);
  std::normal_distribution<float> g(0.0f, 0.05f);
  for (size_t n : {size_t(3), size_t(1000), size_t(300000)}) {
    std::vector<float> v(n);
    for (auto& x : v) x = g(rng);
    std::span<const uint8_t> data(reinterpret_cast<const uint8_t*>(v.data()), v.size() * 4);
    for (const pack::Codec codec : {pack::Codec::Raw, pack::Codec::Planes}) {
      INFO(n << " elements, " << pack::codecName(codec));
      auto e = pack::encodeTensor(data, 4, pack::CodecRequest{false, codec});
      std::vector<uint8_t> joined = e.body;
      pack::writeTail(e, data, 4, [&](std::span<const uint8_t> p) { joined.insert(joined.end(), p.begin(), p.end()); });
      CHECK(joined.size() == pack::bodySize(e));
      const std::vector<uint8_t> whole = codec == pack::Codec::Raw ? std::vector<uint8_t>(data.begin(), data.end())
                                                                  : formats::bytePlanesEncode(data, 4);
      CHECK(joined == whole);
      auto back = pack::decodeTensor(codec, joined, pack::Layout{pack::Field::Raw, 4, n});
      REQUIRE(back.ok());
      CHECK(std::equal(back->begin(), back->end(), data.begin(), data.end()));
    }
  }
}
