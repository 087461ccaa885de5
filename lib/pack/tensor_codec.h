// One tensor's data coded by one codec (the choice is recorded per tensor in its section).
// Codebook codecs first turn the data into a table of distinct values plus symbols (symbolize.h),
// then code the symbols: dense Huffman, CSR with Huffman gaps (csr), CSR with an adaptive range
// coder (csr-ac), CSR with static rANS tables (csr-ans, the fast one), Deep Compression's plain CSR
// (csr-plain) or Eyeriss RLC (rlc). raw, zstd and
// planes (byte planes, the top two range-coded: formats/byte_planes.h) code the bytes themselves. Layout of each body: docs/formats/dnnc.md.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "formats/csr.h"
#include "lib/pack/symbolize.h"
#include "lib/pack/tensor_data.h"
#include "lib/support/error.h"

namespace dnnc::pack {

enum class Codec : uint8_t { Raw = 0, Zstd = 1, Huffman = 2, Csr = 3, CsrAc = 4, CsrPlain = 5, Rlc = 6, Planes = 7, CsrAns = 8 };
inline constexpr uint8_t kCodecCount = 9;
const char* codecName(Codec c);
bool isCodebookCodec(Codec c);

// What the user asked for: one codec for every tensor, or auto (the smallest per tensor).
struct CodecRequest {
  bool automatic = true;
  Codec codec = Codec::Zstd;
};
// "auto", or a codec name (raw, zstd, huffman, csr, csr-ac, csr-ans, csr-plain, rlc, planes).
Expected<CodecRequest> parseCodecRequest(const std::string& name);

struct EncodedTensor {
  Codec codec = Codec::Raw;
  std::vector<uint8_t> body;
  bool fallback = false;            // a codebook codec was asked for but the data has too many values
  std::optional<Symbolized> symbols;  // when the data has at most 2^16 distinct values
  std::optional<formats::SparseEntries> entries;  // the symbols' (gap, value) entries, when a trial made them
  double gap_bits = 0, value_bits = 0;  // split of a CSR body's payload (for the index share)
};

EncodedTensor encodeTensor(std::span<const uint8_t> data, unsigned width, const CodecRequest& request);
// Decodes a body into exactly layout.bytes() bytes; every count, table and symbol is validated.
Expected<std::vector<uint8_t>> decodeTensor(Codec codec, std::span<const uint8_t> body, const Layout& layout);

}  // namespace dnnc::pack
