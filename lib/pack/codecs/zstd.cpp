// zstd: the tensor's bytes through zstd at level 3 (formats/zstd_blob.h).
#include "formats/byte_planes.h"
#include "formats/zstd_blob.h"
#include "lib/pack/codec_ops.h"
#include "lib/support/check.h"

namespace dnnc::pack {

namespace {

constexpr int kZstdLevel = 3;
constexpr size_t kPlanesAutoMaxBytes = size_t(1) << 20;
constexpr size_t kExactTrialBytes = size_t(1) << 16;
constexpr size_t kZstdSampleBytes = size_t(1) << 16;

std::vector<uint8_t> encode(std::span<const uint8_t> data, unsigned) {
  auto z = formats::zstdCompress(data, kZstdLevel);
  DNNC_CHECK(z.ok(), "zstd level ", kZstdLevel);
  return std::move(*z);
}

Expected<std::vector<uint8_t>> decode(std::span<const uint8_t> body, const Layout& layout) {
  DNNC_ASSIGN(std::vector<uint8_t> out, formats::zstdDecompress(body, layout.bytes()));
  if (out.size() != layout.bytes()) return Error(Exit::Input, "zstd tensor data of ", out.size(), " bytes, expected ", layout.bytes());
  return out;
}

// zstd is the slowest trial on large tensors, so above 64 KB a sample decides whether it runs in
// full: above 1 MB it must beat the byte planes on the first 256 KB; from 64 KB to 1 MB it must
// come within 25 % of the best size so far, pro rata, on the first 64 KB. What zstd wins on
// (repeated rows, constant blocks) shows in any sample; a tensor a codebook codec has already
// shrunk several times over (pruned and shared) fails the test at the cost of 64 KB of zstd.
bool worthTrying(const AutoSearch& a) {
  const auto data = a.data;
  if (data.size() > kPlanesAutoMaxBytes) {
    auto sample = data.first(std::min<size_t>(data.size(), size_t(1) << 18) / a.width * a.width);
    return encode(sample, a.width).size() < formats::bytePlanesEncode(sample, a.width).size();
  }
  if (data.size() > kExactTrialBytes && a.best != Codec::Raw) {
    auto sample = data.first(kZstdSampleBytes / a.width * a.width);
    const double pro_rata = double(a.best_size) * double(sample.size()) / double(data.size());
    return double(encode(sample, a.width).size()) < 1.25 * pro_rata;
  }
  return true;
}

}  // namespace

const CodecOps kZstdCodec = {.encode_bytes = encode, .decode_bytes = decode, .worth_trying = worthTrying};

}  // namespace dnnc::pack
