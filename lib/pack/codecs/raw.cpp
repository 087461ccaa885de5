// raw: the tensor's bytes as they are (the baseline every other codec must beat).
#include <algorithm>

#include "lib/pack/codec_ops.h"

namespace dnnc::pack {

namespace {

std::vector<uint8_t> encode(std::span<const uint8_t> data, unsigned) { return {data.begin(), data.end()}; }

Expected<std::vector<uint8_t>> decode(std::span<const uint8_t> body, const Layout& layout) {
  if (body.size() != layout.bytes()) return Error(Exit::Input, "raw tensor data of ", body.size(), " bytes, expected ", layout.bytes());
  return std::vector<uint8_t>(body.begin(), body.end());
}

// The whole body is the tail: written from the data as it is.
std::vector<uint8_t> encodeHead(std::span<const uint8_t>, unsigned) { return {}; }
uint64_t tailBytes(size_t data_bytes, unsigned) { return data_bytes; }
void writeTail(std::span<const uint8_t> data, unsigned, const std::function<void(std::span<const uint8_t>)>& out) {
  constexpr size_t kPiece = size_t{1} << 20;
  for (size_t at = 0; at < data.size(); at += kPiece) out(data.subspan(at, std::min(kPiece, data.size() - at)));
}

Status decodeInto(std::span<const uint8_t> body, const Layout& layout, std::span<uint8_t> out,
                  const std::function<void(std::span<const uint8_t>)>& consumed) {
  if (body.size() != layout.bytes() || out.size() != layout.bytes())
    return Error(Exit::Input, "raw tensor data of ", body.size(), " bytes, expected ", layout.bytes());
  std::copy(body.begin(), body.end(), out.begin());
  if (consumed) consumed(body);
  return {};
}

}  // namespace

const CodecOps kRawCodec = {.encode_bytes = encode,
                            .decode_bytes = decode,
                            .encode_head = encodeHead,
                            .tail_bytes = tailBytes,
                            .write_tail = writeTail,
                            .decode_bytes_into = decodeInto};

}  // namespace dnnc::pack
