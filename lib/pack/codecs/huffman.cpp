// huffman: every symbol Huffman-coded, zeros included (formats/huffman.h).
#include "formats/huffman.h"
#include "lib/pack/codec_ops.h"

namespace dnnc::pack {

namespace {

std::vector<uint8_t> encode(CodebookInput& in, EncodedTensor*) { return formats::huffmanEncode<uint16_t>(in.s.symbols); }

Expected<std::vector<uint8_t>> decode(std::span<const uint8_t> stream, const Codebook& cb) {
  DNNC_ASSIGN(auto s, formats::huffmanDecode<uint16_t>(stream));
  return symbolsToBytes(Codec::Huffman, s, cb);
}

// Every element costs a code of at least 1 bit.
uint64_t lowerBound(CodebookInput& in) { return (in.s.symbols.size() + 7) / 8; }
uint64_t size(CodebookInput& in) { return formats::huffmanEncodedBytes<uint16_t>(in.s.symbols); }

}  // namespace

const CodecOps kHuffmanCodec = {.encode_symbols = encode, .decode_symbols = decode, .lower_bound = lowerBound, .size = size};

}  // namespace dnnc::pack
