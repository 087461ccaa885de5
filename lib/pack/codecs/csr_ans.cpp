// csr-ans: the (gap, value) entries with static rANS tables per context (formats/csr_ans.h): the
// fast sparse codec, tried first by auto.
#include "formats/csr_ans.h"
#include "lib/pack/codec_ops.h"
#include "lib/pack/symbolize.h"

namespace dnnc::pack {

namespace {

std::vector<uint8_t> encode(CodebookInput& in, EncodedTensor* info) {
  formats::CsrAcCost cost;
  auto out = formats::csrAnsEncode(in.entries(), info ? &cost : nullptr);
  if (info) info->gap_bits = cost.gap_bits, info->value_bits = cost.value_bits;
  return out;
}

// Straight from the entries to the element bytes (the decoder checked positions and values).
Expected<std::vector<uint8_t>> decode(std::span<const uint8_t> stream, const Codebook& cb) {
  const uint64_t n = cb.layout.count;
  DNNC_ASSIGN(auto e, formats::csrAnsDecodeEntries(stream, n, uint32_t(cb.table.size() - 1)));
  if (e.count != n) return Error(Exit::Input, "csr-ans stream holds ", e.count, " elements, expected ", n);
  return desymbolizeSparse(cb.table, cb.layout.width, e);
}

}  // namespace

const CodecOps kCsrAnsCodec = {.encode_symbols = encode, .decode_symbols = decode, .sparse_only = true};

}  // namespace dnnc::pack
