#include "lib/pack/tensor_codec.h"

#include <cstring>
#include <optional>

#include "formats/varint.h"
#include "lib/pack/codec_ops.h"
#include "lib/support/check.h"

namespace dnnc::pack {

namespace fm = dnnc::formats;

namespace {

enum class CodecKind { Bytes, Codebook };

struct CodecEntry {
  Codec codec;
  const char* name;
  CodecKind kind;
  const char* doc;
  const CodecOps* ops;
};

const std::vector<CodecEntry>& codecTable() {
  static const std::vector<CodecEntry> table = {
#define DNNC_CODEC(id, tag, name, kind, doc) {Codec::id, name, CodecKind::kind, doc, &k##id##Codec},
#include "lib/pack/codecs.def"
#undef DNNC_CODEC
  };
  return table;
}

const CodecEntry* findEntry(Codec c) {
  for (const CodecEntry& e : codecTable())
    if (e.codec == c) return &e;
  return nullptr;
}

const CodecEntry& entry(Codec c) {
  const CodecEntry* e = findEntry(c);
  DNNC_CHECK(e != nullptr, "codec ", int(c), " is not in codecs.def");
  return *e;
}

// varint T, then T table entries of `width` little-endian bytes.
std::vector<uint8_t> tableBytes(const Symbolized& s) {
  std::vector<uint8_t> out;
  fm::appendVarint(out, s.table.size());
  size_t at = out.size();
  out.resize(at + s.table.size() * s.width);
  for (size_t k = 0; k < s.table.size(); ++k) std::memcpy(out.data() + at + k * s.width, &s.table[k], s.width);
  return out;
}

std::vector<uint8_t> codebookBody(const CodecOps& ops, CodebookInput& in, EncodedTensor* info) {
  std::vector<uint8_t> body = tableBytes(in.s);
  auto stream = ops.encode_symbols(in, info);
  body.insert(body.end(), stream.begin(), stream.end());
  return body;
}

// One codec's body for a tensor, the codec given (a codebook codec needs the symbols).
// The body; for codecs with a tail (see EncodedTensor) only its head, the tail's size in *tail.
std::vector<uint8_t> encodeWith(const CodecEntry& e, std::span<const uint8_t> data, unsigned width, CodebookInput* in,
                                EncodedTensor* info, uint64_t* tail) {
  *tail = 0;
  if (e.kind == CodecKind::Bytes && e.ops->encode_head) {
    *tail = e.ops->tail_bytes(data.size(), width);
    return e.ops->encode_head(data, width);
  }
  if (e.kind == CodecKind::Bytes) return e.ops->encode_bytes(data, width);
  DNNC_CHECK(in != nullptr, e.name, " needs the tensor's symbols");
  return codebookBody(*e.ops, *in, info);
}

// A trial's result: its size, and the body when making the size meant encoding it.
struct Trial {
  uint64_t size = 0;
  bool encoded = false;  // body holds the encoding (else size came from the codec's formula)
  std::vector<uint8_t> body;
  uint64_t tail_bytes = 0;
  EncodedTensor probe;  // the gap/value split of a kept CSR body
};

// Measures one codec for auto, or nullopt when it is not tried: codebook codecs need symbols (and the
// position codecs a tensor at least half zeros), and a trial whose lower bound cannot beat the best
// so far, or that the codec itself judges not worth it, is skipped.
std::optional<Trial> tryCodec(const CodecEntry& e, AutoSearch& a, bool sparse) {
  const CodecOps& ops = *e.ops;
  auto beats = [&](uint64_t size) { return size < a.best_size || (size == a.best_size && e.codec < a.best); };
  if (e.kind == CodecKind::Codebook) {
    if (!a.codebook || (ops.sparse_only && !sparse)) return std::nullopt;
    if (ops.lower_bound && !beats(a.table_bytes + ops.lower_bound(*a.codebook))) return std::nullopt;
  }
  if (ops.worth_trying && !ops.worth_trying(a)) return std::nullopt;
  Trial t;
  if (e.kind == CodecKind::Codebook && ops.size) {
    t.size = a.table_bytes + ops.size(*a.codebook);
  } else {
    t.body = encodeWith(e, a.data, a.width, a.codebook, &t.probe, &t.tail_bytes);
    t.size = t.body.size() + t.tail_bytes, t.encoded = true;
  }
  return t;
}

EncodedTensor encodeRequested(Codec c, std::span<const uint8_t> data, unsigned width, EncodedTensor out) {
  if (isCodebookCodec(c) && !out.symbols) {
    c = Codec::Zstd;
    out.fallback = true;
  }
  out.codec = c;
  std::optional<CodebookInput> in;
  if (isCodebookCodec(c)) in.emplace(*out.symbols);
  out.body = encodeWith(entry(c), data, width, in ? &*in : nullptr, &out, &out.tail_bytes);
  if (in) out.entries = in->takeEntries();
  return out;
}

}  // namespace

const std::vector<Codec>& allCodecs() {
  static const std::vector<Codec> codecs = [] {
    std::vector<Codec> v;
    for (const CodecEntry& e : codecTable()) v.push_back(e.codec);
    return v;
  }();
  return codecs;
}

std::optional<Codec> codecFromTag(uint8_t tag) {
  const CodecEntry* e = findEntry(Codec(tag));
  return e ? std::optional<Codec>(e->codec) : std::nullopt;
}

const char* codecName(Codec c) {
  const CodecEntry* e = findEntry(c);
  return e ? e->name : "?";
}

bool isCodebookCodec(Codec c) { return entry(c).kind == CodecKind::Codebook; }

std::vector<std::string> codecRequestNames() {
  std::vector<std::string> names = {"auto"};
  for (const CodecEntry& e : codecTable()) names.push_back(e.name);
  return names;
}

std::string codecChoicesHelp() {
  std::string s;
  for (const std::string& name : codecRequestNames()) s += s.empty() ? name + " (smallest per tensor)" : ", " + name;
  return s;
}

Expected<CodecRequest> parseCodecRequest(const std::string& name) {
  if (name == "auto") return CodecRequest{};
  for (const CodecEntry& e : codecTable())
    if (name == e.name) return CodecRequest{false, e.codec};
  std::string names;
  for (const std::string& n : codecRequestNames()) names += (names.empty() ? "" : ", ") + n;
  return Error(Exit::Usage, "unknown codec '", name, "' (expected one of ", names, ")");
}

EncodedTensor encodeTensor(std::span<const uint8_t> data, unsigned width, const CodecRequest& request) {
  EncodedTensor out;
  // A codebook pays off only when values repeat: with more than a quarter of the elements distinct
  // (a dense float layer) the table alone is a quarter of the raw size, and building Huffman codes
  // over thousands of symbols costs more than every other trial together.
  const size_t n = data.size() / width;
  out.symbols = symbolize(data, width, std::min(kMaxSymbols, std::max<size_t>(256, n / 4)));
  if (!request.automatic) return encodeRequested(request.codec, data, width, std::move(out));
  // auto: the smallest of every applicable codec, tried in the table's order (the codebook codecs
  // first: on a pruned-and-shared tensor they win by far, and their sizes let the slower trials be
  // skipped); ties go to the lower tag, whatever the order of the trials.
  std::optional<CodebookInput> in;
  if (out.symbols) in.emplace(*out.symbols);
  AutoSearch a{.data = data, .width = width, .codebook = in ? &*in : nullptr};
  a.table_bytes = out.symbols ? tableBytes(*out.symbols).size() : 0;
  a.best = Codec::Raw, a.best_size = data.size();
  // Position codecs (CSR) are tried on tensors that are at least half zeros only: on denser ones
  // dense Huffman wins and the CSR size plans cost as much as the rest together.
  const bool sparse = out.symbols && 2 * out.symbols->nonzeros() <= out.symbols->symbols.size();
  std::optional<Trial> winner;
  for (const CodecEntry& e : codecTable()) {
    if (e.codec == Codec::Raw) continue;  // the starting point
    auto t = tryCodec(e, a, sparse);
    if (!t) continue;
    a.measured[uint8_t(e.codec)] = t->size;
    if (t->size < a.best_size || (t->size == a.best_size && e.codec < a.best)) {
      a.best = e.codec, a.best_size = t->size;
      winner = std::move(t);
    }
  }
  out.codec = a.best;
  if (a.best == Codec::Raw) {
    out.body = encodeWith(entry(Codec::Raw), data, width, nullptr, &out, &out.tail_bytes);
  } else if (winner->encoded) {
    out.body = std::move(winner->body);
    out.tail_bytes = winner->tail_bytes;
    out.gap_bits = winner->probe.gap_bits, out.value_bits = winner->probe.value_bits;
  } else {
    out.body = encodeWith(entry(a.best), data, width, a.codebook, &out, &out.tail_bytes);
  }
  if (in) out.entries = in->takeEntries();
  return out;
}

Expected<std::vector<uint8_t>> decodeTensor(Codec codec, std::span<const uint8_t> body, const Layout& layout) {
  const CodecEntry* e = findEntry(codec);
  if (!e) return Error(Exit::Input, "unknown codec ", int(codec));
  if (e->kind == CodecKind::Bytes) return e->ops->decode_bytes(body, layout);
  size_t pos = 0;
  DNNC_ASSIGN(uint64_t t, fm::readVarint(body, pos));
  if (t == 0 || t > kMaxSymbols) return Error(Exit::Input, "codebook of ", t, " entries (expected 1..", kMaxSymbols, ")");
  if (t * layout.width > body.size() - pos) return Error(Exit::Input, "codebook of ", t, " entries is truncated");
  Codebook cb{std::vector<uint64_t>(t, 0), layout};
  for (uint64_t k = 0; k < t; ++k) std::memcpy(&cb.table[k], body.data() + pos + k * layout.width, layout.width);
  pos += size_t(t * layout.width);
  return e->ops->decode_symbols(body.subspan(pos), cb);
}

Status decodeTensorInto(Codec codec, std::span<const uint8_t> body, const Layout& layout, std::span<uint8_t> out,
                        const std::function<void(std::span<const uint8_t>)>& consumed) {
  DNNC_CHECK(out.size() == layout.bytes());
  const CodecEntry* e = findEntry(codec);
  if (e && e->kind == CodecKind::Bytes && e->ops->decode_bytes_into) return e->ops->decode_bytes_into(body, layout, out, consumed);
  DNNC_ASSIGN(std::vector<uint8_t> data, decodeTensor(codec, body, layout));
  std::copy(data.begin(), data.end(), out.begin());
  if (consumed) consumed(body);
  return {};
}

void writeTail(const EncodedTensor& e, std::span<const uint8_t> data, unsigned width,
               const std::function<void(std::span<const uint8_t>)>& out) {
  if (e.tail_bytes == 0) return;
  const CodecOps& ops = *entry(e.codec).ops;
  DNNC_CHECK(ops.write_tail && ops.tail_bytes(data.size(), width) == e.tail_bytes);
  ops.write_tail(data, width, out);
}

}  // namespace dnnc::pack
