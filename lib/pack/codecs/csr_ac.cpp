// csr-ac: the (gap, value) entries with an adaptive range coder (formats/csr_arith.h).
#include "formats/csr_arith.h"
#include "lib/pack/codecs/entropy_coded_entries.h"

namespace dnnc::pack {

namespace {

constexpr size_t kExactTrialBytes = size_t(1) << 16;

std::vector<uint8_t> encode(CodebookInput& in, EncodedTensor* info) { return encodeEntries(formats::csrAcEncode, in, info); }

Expected<std::vector<uint8_t>> decode(std::span<const uint8_t> stream, const Codebook& cb) {
  return decodeEntries(formats::csrAcDecodeEntries, Codec::CsrAc, stream, cb);
}

// csr-ac encodes and decodes 4-5x slower than csr-ans and on large tensors lands within about 0.1 %
// of it (its models' learning costs what csr-ans's tables do). Above 64 KB, where that time shows,
// it is tried only when csr-ans is more than 0.5 % above the entries' zero-order entropy: that is
// where adaptive models can win by more (statistics that drift along the tensor, which one static
// table per context averages away).
bool worthTrying(const AutoSearch& a) {
  if (a.data.size() <= kExactTrialBytes) return true;
  const auto& ans = a.measured[uint8_t(Codec::CsrAns)];
  return !ans || double(*ans - a.table_bytes) * 8 > 1.005 * a.codebook->entropyBits();
}

}  // namespace

const CodecOps kCsrAcCodec = {.encode_symbols = encode, .decode_symbols = decode, .sparse_only = true, .worth_trying = worthTrying};

}  // namespace dnnc::pack
