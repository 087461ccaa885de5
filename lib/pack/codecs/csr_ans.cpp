// csr-ans: the (gap, value) entries with static rANS tables per context (formats/csr_ans.h): the
// fast sparse codec, tried first by auto.
#include "formats/csr_ans.h"
#include "lib/pack/codecs/entropy_coded_entries.h"

namespace dnnc::pack {

namespace {

std::vector<uint8_t> encode(CodebookInput& in, EncodedTensor* info) { return encodeEntries(formats::csrAnsEncode, in, info); }

Expected<std::vector<uint8_t>> decode(std::span<const uint8_t> stream, const Codebook& cb) {
  return decodeEntries(formats::csrAnsDecodeEntries, Codec::CsrAns, stream, cb);
}

}  // namespace

const CodecOps kCsrAnsCodec = {.encode_symbols = encode, .decode_symbols = decode, .sparse_only = true};

}  // namespace dnnc::pack
