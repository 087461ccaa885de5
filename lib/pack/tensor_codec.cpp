#include "lib/pack/tensor_codec.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <optional>
#include <type_traits>

#include "formats/byte_planes.h"
#include "formats/csr.h"
#include "formats/csr_ans.h"
#include "formats/csr_arith.h"
#include "formats/huffman.h"
#include "formats/rlc.h"
#include "formats/varint.h"
#include "formats/zstd_blob.h"
#include "lib/pack/bounds.h"
#include "lib/support/check.h"

namespace dnnc::pack {

namespace fm = dnnc::formats;

namespace {

constexpr int kZstdLevel = 3;
constexpr size_t kPlanesAutoMaxBytes = size_t(1) << 20;
constexpr size_t kExactTrialBytes = size_t(1) << 16;  // up to this size auto runs every trial that can win
constexpr size_t kZstdSampleBytes = size_t(1) << 16;

// What the codebook codecs' trials share, computed once per tensor: the symbols widened to the
// formats/ codecs' type, and (for tensors that are at least half zeros) their (gap, value) entries.
// Both are made on first use: most trials need neither.
struct CodebookInput {
  explicit CodebookInput(const Symbolized& sym) : s(sym) {}
  const Symbolized& s;
  const std::vector<uint32_t>& wide() {
    if (!wide_) wide_.emplace(s.symbols.begin(), s.symbols.end());
    return *wide_;
  }
  const fm::SparseEntries& entries() {
    if (!entries_) entries_ = fm::sparseEntries(std::span<const uint16_t>(s.symbols));
    return *entries_;
  }
  // The entries' zero-order entropy in bits (gaps plus values; bounds.h).
  double entropyBits() {
    if (!entropy_bits_) entropy_bits_ = sparseEntropyBits(entries());
    return *entropy_bits_;
  }
  // The entries if made (for the report, which would otherwise scan the symbols again).
  std::optional<fm::SparseEntries> takeEntries() { return std::move(entries_); }

