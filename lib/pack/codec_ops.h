// What one codec provides (lib/pack/codecs/<name>.cpp defines one CodecOps; codecs.def lists them), and
// what the auto search shares between codecs. Internal to lib/pack: tensor_codec.h is the interface.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "formats/csr.h"
#include "lib/pack/symbolize.h"
#include "lib/pack/tensor_codec.h"
#include "lib/pack/tensor_data.h"
#include "lib/support/error.h"

namespace dnnc::pack {

// What the codebook codecs' trials share, computed once per tensor: the symbols widened to the
// formats/ codecs' type, and (for tensors that are at least half zeros) their (gap, value) entries.
// Both are made on first use: most trials need neither.
class CodebookInput {
 public:
  explicit CodebookInput(const Symbolized& sym) : s(sym) {}
  const Symbolized& s;
  const std::vector<uint32_t>& wide();
  const formats::SparseEntries& entries();
  // The entries' zero-order entropy in bits (gaps plus values; bounds.h).
  double entropyBits();
  // The entries if made (for the report, which would otherwise scan the symbols again).
  std::optional<formats::SparseEntries> takeEntries() { return std::move(entries_); }

 private:
  std::optional<std::vector<uint32_t>> wide_;
  std::optional<formats::SparseEntries> entries_;
  std::optional<double> entropy_bits_;
};

// A decoded codebook: the table of distinct element patterns and the layout of the elements.
struct Codebook {
  std::vector<uint64_t> table;
  const Layout& layout;
};

// The state of one tensor's auto search, as the codecs' worth_trying() see it.
struct AutoSearch {
  std::span<const uint8_t> data;
  unsigned width = 0;
  CodebookInput* codebook = nullptr;  // null when the data has too many distinct values
  uint64_t table_bytes = 0;           // the codebook table's share of every codebook body
  Codec best = Codec::Raw;
  uint64_t best_size = 0;
  std::array<std::optional<uint64_t>, 256> measured{};  // body size of each codec tried so far, by tag
};

struct CodecOps {
  // Bytes codecs: the body from the tensor's bytes, and back.
  std::vector<uint8_t> (*encode_bytes)(std::span<const uint8_t> data, unsigned width) = nullptr;
  Expected<std::vector<uint8_t>> (*decode_bytes)(std::span<const uint8_t> body, const Layout& layout) = nullptr;
  // Optional, for bytes codecs whose body ends with bytes copied from the data (planes' raw planes, raw's
  // whole body): the body without them, how many follow, and their writer, so that pack spools them
  // piece by piece instead of holding a second copy of the tensor.
  std::vector<uint8_t> (*encode_head)(std::span<const uint8_t> data, unsigned width) = nullptr;
  uint64_t (*tail_bytes)(size_t data_bytes, unsigned width) = nullptr;
  void (*write_tail)(std::span<const uint8_t> data, unsigned width,
                     const std::function<void(std::span<const uint8_t>)>& out) = nullptr;
  // Optional: the same into out (layout.bytes() bytes) without a second buffer of the tensor's size,
  // telling `consumed` each part of body it is done with (see decodeTensorInto).
  Status (*decode_bytes_into)(std::span<const uint8_t> body, const Layout& layout, std::span<uint8_t> out,
                              const std::function<void(std::span<const uint8_t>)>& consumed) = nullptr;
  // Codebook codecs: the symbol stream that follows the table (info, when given, gets the gap/value
  // split of the payload), and the element bytes back from it (every count and symbol validated).
  std::vector<uint8_t> (*encode_symbols)(CodebookInput& in, EncodedTensor* info) = nullptr;
  Expected<std::vector<uint8_t>> (*decode_symbols)(std::span<const uint8_t> stream, const Codebook& codebook) = nullptr;
  // Optional, for auto: a bound no stream of this codec can go below, cheap to compute, so trials
  // that cannot win are skipped; and the exact stream size without encoding. Without size(), a trial
  // encodes and keeps the body, so the winner is not coded twice.
  uint64_t (*lower_bound)(CodebookInput& in) = nullptr;
  uint64_t (*size)(CodebookInput& in) = nullptr;
  // Codebook codecs that code positions (CSR): auto tries them on tensors at least half zeros only.
  bool sparse_only = false;
  // Optional, for auto: whether the trial runs at all, given what earlier trials found.
  bool (*worth_trying)(const AutoSearch& search) = nullptr;
};

// The element bytes from decoded symbols, after checking their count and range against the codebook.
template <class S>
Expected<std::vector<uint8_t>> symbolsToBytes(Codec codec, const std::vector<S>& symbols, const Codebook& cb) {
  const uint64_t n = cb.layout.count, t = cb.table.size();
  if (symbols.size() != n) return Error(Exit::Input, codecName(codec), " stream holds ", symbols.size(), " elements, expected ", n);
  for (auto s : symbols)
    if (s >= t) return Error(Exit::Input, codecName(codec), " stream has symbol ", s, " beyond its codebook of ", t);
  return desymbolize(cb.table, cb.layout.width, std::span<const S>(symbols));
}

#define DNNC_CODEC(id, tag, name, kind, doc) extern const CodecOps k##id##Codec;
#include "lib/pack/codecs.def"
#undef DNNC_CODEC

}  // namespace dnnc::pack
