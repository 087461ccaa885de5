// Arena layout for the executor's buffers: every buffer gets an offset such that two buffers whose
// lifetimes (in steps, inclusive) overlap never share bytes. Greedy by size, largest first, each at the
// lowest offset that fits (the TFLite "greedy by size" strategy): close to the peak of live bytes.
#pragma once
#include <cstddef>
#include <vector>

namespace dnnc {

struct BufferLifetime {
  size_t bytes = 0;
  int first = 0;  // step that writes it
  int last = 0;   // last step that reads it
};

struct MemoryLayout {
  std::vector<size_t> offsets;  // per buffer, 64-byte aligned
  size_t total_bytes = 0;
};

MemoryLayout layoutBuffers(const std::vector<BufferLifetime>& buffers);

// The largest sum of bytes live at one step: the lower bound any layout can reach.
size_t peakLiveBytes(const std::vector<BufferLifetime>& buffers);

}  // namespace dnnc
