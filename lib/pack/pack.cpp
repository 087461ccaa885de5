#include "lib/pack/pack.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>

#include "formats/container.h"
#include "formats/crc32.h"
#include "formats/varint.h"
#include "formats/zstd_blob.h"
#include "lib/ir/external_data.h"
#include "lib/support/atomic_file.h"
#include "lib/support/spool_file.h"
#include "lib/ir/onnx_io.h"
#include "lib/ir/tensor.h"
#include "lib/pack/bounds.h"
#include "lib/pack/model_dictionary.h"
#include "lib/pack/tensor_walk.h"

namespace dnnc::pack {

namespace fm = dnnc::formats;

namespace {

// Level 16, not 19, for the graphs of ordinary models: the same size within a few bytes on the
// bundled and zoo models (btultra2's second pass finds nothing in a few KB of protobuf) at 60-80 %
// of the time, which was a third of packing a small model.
int zstdLevelFor(size_t bytes) { return bytes <= (size_t(1) << 20) ? 16 : 9; }

// A tensor section as pack makes it: the payload is head (varint ordinal, u8 field, u8 codec) then the
// codec body, kept apart so that the body is never copied to join them; the body's tail (raw planes, a
// raw tensor) is written from the tensor's data piece by piece, never held (`tail`, valid until the
// section has gone to the sink).
struct TensorSection {
  std::vector<uint8_t> head;
  std::vector<uint8_t> body;
  uint64_t tail_bytes = 0;
  std::function<void(const std::function<void(std::span<const uint8_t>)>&)> tail = {};
  // Every piece of the payload, in order.
  void forEachPiece(const std::function<void(std::span<const uint8_t>)>& f) const {
    f(head);
    f(body);
    if (tail_bytes > 0) tail(f);
  }
  fm::SectionEntry entry() const {
    uint32_t crc = 0;
    forEachPiece([&](std::span<const uint8_t> p) { crc = fm::crc32(p, crc); });
    return {"", kTensorSection, head.size() + body.size() + tail_bytes, crc};
  }
};
// Where the tensor sections go as they are made (memory, or a spool file).
using SectionSink = std::function<Status(TensorSection&&)>;

std::vector<uint8_t> tensorHead(uint64_t ordinal, Field field, Codec codec) {
  std::vector<uint8_t> p;
  fm::appendVarint(p, ordinal);
  p.push_back(uint8_t(field));
  p.push_back(uint8_t(codec));
  return p;
}

nlohmann::json dimsOf(const onnx::TensorProto& t) {
  nlohmann::json d = nlohmann::json::array();
  for (auto v : t.dims()) d.push_back(v);
  return d;
}

// The report entry of one coded tensor.
nlohmann::json tensorReport(const onnx::TensorProto& t, const Layout& layout, const EncodedTensor& e, uint64_t section_bytes) {
  nlohmann::json r = {{"name", t.name()},      {"dims", dimsOf(t)},           {"data_type", t.data_type()},
                      {"field", fieldName(layout.field)}, {"codec", codecName(e.codec)}, {"dense_bytes", layout.bytes()},
                      {"packed_bytes", section_bytes}};
  if (e.fallback) r["fallback"] = "too many distinct values for a codebook codec";
  // Yardsticks: a non-codebook tensor is counted at its dense size by both.
  double entropy_bytes = double(layout.bytes());
  double dc_bytes = double(layout.bytes());
  if (e.symbols) {
    const Symbolized& s = *e.symbols;
    unsigned dc_gap = t.dims_size() >= 3 ? 8 : 5;  // Han: 8-bit conv, 5-bit fc indices
    SparseBounds b = e.entries ? sparseBounds(*e.entries, dc_gap) : sparseBounds(s.symbols, dc_gap);
    double table_bits = double(s.table.size()) * s.width * 8;
    double dc_table_bits = double(s.table.size() - (s.zero_present ? 1 : 0)) * s.width * 8;
    // A tensor whose values are nearly all distinct (a bias) is better counted dense by both.
    entropy_bytes = std::min(entropy_bytes, (b.entropy_bits + table_bits) / 8);
    dc_bytes = std::min(dc_bytes, (double(b.dc_bits) + dc_table_bits) / 8);
    r["codebook_size"] = s.table.size();
    r["nonzeros"] = b.nonzeros;
    r["bits_per_nonzero"] = b.nonzeros ? double(section_bytes) * 8 / double(b.nonzeros) : 0.0;
    r["entropy_bits_per_nonzero"] = b.nonzeros ? b.entropy_bits / double(b.nonzeros) : 0.0;
    r["dc_gap_bits"] = dc_gap;
    if (e.gap_bits + e.value_bits > 0) r["index_share"] = e.gap_bits / (e.gap_bits + e.value_bits);
  }
  r["entropy_bound_bytes"] = entropy_bytes;
  r["dc_count_bytes"] = dc_bytes;
  return r;
}

}  // namespace

Expected<Packed> packModel(const onnx::ModelProto& model, const PackOptions& options) {
  onnx::ModelProto copy = model;
  return packModel(std::move(copy), options);
}

uint64_t maxUnpackedBytes(uint64_t container_bytes) {
  return std::max(kMaxUnpackedBytes, container_bytes * kMaxExpansion);
}

namespace {

// What packing makes before the container is put together: the model section (always the first), the
// tensor sections' directory entries (their payloads went to the sink) and the report without the
// container's totals.
struct PackedParts {
  fm::Section model;
  std::vector<fm::SectionEntry> tensors;
  nlohmann::json report;
};

// Takes the model apart: each extracted tensor's data is coded, freed, and its section handed to sink,
// so the model shrinks as the sections are made.
Expected<PackedParts> packParts(onnx::ModelProto& model, const PackOptions& options, const SectionSink& sink) {
  std::vector<onnx::TensorProto*> tensors = allTensors(model);
  // = the deterministic serialisation's size, with external data counted as the bytes it holds
  uint64_t onnx_bytes = model.ByteSizeLong();
  for (const onnx::TensorProto* t : tensors)
    if (isExternal(*t)) {
      DNNC_ASSIGN(ExternalDataRef ref, parseExternalData(*t));
      DNNC_ASSIGN(std::string path, resolveExternalPath(options.base_dir, ref.location));
      onnx_bytes += ref.length >= 0 ? uint64_t(ref.length) : uint64_t(std::filesystem::file_size(path)) - uint64_t(ref.offset);
    }
  PackedParts parts;
  nlohmann::json entries = nlohmann::json::array();
  double entropy_total = 0, dc_total = 0;
  uint64_t dense_total = 0;
  const uint64_t no_sections_overhead = fm::containerOverheadBytes(std::span<const fm::SectionEntry>());
  for (size_t k = 0; k < tensors.size(); ++k) {
    onnx::TensorProto& t = *tensors[k];
    if (isExternal(t)) {
      DNNC_ASSIGN(Tensor values, readTensor(t, options.base_dir));
      writeTensor(values, t);
      t.clear_external_data();
      t.clear_data_location();
    }
    auto layout = extractableLayout(t);
    if (!layout || layout->bytes() < options.min_tensor_bytes) continue;
    const std::span<const uint8_t> data = dataBytes(t, *layout);
    EncodedTensor e = encodeTensor(data, layout->width, options.codec);
    // Unnamed: the tensor's name is in the model section already (the ordinal links them).
    TensorSection s{tensorHead(k, layout->field, e.codec), std::move(e.body), e.tail_bytes,
                    [&](const std::function<void(std::span<const uint8_t>)>& out) { writeTail(e, data, layout->width, out); }};
    const fm::SectionEntry entry = s.entry();
    // Bytes this tensor costs in the file: its payload and its directory entry.
    const uint64_t cost = fm::containerOverheadBytes(std::span<const fm::SectionEntry>(&entry, 1)) - no_sections_overhead + entry.size;
    nlohmann::json r = tensorReport(t, *layout, e, cost);
    entropy_total += r["entropy_bound_bytes"].get<double>();
    dc_total += r["dc_count_bytes"].get<double>();
    dense_total += layout->bytes();
    entries.push_back(std::move(r));
    DNNC_TRY(sink(std::move(s)));
    releaseData(t, *layout);  // after the sink: the section's tail was written from it
    parts.tensors.push_back(entry);
  }
  std::string proto = serializeModel(model);
  auto z = fm::zstdCompress(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(proto.data()), proto.size()),
                            zstdLevelFor(proto.size()), modelDictionary());
  if (!z) return std::move(z).error();
  parts.model = fm::Section{"model", kModelSection, std::move(*z)};
  parts.report = {{"tensors", entries},
                  {"model_section_bytes", parts.model.data.size()},
                  {"model_protobuf_bytes", proto.size()},
                  {"onnx_bytes", onnx_bytes},
                  {"tensor_dense_bytes", dense_total},
                  {"entropy_bound_bytes", entropy_total},
                  {"dc_count_bytes", dc_total}};
  return parts;
}

// The directory of the whole container: the model section, then the tensor sections.
std::vector<fm::SectionEntry> directoryOf(const PackedParts& parts) {
  std::vector<fm::SectionEntry> entries;
  entries.reserve(parts.tensors.size() + 1);
  entries.push_back(fm::entryOf(parts.model));
  entries.insert(entries.end(), parts.tensors.begin(), parts.tensors.end());
  return entries;
}

void addContainerTotals(nlohmann::json& report, uint64_t container_bytes) {
  const uint64_t onnx_bytes = report["onnx_bytes"].get<uint64_t>();
  report["container_bytes"] = container_bytes;
  report["ratio"] = container_bytes == 0 ? 0.0 : double(onnx_bytes) / double(container_bytes);
}

}  // namespace