 private:
  std::optional<std::vector<uint32_t>> wide_;
  std::optional<fm::SparseEntries> entries_;
  std::optional<double> entropy_bits_;
};

// varint T, then T table entries of `width` little-endian bytes.
std::vector<uint8_t> tableBytes(const Symbolized& s) {
  std::vector<uint8_t> out;
  fm::appendVarint(out, s.table.size());
  size_t at = out.size();
  out.resize(at + s.table.size() * s.width);
  for (size_t k = 0; k < s.table.size(); ++k) std::memcpy(out.data() + at + k * s.width, &s.table[k], s.width);
  return out;
}

std::vector<uint8_t> symbolStream(Codec c, CodebookInput& in, EncodedTensor* info) {
  const Symbolized& s = in.s;
  switch (c) {
    case Codec::Huffman: return fm::huffmanEncode<uint16_t>(s.symbols);
    case Codec::Csr: {
      fm::CsrHuffmanPlan plan;
      auto out = fm::csrHuffmanEncode(in.entries(), &plan);
      if (info) info->gap_bits = double(plan.gap_bits), info->value_bits = double(plan.value_bits_total);
      return out;
    }
    case Codec::CsrAc: {
      fm::CsrAcCost cost;
      auto out = fm::csrAcEncode(in.entries(), info ? &cost : nullptr);
      if (info) info->gap_bits = cost.gap_bits, info->value_bits = cost.value_bits;
      return out;
    }
    case Codec::CsrAns: {
      fm::CsrAcCost cost;
      auto out = fm::csrAnsEncode(in.entries(), info ? &cost : nullptr);
      if (info) info->gap_bits = cost.gap_bits, info->value_bits = cost.value_bits;
      return out;
    }
    case Codec::CsrPlain: {
      const auto& e = in.entries();
      unsigned b = fm::valueBitsFor(e.values);
      unsigned gb = fm::bestCsrPlainGapBits(e, b);
      if (info) {
        uint64_t entries = e.values.size() + fm::csrPlainFillers(e, gb);
        info->gap_bits = double(entries * gb), info->value_bits = double(entries * b);
      }
      return fm::csrPlainEncode(in.wide(), gb, b);
    }
    case Codec::Rlc: return fm::rlcWordsToBytes(fm::rlcEncode(std::span<const uint16_t>(s.symbols)));
    default: DNNC_CHECK(false, "not a codebook codec"); return {};
  }
}

std::vector<uint8_t> codebookBody(Codec c, CodebookInput& in, EncodedTensor* info) {
  std::vector<uint8_t> body = tableBytes(in.s);
  auto stream = symbolStream(c, in, info);
  body.insert(body.end(), stream.begin(), stream.end());
  return body;
}

// A bound no body of codec c can go below, cheap to compute, so the auto search skips trials that
// cannot win: every element costs a Huffman code >= 1 bit; every nonzero is one csr-plain entry of
// >= 1 gap bit and the values' width; RLC pairs below; csr codes each gap and each value with a
// prefix code, which cannot beat the entries' empirical entropy (a histogram over the nonzeros,
// where planning its Huffman codes costs several times that).
uint64_t codebookLowerBound(Codec c, CodebookInput& in, uint64_t table) {
  const Symbolized& s = in.s;
  const uint64_t n = s.symbols.size(), nnz = s.nonzeros();
  switch (c) {
    case Codec::Csr: return table + uint64_t(in.entropyBits() * (1 - 1e-9) / 8);
    case Codec::Huffman: return table + (n + 7) / 8;
    case Codec::Rlc: {
      // A pair covers one nonzero, or at most kRlcMaxRun zeros and one more element.
      const uint64_t pairs = std::max(nnz, (n + fm::kRlcMaxRun) / (fm::kRlcMaxRun + 1));
      return table + 8 * ((pairs + fm::kRlcPairsPerWord - 1) / fm::kRlcPairsPerWord);
    }
    case Codec::CsrPlain: return table + (nnz * (1 + std::max(1u, unsigned(std::bit_width(s.table.size() - 1)))) + 7) / 8;
    default: return table;
  }
}

// Size of a codebook body without encoding where the codec has a size formula.
uint64_t codebookSize(Codec c, CodebookInput& in, uint64_t table) {
  const Symbolized& s = in.s;
  switch (c) {
    case Codec::Huffman: return table + fm::huffmanEncodedBytes<uint16_t>(s.symbols);
    case Codec::CsrPlain: {
      const auto& e = in.entries();
      unsigned b = fm::valueBitsFor(e.values);
      return table + fm::csrPlainEncodedBytes(e, fm::bestCsrPlainGapBits(e, b), b);
    }
    case Codec::Rlc: return table + (fm::rlcEncodedBits(std::span<const uint16_t>(s.symbols)) + 7) / 8;
    default: return codebookBody(c, in, nullptr).size();
  }
}

std::vector<uint8_t> zstdBody(std::span<const uint8_t> data) {
  auto z = fm::zstdCompress(data, kZstdLevel);
  DNNC_CHECK(z.ok(), "zstd level ", kZstdLevel);
  return std::move(*z);
}

}  // namespace

const char* codecName(Codec c) {
  switch (c) {
    case Codec::Raw: return "raw";
    case Codec::Zstd: return "zstd";
    case Codec::Huffman: return "huffman";
    case Codec::Csr: return "csr";
    case Codec::CsrAc: return "csr-ac";
    case Codec::CsrAns: return "csr-ans";
    case Codec::CsrPlain: return "csr-plain";
    case Codec::Rlc: return "rlc";
    case Codec::Planes: return "planes";
  }
  return "?";
}

bool isCodebookCodec(Codec c) { return c != Codec::Raw && c != Codec::Zstd && c != Codec::Planes; }

Expected<CodecRequest> parseCodecRequest(const std::string& name) {
  if (name == "auto") return CodecRequest{};
  for (uint8_t k = 0; k < kCodecCount; ++k)
    if (name == codecName(Codec(k))) return CodecRequest{false, Codec(k)};
  return Error(Exit::Usage, "unknown codec '", name, "' (expected auto, raw, zstd, planes, huffman, csr, csr-ac, csr-ans, csr-plain or rlc)");
}

EncodedTensor encodeTensor(std::span<const uint8_t> data, unsigned width, const CodecRequest& request) {
  EncodedTensor out;
  // A codebook pays off only when values repeat: with more than a quarter of the elements distinct
  // (a dense float layer) the table alone is a quarter of the raw size, and building Huffman codes
  // over thousands of symbols costs more than every other trial together.
  const size_t n = data.size() / width;
  out.symbols = symbolize(data, width, std::min(kMaxSymbols, std::max<size_t>(256, n / 4)));
  if (!request.automatic) {
    Codec c = request.codec;
    if (isCodebookCodec(c) && !out.symbols) {
      c = Codec::Zstd;
      out.fallback = true;
    }
    out.codec = c;
    if (c == Codec::Raw) out.body.assign(data.begin(), data.end());
    else if (c == Codec::Zstd) out.body = zstdBody(data);
    else if (c == Codec::Planes) out.body = fm::bytePlanesEncode(data, width);
    else {
      CodebookInput in(*out.symbols);
      out.body = codebookBody(c, in, &out);
      out.entries = in.takeEntries();
    }
    return out;
  }
  // auto: the smallest of every applicable codec; ties go to the simpler (lower-numbered) one,
  // whatever the order of the trials.
  Codec best = Codec::Raw;
  uint64_t best_size = data.size();
  auto beats = [&](uint64_t size, Codec c) { return size < best_size || (size == best_size && c < best); };
  // The codebook codecs first: on a pruned-and-shared tensor they win by far, and their sizes let
  // the slower general-purpose trials be skipped.
  std::optional<CodebookInput> in;
  // The CSR bodies are encoded to be measured (csr-ac and csr-ans have no size formula; csr's plan
  // costs about as much as its encoding) and kept with their gap/value split, so the winner is not
  // coded twice.
  std::vector<uint8_t> ac, ans, csr;
  EncodedTensor ac_probe, ans_probe, csr_probe;
  if (out.symbols) {
    const Symbolized& s = *out.symbols;
    in.emplace(s);
    const uint64_t table = tableBytes(s).size();
    // Position codecs (CSR) are tried on tensors that are at least half zeros only: on denser ones
    // dense Huffman wins and the CSR size plans cost as much as the rest together.
    const bool sparse = 2 * s.nonzeros() <= s.symbols.size();
    if (sparse) {
      ans = codebookBody(Codec::CsrAns, *in, &ans_probe);
      if (beats(ans.size(), Codec::CsrAns)) best = Codec::CsrAns, best_size = ans.size();
      // csr-ac encodes and decodes 4-5x slower than csr-ans and on large tensors lands within about
      // 0.1 % of it (its models' learning costs what csr-ans's tables do). Above 64 KB, where that
      // time shows, it is tried only when csr-ans is more than 0.5 % above the entries' zero-order
      // entropy: that is where adaptive models can win by more (statistics that drift along the
      // tensor, which one static table per context averages away).
      const bool try_ac = data.size() <= kExactTrialBytes || double(ans.size() - table) * 8 > 1.005 * in->entropyBits();
      if (try_ac) {
        ac = codebookBody(Codec::CsrAc, *in, &ac_probe);
        if (beats(ac.size(), Codec::CsrAc)) best = Codec::CsrAc, best_size = ac.size();
      }
    }
    for (Codec c : {Codec::Csr, Codec::Huffman, Codec::CsrPlain, Codec::Rlc}) {
      if (!sparse && (c == Codec::Csr || c == Codec::CsrPlain)) continue;
      if (!beats(codebookLowerBound(c, *in, table), c)) continue;
      if (c == Codec::Csr) csr = codebookBody(c, *in, &csr_probe);
      const uint64_t size = c == Codec::Csr ? csr.size() : codebookSize(c, *in, table);
      if (beats(size, c)) best = c, best_size = size;
    }
  }
  // zstd is the slowest trial on large tensors, so above 64 KB a sample decides whether it runs in
  // full: above 1 MB it must beat the byte planes on the first 256 KB; from 64 KB to 1 MB it must
  // come within 25 % of the best size so far, pro rata, on the first 64 KB. What zstd wins on
  // (repeated rows, constant blocks) shows in any sample; a tensor a codebook codec has already
  // shrunk several times over (pruned and shared) fails the test at the cost of 64 KB of zstd.
  std::vector<uint8_t> zstd;
  bool try_zstd = true;
  if (data.size() > kPlanesAutoMaxBytes) {
    auto sample = data.first(std::min<size_t>(data.size(), size_t(1) << 18) / width * width);
    try_zstd = zstdBody(sample).size() < fm::bytePlanesEncode(sample, width).size();
  } else if (data.size() > kExactTrialBytes && best != Codec::Raw) {
    auto sample = data.first(kZstdSampleBytes / width * width);
    const double pro_rata = double(best_size) * double(sample.size()) / double(data.size());
    try_zstd = double(zstdBody(sample).size()) < 1.25 * pro_rata;
  }
  if (try_zstd) {
    zstd = zstdBody(data);
    if (beats(zstd.size(), Codec::Zstd)) best = Codec::Zstd, best_size = zstd.size();
  }
  // Byte planes: for tensors no codebook codec already halves (biases, dense layers).
  std::vector<uint8_t> planes;
  if (2 * best_size > data.size()) {
    planes = fm::bytePlanesEncode(data, width);
    if (beats(planes.size(), Codec::Planes)) best = Codec::Planes, best_size = planes.size();
  }
  out.codec = best;
  if (best == Codec::Raw) out.body.assign(data.begin(), data.end());
  else if (best == Codec::Zstd) out.body = std::move(zstd);
  else if (best == Codec::CsrAc) out.body = std::move(ac), out.gap_bits = ac_probe.gap_bits, out.value_bits = ac_probe.value_bits;
  else if (best == Codec::CsrAns) out.body = std::move(ans), out.gap_bits = ans_probe.gap_bits, out.value_bits = ans_probe.value_bits;
  else if (best == Codec::Csr) out.body = std::move(csr), out.gap_bits = csr_probe.gap_bits, out.value_bits = csr_probe.value_bits;
  else if (best == Codec::Planes) out.body = std::move(planes);
  else out.body = codebookBody(best, *in, &out);
  if (in) out.entries = in->takeEntries();
  return out;
}

Expected<std::vector<uint8_t>> decodeTensor(Codec codec, std::span<const uint8_t> body, const Layout& layout) {
  const uint64_t n = layout.count, bytes = layout.bytes();
  if (codec == Codec::Raw) {
    if (body.size() != bytes) return Error(Exit::Input, "raw tensor data of ", body.size(), " bytes, expected ", bytes);
    return std::vector<uint8_t>(body.begin(), body.end());
  }
  if (codec == Codec::Planes) return fm::bytePlanesDecode(body, layout.width, n);
  if (codec == Codec::Zstd) {
    DNNC_ASSIGN(std::vector<uint8_t> out, fm::zstdDecompress(body, bytes));
    if (out.size() != bytes) return Error(Exit::Input, "zstd tensor data of ", out.size(), " bytes, expected ", bytes);
    return out;
  }
  size_t pos = 0;
  DNNC_ASSIGN(uint64_t t, fm::readVarint(body, pos));
  if (t == 0 || t > kMaxSymbols) return Error(Exit::Input, "codebook of ", t, " entries (expected 1..", kMaxSymbols, ")");
  if (t * layout.width > body.size() - pos) return Error(Exit::Input, "codebook of ", t, " entries is truncated");
  std::vector<uint64_t> table(t, 0);
  for (uint64_t k = 0; k < t; ++k) std::memcpy(&table[k], body.data() + pos + k * layout.width, layout.width);
  pos += size_t(t * layout.width);
  auto stream = body.subspan(pos);
  auto finish = [&](const auto& symbols) -> Expected<std::vector<uint8_t>> {
    if (symbols.size() != n)
      return Error(Exit::Input, codecName(codec), " stream holds ", symbols.size(), " elements, expected ", n);
    for (auto s : symbols)
      if (s >= t) return Error(Exit::Input, codecName(codec), " stream has symbol ", s, " beyond its codebook of ", t);
    using S = typename std::decay_t<decltype(symbols)>::value_type;
    return desymbolize(table, layout.width, std::span<const S>(symbols));
  };
  switch (codec) {
    case Codec::Huffman: {
      DNNC_ASSIGN(auto s, fm::huffmanDecode<uint16_t>(stream));
      return finish(s);
    }
    case Codec::Csr: { DNNC_ASSIGN(auto s, fm::csrHuffmanDecode(stream, n)); return finish(s); }
    case Codec::CsrAc:
    case Codec::CsrAns: {
      // Straight from the entries to the element bytes (the decoder checked positions and values).
      DNNC_ASSIGN(auto e, codec == Codec::CsrAc ? fm::csrAcDecodeEntries(stream, n, uint32_t(t - 1))
                                                : fm::csrAnsDecodeEntries(stream, n, uint32_t(t - 1)));
      if (e.count != n) return Error(Exit::Input, codecName(codec), " stream holds ", e.count, " elements, expected ", n);
      return desymbolizeSparse(table, layout.width, e);
    }
    case Codec::CsrPlain: { DNNC_ASSIGN(auto s, fm::csrPlainDecode(stream, n)); return finish(s); }
    case Codec::Rlc: {
      DNNC_ASSIGN(auto words, fm::rlcBytesToWords(stream));
      // A 64-bit word covers at most 3 * 32 elements: bound the count before the decoder allocates it.
      if (n > uint64_t(words.size()) * 96) return Error(Exit::Input, "rlc stream of ", words.size(), " words cannot hold ", n, " elements");
      DNNC_ASSIGN(auto s, fm::rlcDecode(words, size_t(n)));
      return finish(s);
    }
    default: return Error(Exit::Input, "unknown codec ", int(codec));
  }
}

}  // namespace dnnc::pack
