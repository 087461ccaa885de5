// csr: the nonzero symbols as (gap, value) entries, gaps and values Huffman-coded (formats/csr.h).
#include "formats/csr.h"
#include "lib/pack/codec_ops.h"

namespace dnnc::pack {

namespace {

std::vector<uint8_t> encode(CodebookInput& in, EncodedTensor* info) {
  formats::CsrHuffmanPlan plan;
  auto out = formats::csrHuffmanEncode(in.entries(), &plan);
  if (info) info->gap_bits = double(plan.gap_bits), info->value_bits = double(plan.value_bits_total);
  return out;
}

Expected<std::vector<uint8_t>> decode(std::span<const uint8_t> stream, const Codebook& cb) {
  DNNC_ASSIGN(auto s, formats::csrHuffmanDecode(stream, cb.layout.count));
  return symbolsToBytes(Codec::Csr, s, cb);
}

// Each gap and each value gets a prefix code, which cannot beat the entries' empirical entropy (a
// histogram over the nonzeros, where planning the Huffman codes costs several times that). Without
// size(): the plan costs about as much as the encoding, so the trial encodes and keeps the body.
uint64_t lowerBound(CodebookInput& in) { return uint64_t(in.entropyBits() * (1 - 1e-9) / 8); }

}  // namespace

const CodecOps kCsrCodec = {.encode_symbols = encode, .decode_symbols = decode, .lower_bound = lowerBound, .sparse_only = true};

}  // namespace dnnc::pack
