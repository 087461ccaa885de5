#include "lib/exec/memory_plan.h"

#include <algorithm>
#include <numeric>

namespace dnnc {

namespace {
size_t align64(size_t n) { return (n + 63) / 64 * 64; }
}  // namespace

MemoryLayout layoutBuffers(const std::vector<BufferLifetime>& buffers) {
  MemoryLayout layout;
  layout.offsets.assign(buffers.size(), 0);
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return buffers[a].bytes > buffers[b].bytes; });
  std::vector<size_t> placed;  // indices, kept sorted by offset
  std::vector<std::pair<size_t, size_t>> busy;
  for (size_t i : order) {
    const BufferLifetime& b = buffers[i];
    size_t size = align64(std::max<size_t>(b.bytes, 1));
    busy.clear();
    for (size_t j : placed) {
      const BufferLifetime& o = buffers[j];
      if (o.first <= b.last && b.first <= o.last) busy.push_back({layout.offsets[j], align64(std::max<size_t>(o.bytes, 1))});
    }
    std::sort(busy.begin(), busy.end());
    size_t offset = 0;
    for (auto [start, len] : busy) {
      if (start >= offset + size) break;  // fits in the gap before this one
      offset = std::max(offset, start + len);
    }
    layout.offsets[i] = offset;
    layout.total_bytes = std::max(layout.total_bytes, offset + size);
    placed.push_back(i);
  }
  return layout;
}

size_t peakLiveBytes(const std::vector<BufferLifetime>& buffers) {
  int steps = 0;
  for (const auto& b : buffers) steps = std::max(steps, b.last + 1);
  std::vector<size_t> live(static_cast<size_t>(steps) + 1, 0);
  for (const auto& b : buffers)
    for (int s = b.first; s <= b.last; ++s) live[s] += align64(std::max<size_t>(b.bytes, 1));
  return live.empty() ? 0 : *std::max_element(live.begin(), live.end());
}

}  // namespace dnnc
