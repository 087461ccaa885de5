// Model <-> .dnnc container. pack takes every tensor of at least min_tensor_bytes out of the
// ModelProto (into the field-exact element arrays of tensor_data.h), codes each with one codec
// (tensor_codec.h), and stores the remaining protobuf zstd-compressed; unpack reverses it exactly:
// unpack(pack(m)) equals m as a protobuf message. Sections and layouts: docs/formats/dnnc.md.
#pragma once
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "formats/container.h"
#include "lib/pack/tensor_codec.h"
#include "lib/support/error.h"

namespace dnnc::pack {

// Section kinds.
inline constexpr uint8_t kModelSection = 1;   // zstd(ModelProto without the extracted tensors' data)
inline constexpr uint8_t kTensorSection = 2;  // one tensor's data
// Unpack refuses to produce more tensor data than this in total (a protobuf cannot hold more).
inline constexpr uint64_t kMaxUnpackedBytes = uint64_t(1) << 31;
// Beyond kMaxUnpackedBytes a container may expand to this many times its own size: a model past 2 GiB
// (stored with external data) unpacks, a small file that declares gigabytes does not.
inline constexpr uint64_t kMaxExpansion = 256;
uint64_t maxUnpackedBytes(uint64_t container_bytes);

struct PackOptions {
  CodecRequest codec;
  uint64_t min_tensor_bytes = 64;  // smaller tensors stay in the protobuf
  // Resolves tensors stored as external data, which are read in one at a time and packed like the rest.
  std::string base_dir = ".";
};

struct Packed {
  // The container's sections, kept apart: writePacked streams them to a file, so the container is never
  // a second copy of them in memory.
  std::vector<formats::Section> sections;
  uint64_t size = 0;  // bytes of the container
  // The whole container in memory (tests, small models).
  std::vector<uint8_t> bytes() const { return formats::writeContainer(sections); }
  // Per tensor and in total: dense/packed bytes, codec, bits per nonzero, index share, entropy
  // bound and the Deep Compression count (see bounds.h).
  nlohmann::json report;
};

Expected<Packed> packModel(const onnx::ModelProto& model, const PackOptions& options = {});
// The same, taking the model apart instead of copying it (its tensors' data are moved out; what is
// left of it is unspecified): for callers that are done with the model.
Expected<Packed> packModel(onnx::ModelProto&& model, const PackOptions& options = {});
// Packs straight into the file at path ("-": stdout), atomically, taking the model apart as packModel&&
// does: each tensor's data is freed once coded and its section spooled to an unnamed temporary file
// beside the output (the header, written first, needs every section's size and CRC), so memory holds
// what is left of the model and one tensor's coding, never the sections. Returns the report.
Expected<nlohmann::json> packModelToFile(onnx::ModelProto&& model, const PackOptions& options, const std::string& path);
Expected<onnx::ModelProto> unpackModel(std::span<const uint8_t> bytes);
// The same, checking each section's CRC just before it is used and then telling done_with the section's
// bytes (a mapped file drops them: lib/support/mapped_file.h), so a container is read once, a section at
// a time, never whole beside the model it becomes.
Expected<onnx::ModelProto> unpackModel(std::span<const uint8_t> bytes, const std::function<void(std::span<const uint8_t>)>& done_with);
// Writes the container to path atomically (temp file and rename; "-" is stdout), section by section.
Status writePacked(const Packed& packed, const std::string& path);

}  // namespace dnnc::pack
