// Concat: joins inputs along `axis`; all other dims must agree. Any element type.
#include <algorithm>
#include <cstring>
#include <vector>

#include "lib/exec/ops/common.h"
#include "lib/exec/thread_pool.h"

namespace dnnc {
namespace {

// Below this many bytes per thread a concat copies on one thread.
constexpr size_t kMinBytesPerThread = size_t{1} << 19;

struct Piece {
  std::byte* dst;
  const std::byte* src;
  size_t bytes;
};

// For every outer index o: each block's `bytes` from src + o * bytes to dst + o * row. On the pool
// threads when there is enough to copy (SqueezeNet's concats move 95 MB at batch 32): whole outer
// ranges when there are several per thread, else every copy cut into pieces (batch 1: one outer index).
void copyBlocks(KernelContext& ctx, const std::vector<Piece>& blocks, int64_t outer, size_t row) {
  const size_t total = row * static_cast<size_t>(outer);
  const int threads = static_cast<int>(std::min<size_t>(ctx.threads(), std::max<size_t>(1, total / kMinBytesPerThread)));
  auto copyOuter = [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o)
      for (const Piece& b : blocks) std::memcpy(b.dst + o * row, b.src + o * b.bytes, b.bytes);
  };
  if (threads <= 1) return copyOuter(0, outer);
  if (outer >= 4 * threads) {
    const int64_t tasks = 4 * threads;
    parallelTasks(threads, tasks, [&](int64_t t, int) { copyOuter(outer * t / tasks, outer * (t + 1) / tasks); });
    return;
  }
  const size_t cut = std::max<size_t>(total / (4 * threads), 64 * 1024);
  std::vector<Piece> pieces;
  for (int64_t o = 0; o < outer; ++o)
    for (const Piece& b : blocks)
      for (size_t at = 0; at < b.bytes; at += cut)
        pieces.push_back({b.dst + o * row + at, b.src + o * b.bytes + at, std::min(cut, b.bytes - at)});
  parallelTasks(threads, static_cast<int64_t>(pieces.size()),
                [&](int64_t t, int) { std::memcpy(pieces[t].dst, pieces[t].src, pieces[t].bytes); });
}

struct ConcatKernel {
  int64_t axis = 0;
  Status run(KernelContext& ctx) {
    const Value& first = ctx.input(0);
    DNNC_ASSIGN(int ax, ops::normalizeAxis(axis, first.rank(), ctx));
    std::vector<int64_t> dims = first.dims;
    dims[ax] = 0;
    for (int i = 0; i < ctx.numInputs(); ++i) {
      if (!ctx.hasInput(i)) continue;
      const Value& v = ctx.input(i);
      bool ok = v.dtype == first.dtype && v.rank() == first.rank();
      for (int d = 0; ok && d < v.rank(); ++d) ok = d == ax || v.dims[d] == first.dims[d];
      if (!ok) return ctx.error("input ", i, " is ", describe(v.dtype, v.dims), ", input 0 ", describe(first.dtype, first.dims));
      dims[ax] += v.dims[ax];
    }
    Value& y = ctx.output(0, first.dtype, dims);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < ax; ++d) outer *= dims[d];
    for (int d = ax + 1; d < first.rank(); ++d) inner *= dims[d];
    const size_t es = dtypeSize(first.dtype);
    const size_t row = static_cast<size_t>(dims[ax] * inner) * es;
    // Each input's block per outer index, at its place in the output row.
    std::vector<Piece> blocks;
    size_t col = 0;
    for (int i = 0; i < ctx.numInputs(); ++i) {
      if (!ctx.hasInput(i)) continue;
      const Value& v = ctx.input(i);
      const size_t chunk = static_cast<size_t>(v.dims[ax] * inner) * es;
      if (chunk) blocks.push_back({static_cast<std::byte*>(y.data) + col, static_cast<const std::byte*>(v.data), chunk});
      col += chunk;
    }
    copyBlocks(ctx, blocks, outer, row);
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeConcat(const NodeInfo& info) {
  if (!info.hasAttr("axis") && info.opset() >= 4) return info.error("missing the axis attribute");
  return makeKernel(ConcatKernel{info.attrInt("axis", 1)});
}

}  // namespace dnnc