Expected<Packed> packModel(onnx::ModelProto&& model, const PackOptions& options) {
  std::vector<fm::Section> tensor_sections;
  auto keep = [&](TensorSection&& s) -> Status {
    fm::Section section{"", kTensorSection, {}};
    section.data.reserve(s.head.size() + s.body.size() + s.tail_bytes);
    s.forEachPiece([&](std::span<const uint8_t> p) { section.data.insert(section.data.end(), p.begin(), p.end()); });
    tensor_sections.push_back(std::move(section));
    return {};
  };
  DNNC_ASSIGN(PackedParts parts, packParts(model, options, keep));
  Packed out;
  out.size = fm::containerBytes(directoryOf(parts));
  addContainerTotals(parts.report, out.size);
  out.report = std::move(parts.report);
  out.sections.reserve(tensor_sections.size() + 1);
  out.sections.push_back(std::move(parts.model));
  for (auto& section : tensor_sections) out.sections.push_back(std::move(section));
  return out;
}

Expected<nlohmann::json> packModelToFile(onnx::ModelProto&& model, const PackOptions& options, const std::string& path) {
  nlohmann::json report;
  DNNC_TRY(writeFileAtomic(path, [&](int fd) -> Status {
    // The spool beside the output: the same file system, and not a tmpfs's memory.
    std::string dir = path == "-" ? std::filesystem::temp_directory_path().string() : std::filesystem::path(path).parent_path().string();
    DNNC_ASSIGN(std::unique_ptr<SpoolFile> spool, SpoolFile::create(dir.empty() ? "." : dir));
    auto toSpool = [&](TensorSection&& s) -> Status {
      Status written;
      s.forEachPiece([&](std::span<const uint8_t> p) {
        if (written) written = spool->append(std::string_view(reinterpret_cast<const char*>(p.data()), p.size()));
      });
      return written;
    };
    DNNC_ASSIGN(PackedParts parts, packParts(model, options, toSpool));
    const std::vector<uint8_t> header = fm::containerHeader(directoryOf(parts));
    DNNC_TRY(writeAll(fd, std::string_view(reinterpret_cast<const char*>(header.data()), header.size()), path));
    DNNC_TRY(writeAll(fd, std::string_view(reinterpret_cast<const char*>(parts.model.data.data()), parts.model.data.size()), path));
    DNNC_TRY(spool->copyTo(fd, path));
    addContainerTotals(parts.report, header.size() + parts.model.data.size() + spool->size());
    report = std::move(parts.report);
    return {};
  }));
  return report;
}

