// rlc: Eyeriss' run-length coding, (run, value) pairs packed three to a 64-bit word (formats/rlc.h).
#include <algorithm>

#include "formats/rlc.h"
#include "lib/pack/codec_ops.h"

namespace dnnc::pack {

namespace {

std::vector<uint8_t> encode(CodebookInput& in, EncodedTensor*) {
  return formats::rlcWordsToBytes(formats::rlcEncode(std::span<const uint16_t>(in.s.symbols)));
}

Expected<std::vector<uint8_t>> decode(std::span<const uint8_t> stream, const Codebook& cb) {
  const uint64_t n = cb.layout.count;
  DNNC_ASSIGN(auto words, formats::rlcBytesToWords(stream));
  // A 64-bit word covers at most 3 * 32 elements: bound the count before the decoder allocates it.
  if (n > uint64_t(words.size()) * 96) return Error(Exit::Input, "rlc stream of ", words.size(), " words cannot hold ", n, " elements");
  DNNC_ASSIGN(auto s, formats::rlcDecode(words, size_t(n)));
  return symbolsToBytes(Codec::Rlc, s, cb);
}

// A pair covers one nonzero, or at most kRlcMaxRun zeros and one more element.
uint64_t lowerBound(CodebookInput& in) {
  const uint64_t n = in.s.symbols.size(), nnz = in.s.nonzeros();
  const uint64_t pairs = std::max(nnz, (n + formats::kRlcMaxRun) / (formats::kRlcMaxRun + 1));
  return 8 * ((pairs + formats::kRlcPairsPerWord - 1) / formats::kRlcPairsPerWord);
}

uint64_t size(CodebookInput& in) { return (formats::rlcEncodedBits(std::span<const uint16_t>(in.s.symbols)) + 7) / 8; }

}  // namespace

const CodecOps kRlcCodec = {.encode_symbols = encode, .decode_symbols = decode, .lower_bound = lowerBound, .size = size};

}  // namespace dnnc::pack
