// planes: the tensor's bytes split into byte planes, the top two range-coded (formats/byte_planes.h).
#include "formats/byte_planes.h"
#include "lib/pack/codec_ops.h"

namespace dnnc::pack {

namespace {

std::vector<uint8_t> encode(std::span<const uint8_t> data, unsigned width) { return formats::bytePlanesEncode(data, width); }

Expected<std::vector<uint8_t>> decode(std::span<const uint8_t> body, const Layout& layout) {
  return formats::bytePlanesDecode(body, layout.width, layout.count);
}

std::vector<uint8_t> encodeHead(std::span<const uint8_t> data, unsigned width) {
  return formats::bytePlanesCodedPart(data, width);
}

Status decodeInto(std::span<const uint8_t> body, const Layout& layout, std::span<uint8_t> out,
                  const std::function<void(std::span<const uint8_t>)>& consumed) {
  return formats::bytePlanesDecodeInto(body, layout.width, out, consumed);
}

// For tensors no other codec already halves (biases, dense layers): elsewhere planes cannot win.
bool worthTrying(const AutoSearch& a) { return 2 * a.best_size > a.data.size(); }

}  // namespace

const CodecOps kPlanesCodec = {.encode_bytes = encode,
                               .decode_bytes = decode,
                               .encode_head = encodeHead,
                               .tail_bytes = formats::bytePlanesRawBytes,
                               .write_tail = formats::bytePlanesRawPlanes,
                               .decode_bytes_into = decodeInto,
                               .worth_trying = worthTrying};

}  // namespace dnnc::pack
