// csr-ac: the (gap, value) entries with an adaptive range coder (formats/csr_arith.h).
#include "formats/csr_arith.h"
#include "lib/pack/codec_ops.h"
#include "lib/pack/symbolize.h"

namespace dnnc::pack {

namespace {

constexpr size_t kExactTrialBytes = size_t(1) << 16;

std::vector<uint8_t> encode(CodebookInput& in, EncodedTensor* info) {
  formats::CsrAcCost cost;
  auto out = formats::csrAcEncode(in.entries(), info ? &cost : nullptr);
  if (info) info->gap_bits = cost.gap_bits, info->value_bits = cost.value_bits;
  return out;
}

// Straight from the entries to the element bytes (the decoder checked positions and values).
Expected<std::vector<uint8_t>> decode(std::span<const uint8_t> stream, const Codebook& cb) {
  const uint64_t n = cb.layout.count;
  DNNC_ASSIGN(auto e, formats::csrAcDecodeEntries(stream, n, uint32_t(cb.table.size() - 1)));
  if (e.count != n) return Error(Exit::Input, "csr-ac stream holds ", e.count, " elements, expected ", n);
  return desymbolizeSparse(cb.table, cb.layout.width, e);
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
