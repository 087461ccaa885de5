#include "formats/zstd_blob.h"

#include <zstd.h>

#include <algorithm>

namespace dnnc::formats {

namespace {

// One compression and one decompression context per thread, reset before each use: creating them
// allocates and faults in megabytes of tables (level 19), which cost more than compressing a
// small model section.
struct Contexts {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ~Contexts() {
    ZSTD_freeCCtx(c);
    ZSTD_freeDCtx(d);
  }
};
Contexts& contexts() {
  thread_local Contexts ctx;
  return ctx;
}

}  // namespace

ZstdLevelRange zstdLevelRange() { return {ZSTD_minCLevel(), ZSTD_maxCLevel()}; }

Expected<std::vector<uint8_t>> zstdCompress(std::span<const uint8_t> data, int level, std::span<const uint8_t> prefix) {
  ZstdLevelRange range = zstdLevelRange();
  if (level < range.min || level > range.max || level == 0) {
    return Error(Exit::Usage, "zstd level ", level, " outside ", range.min, "..-1, 1..", range.max);
  }
  std::vector<uint8_t> out(ZSTD_compressBound(data.size()));
  ZSTD_CCtx* cctx = contexts().c;
  if (cctx == nullptr) return Error(Exit::Internal, "zstd: cannot create a compression context");
  size_t r = ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
  if (!ZSTD_isError(r)) r = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
  if (!ZSTD_isError(r)) r = ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
  if (!ZSTD_isError(r)) r = ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  if (!ZSTD_isError(r) && !prefix.empty()) r = ZSTD_CCtx_refPrefix(cctx, prefix.data(), prefix.size());
  if (!ZSTD_isError(r)) r = ZSTD_compress2(cctx, out.data(), out.size(), data.data(), data.size());
  if (ZSTD_isError(r)) return Error(Exit::Internal, "zstd compression failed: ", ZSTD_getErrorName(r));
  out.resize(r);
  return out;
}

Expected<std::vector<uint8_t>> zstdDecompress(std::span<const uint8_t> frame, uint64_t max_size,
                                              std::span<const uint8_t> prefix) {
  size_t frame_size = ZSTD_findFrameCompressedSize(frame.data(), frame.size());
  if (ZSTD_isError(frame_size)) {
    return Error(Exit::Input, "corrupt zstd frame: ", ZSTD_getErrorName(frame_size));
  }
  if (frame_size != frame.size()) {
    return Error(Exit::Input, "corrupt zstd blob: ", frame.size() - frame_size, " bytes after the frame");
  }
  unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR) return Error(Exit::Input, "corrupt zstd frame header");
  if (size == ZSTD_CONTENTSIZE_UNKNOWN) return Error(Exit::Input, "corrupt zstd blob: frame has no content size");
  if (size > max_size) {
    return Error(Exit::Input, "corrupt zstd blob: ", size, " bytes, more than the expected ", max_size);
  }
  // The header's size is only a claim: a forged frame can declare terabytes and hold nothing. Decode
  // by streaming into a buffer that grows with the output actually produced, so memory follows the
  // data (at most max_size), never the claim.
  ZSTD_DCtx* dctx = contexts().d;
  if (dctx == nullptr) return Error(Exit::Internal, "zstd: cannot create a decompression context");
  size_t pr = ZSTD_DCtx_reset(dctx, ZSTD_reset_session_and_parameters);
  if (!ZSTD_isError(pr) && !prefix.empty()) pr = ZSTD_DCtx_refPrefix(dctx, prefix.data(), prefix.size());
  if (ZSTD_isError(pr)) return Error(Exit::Internal, "zstd: cannot use the dictionary: ", ZSTD_getErrorName(pr));
  std::vector<uint8_t> out(std::min<uint64_t>(size, std::max<uint64_t>(uint64_t(1) << 16, 4 * frame.size())));
  ZSTD_inBuffer in{frame.data(), frame.size(), 0};
  ZSTD_outBuffer ob{out.data(), out.size(), 0};
  size_t r = 0;
  bool overflow = false;
  for (;;) {
    r = ZSTD_decompressStream(dctx, &ob, &in);
    if (ZSTD_isError(r) || r == 0) break;           // error, or the frame is complete
    if (ob.pos < ob.size) {                          // output room left: zstd wants input we lack
      if (in.pos == in.size) break;
      continue;
    }
    if (out.size() >= size) {                        // full, yet the frame goes on: more than claimed
      overflow = true;
      break;
    }
    out.resize(std::min<uint64_t>(size, 2 * out.size()));
    ob.dst = out.data();
    ob.size = out.size();
  }
  if (ZSTD_isError(r)) return Error(Exit::Input, "corrupt zstd blob: ", ZSTD_getErrorName(r));
  if (overflow) return Error(Exit::Input, "corrupt zstd blob: more data than the ", size, " bytes its header says");
  if (r != 0) return Error(Exit::Input, "truncated zstd blob");
  if (ob.pos != size) return Error(Exit::Input, "corrupt zstd blob: ", ob.pos, " bytes, header says ", size);
  out.resize(ob.pos);
  return out;
}

}  // namespace dnnc::formats
