// csr-plain: Deep Compression's own CSR, fixed-width gaps (the best width) and values (formats/csr.h).
#include <algorithm>
#include <bit>

#include "formats/csr.h"
#include "lib/pack/codec_ops.h"

namespace dnnc::pack {

namespace {

std::vector<uint8_t> encode(CodebookInput& in, EncodedTensor* info) {
  const auto& e = in.entries();
  unsigned b = formats::valueBitsFor(e.values);
  unsigned gb = formats::bestCsrPlainGapBits(e, b);
  if (info) {
    uint64_t entries = e.values.size() + formats::csrPlainFillers(e, gb);
    info->gap_bits = double(entries * gb), info->value_bits = double(entries * b);
  }
  return formats::csrPlainEncode(in.wide(), gb, b);
}

Expected<std::vector<uint8_t>> decode(std::span<const uint8_t> stream, const Codebook& cb) {
  DNNC_ASSIGN(auto s, formats::csrPlainDecode(stream, cb.layout.count));
  return symbolsToBytes(Codec::CsrPlain, s, cb);
}

// Every nonzero is one entry of at least 1 gap bit and the values' width.
uint64_t lowerBound(CodebookInput& in) {
  const auto& s = in.s;
  return (s.nonzeros() * (1 + std::max(1u, unsigned(std::bit_width(s.table.size() - 1)))) + 7) / 8;
}

uint64_t size(CodebookInput& in) {
  const auto& e = in.entries();
  unsigned b = formats::valueBitsFor(e.values);
  return formats::csrPlainEncodedBytes(e, formats::bestCsrPlainGapBits(e, b), b);
}

}  // namespace

const CodecOps kCsrPlainCodec = {
    .encode_symbols = encode, .decode_symbols = decode, .lower_bound = lowerBound, .size = size, .sparse_only = true};

}  // namespace dnnc::pack
