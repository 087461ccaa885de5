// What csr-ac and csr-ans share: both entropy-code the symbols' (gap, value) entries with a cost split,
// and decode straight from the entries to the element bytes (the decoder checked positions and values).
#pragma once
#include "formats/csr_arith.h"
#include "lib/pack/codec_ops.h"

namespace dnnc::pack {

using EntriesEncoder = std::vector<uint8_t> (*)(const formats::SparseEntries&, formats::CsrAcCost*);
using EntriesDecoder = Expected<formats::SparseEntries> (*)(std::span<const uint8_t>, uint64_t, uint32_t);

inline std::vector<uint8_t> encodeEntries(EntriesEncoder encode, CodebookInput& in, EncodedTensor* info) {
  formats::CsrAcCost cost;
  auto out = encode(in.entries(), info ? &cost : nullptr);
  if (info) info->gap_bits = cost.gap_bits, info->value_bits = cost.value_bits;
  return out;
}

inline Expected<std::vector<uint8_t>> decodeEntries(EntriesDecoder decode, Codec codec, std::span<const uint8_t> stream,
                                                    const Codebook& cb) {
  const uint64_t n = cb.layout.count;
  DNNC_ASSIGN(auto e, decode(stream, n, uint32_t(cb.table.size() - 1)));
  if (e.count != n) return Error(Exit::Input, codecName(codec), " stream holds ", e.count, " elements, expected ", n);
  return desymbolizeSparse(cb.table, cb.layout.width, e);
}

}  // namespace dnnc::pack
