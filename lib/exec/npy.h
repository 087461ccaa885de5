// NumPy .npy and .npz files. Reading checks everything dnnc relies on (C order, little-endian, numeric
// dtypes, length) and says what is wrong; arrays can be read whole or in row blocks along axis 0.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "lib/ir/tensor.h"
#include "lib/support/error.h"

namespace dnnc {

// Where an array's raw little-endian C-order data sits in a file.
struct NpyHeader {
  DType dtype = DType::Undefined;
  std::vector<int64_t> dims;
  uint64_t data_offset = 0;  // from the start of the .npy bytes
};

// Parses an .npy header from the first bytes of the array (at least the whole header). `what` names
// the file in messages.
Expected<NpyHeader> parseNpyHeader(const std::string& bytes, const std::string& what);

// The .npy header for a tensor (v1, or v2 when the header needs it).
std::string npyHeader(DType dtype, const std::vector<int64_t>& dims);

Expected<Tensor> readNpy(const std::string& path);
Status writeNpy(const std::string& path, const Tensor& tensor);

// One member of a zip archive as np.savez writes it.
struct ZipEntry {
  std::string name;            // e.g. "x.npy"
  uint16_t method = 0;         // 0 stored, 8 deflate
  uint64_t data_offset = 0;    // of the member's (compressed) bytes in the archive
  uint64_t compressed_size = 0, size = 0;
  uint32_t crc = 0;
};
Expected<std::vector<ZipEntry>> listZip(const std::string& path);

// Arrays of an .npz in archive order, keyed by name without ".npy".
Expected<std::vector<std::pair<std::string, Tensor>>> readNpz(const std::string& path);
// An uncompressed .npz (what np.savez writes), as bytes (for an atomic write) or straight to a file.
Expected<std::string> npzBytes(const std::vector<std::pair<std::string, Tensor>>& arrays);
Status writeNpz(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& arrays);

}  // namespace dnnc