Status writePacked(const Packed& packed, const std::string& path) {
  return writeFileAtomic(path, [&](int fd) {
    return fm::writeContainerTo(packed.sections, [&](std::span<const uint8_t> piece) {
      return writeAll(fd, std::string_view(reinterpret_cast<const char*>(piece.data()), piece.size()), path);
    });
  });
}

Expected<onnx::ModelProto> unpackModel(std::span<const uint8_t> bytes) { return unpackModel(bytes, {}); }

Expected<onnx::ModelProto> unpackModel(std::span<const uint8_t> bytes, const std::function<void(std::span<const uint8_t>)>& done_with) {
  // Each section's CRC is checked just before the section is used, so a mapped container is read once,
  // a section at a time.
  DNNC_ASSIGN(std::vector<fm::SectionView> sections, fm::readContainerDirectory(bytes));
  // The CRC pass drops each 16 MB piece once summed, and decoding each part it has read: the section is
  // read from the page cache again, but never resident whole beside the tensor it becomes.
  const std::function<void(std::span<const uint8_t>)> drop = [&](std::span<const uint8_t> part) {
    if (done_with) done_with(part);
  };
  const auto use = [&](const fm::SectionView& s) { return fm::checkSection(s, drop); };
  const auto release = [&](const fm::SectionView& s) {
    if (done_with) done_with(s.data);
  };
  if (sections.empty() || sections[0].kind != kModelSection)
    return Error(Exit::Input, ".dnnc file does not start with a model section");
  const uint64_t max_bytes = maxUnpackedBytes(bytes.size());
  DNNC_TRY(use(sections[0]));
  DNNC_ASSIGN(std::vector<uint8_t> proto_bytes, fm::zstdDecompress(sections[0].data, kMaxUnpackedBytes, modelDictionary()));
  release(sections[0]);
  onnx::ModelProto model;
  if (!model.ParseFromArray(proto_bytes.data(), int(proto_bytes.size())))
    return Error(Exit::Input, ".dnnc model section is not a valid ONNX ModelProto");
  std::vector<onnx::TensorProto*> tensors = allTensors(model);
  std::vector<bool> filled(tensors.size(), false);
  uint64_t total = proto_bytes.size();
  for (size_t i = 1; i < sections.size(); ++i) {
    auto s = sections[i];
    if (s.name.empty()) s.name = "#" + std::to_string(i);
    DNNC_TRY(use(sections[i]));
    if (s.kind != kTensorSection) return Error(Exit::Input, ".dnnc section '", s.name, "' has unknown kind ", int(s.kind));
    size_t pos = 0;
    auto ordinal = fm::readVarint(s.data, pos);
    if (!ordinal) return Error(Exit::Input, ".dnnc section '", s.name, "': ", ordinal.error().message());
    if (*ordinal >= tensors.size() || filled[*ordinal])
      return Error(Exit::Input, ".dnnc section '", s.name, "' names tensor #", *ordinal, ", which is ",
                   *ordinal >= tensors.size() ? "not in the model" : "already filled");
    if (s.data.size() - pos < 2) return Error(Exit::Input, ".dnnc section '", s.name, "' is truncated");
    uint8_t field = s.data[pos++], tag = s.data[pos++];
    if (field >= kFieldCount) return Error(Exit::Input, ".dnnc section '", s.name, "': unknown data field ", int(field));
    const std::optional<Codec> codec = codecFromTag(tag);
    if (!codec) return Error(Exit::Input, ".dnnc section '", s.name, "': unknown codec ", int(tag));
    onnx::TensorProto& t = *tensors[*ordinal];
    auto layout = expectedLayout(t, Field(field));
    if (!layout) return Error(Exit::Input, ".dnnc section '", s.name, "': ", layout.error().message());
    if (layout->bytes() > max_bytes - total)
      return Error(Exit::Input, ".dnnc file declares more than ", max_bytes, " bytes of tensor data");
    total += layout->bytes();
    if (layout->field == Field::Raw) {
      // Decoded where the model keeps it: no second buffer of the tensor's size (VGG-16's fc6: 411 MB).
      std::string& raw = *t.mutable_raw_data();
      raw.resize(size_t(layout->bytes()));
      const std::span<uint8_t> out(reinterpret_cast<uint8_t*>(raw.data()), raw.size());
      Status decoded = decodeTensorInto(*codec, s.data.subspan(pos), *layout, out, drop);
      if (!decoded) return Error(Exit::Input, ".dnnc section '", s.name, "' (", codecName(*codec), "): ", decoded.error().message());
      release(s);
    } else {
      auto data = decodeTensor(*codec, s.data.subspan(pos), *layout);
      if (!data) return Error(Exit::Input, ".dnnc section '", s.name, "' (", codecName(*codec), "): ", data.error().message());
      release(s);
      putData(t, *layout, *data);
    }
    filled[*ordinal] = true;
  }
  return model;
}

}  // namespace dnnc::pack
