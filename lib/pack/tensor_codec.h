// One tensor's data coded by one codec (the choice is recorded per tensor in its section). The codecs
// are the lines of codecs.def. Codebook codecs first turn the data into a table of distinct values plus
// symbols (symbolize.h), then code the symbols (Huffman, the CSR family, Eyeriss RLC); bytes codecs
// (raw, zstd, planes) code the bytes themselves. Layout of each body: docs/formats/dnnc.md.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "formats/csr.h"
#include "lib/pack/symbolize.h"
#include "lib/pack/tensor_data.h"
#include "lib/support/error.h"

namespace dnnc::pack {

// The value of each codec is its on-disk tag.
enum class Codec : uint8_t {
#define DNNC_CODEC(id, tag, name, kind, doc) id = tag,
#include "lib/pack/codecs.def"
#undef DNNC_CODEC
};
// Every codec, in the order auto tries them (codecs.def).
const std::vector<Codec>& allCodecs();
// A tag read from a file that names no codec gives nullopt.
std::optional<Codec> codecFromTag(uint8_t tag);
const char* codecName(Codec c);
bool isCodebookCodec(Codec c);
// What --codec accepts: "auto", then every codec's name (the table's order).
std::vector<std::string> codecRequestNames();
// "auto (smallest per tensor), raw, csr-ans, ..." for --codec's help.
std::string codecChoicesHelp();

// What the user asked for: one codec for every tensor, or auto (the smallest per tensor).
struct CodecRequest {
  bool automatic = true;
  Codec codec = Codec::Zstd;
};
// "auto", or a codec name (codecs.def).
Expected<CodecRequest> parseCodecRequest(const std::string& name);

struct EncodedTensor {
  Codec codec = Codec::Raw;
  // The section body is `body` followed by tail_bytes more that writeTail makes from the data (the copied
  // part of raw and planes bodies, never held whole: bodySize and writeTail).
  std::vector<uint8_t> body;
  uint64_t tail_bytes = 0;
  bool fallback = false;            // a codebook codec was asked for but the data has too many values
  std::optional<Symbolized> symbols;  // when the data has at most 2^16 distinct values
  std::optional<formats::SparseEntries> entries;  // the symbols' (gap, value) entries, when a trial made them
  double gap_bits = 0, value_bits = 0;  // split of a CSR body's payload (for the index share)
};

EncodedTensor encodeTensor(std::span<const uint8_t> data, unsigned width, const CodecRequest& request);
inline uint64_t bodySize(const EncodedTensor& e) { return e.body.size() + e.tail_bytes; }
// Hands e's tail (see EncodedTensor) to `out` piece by piece; `data` must be what encodeTensor coded.
void writeTail(const EncodedTensor& e, std::span<const uint8_t> data, unsigned width,
               const std::function<void(std::span<const uint8_t>)>& out);
// Decodes a body into exactly layout.bytes() bytes; every count, table and symbol is validated.
Expected<std::vector<uint8_t>> decodeTensor(Codec codec, std::span<const uint8_t> body, const Layout& layout);
// The same into out, which holds exactly layout.bytes(): codecs that can write there directly (raw,
// planes: the dense float layers, the largest tensors) hold no second copy of the tensor, and tell
// `consumed` each part of body as they are done with it; the others decode to a buffer and copy.
Status decodeTensorInto(Codec codec, std::span<const uint8_t> body, const Layout& layout, std::span<uint8_t> out,
                        const std::function<void(std::span<const uint8_t>)>& consumed = {});

}  // namespace dnnc::pack
