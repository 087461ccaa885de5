// The zstd raw-content dictionary of the .dnnc model section (format version 1: changing a byte of
// it is a new container version). Small models' protobufs are mostly names; a dictionary of ONNX op
// and attribute names, exporter naming patterns and the suffixes dnnc's own passes add lets zstd
// code their first occurrences as matches instead of literals (LeNet-300-100: about 70 bytes).
#pragma once
#include <cstdint>
#include <span>

namespace dnnc::pack {

std::span<const uint8_t> modelDictionary();

}  // namespace dnnc::pack
