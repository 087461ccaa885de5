// dnnc pack MODEL -o M.dnnc [--codec auto|...] [--json]: the .dnnc container, with the per-tensor
// report (dense and packed bytes, bits per nonzero, index share, entropy bound, Deep Compression count).
// dnnc unpack M.dnnc -o M.onnx: the exact model back.
#include <filesystem>
#include <optional>
#include <iostream>

#include "cli/command.h"
#include "lib/energy/feature_rlc.h"
#include "lib/exec/dataset.h"
#include "lib/exec/executor.h"
#include "lib/ir/onnx_io.h"
#include "lib/pack/pack.h"
#include "lib/report/table.h"
#include "lib/support/atomic_file.h"
#include "lib/support/mapped_file.h"
#include "lib/support/sha256.h"

namespace dnnc::cli {

namespace {

struct PackCmdOptions {
  std::string model, output, codec = "auto";
  bool force = false;
  DataOptions data;  // --data: also report Eyeriss RLC of every layer's input feature map
  int64_t batch = 100;
  CommonOptions common;
};

std::string kb(double bytes) { return formatFixed(bytes / 1000.0, 2); }

// RLC of the input feature maps over the data set (lib/energy/feature_rlc.h).
Expected<nlohmann::json> featureMapRlc(const Model& model, const PackCmdOptions& o) {
  DNNC_ASSIGN(auto exec, Executor::create(model, {.threads = o.common.threads}));
  if (exec->inputs().size() != 1)
    return Error(Exit::Input, "--data feeds models with exactly one input; this one has ", exec->inputs().size());
  DNNC_ASSIGN(auto loader, openData(o.data, exec->inputs()[0]));
  int64_t batch = o.batch;
  const auto& in_dims = exec->inputs()[0].dims;
  if (!in_dims.empty() && in_dims[0] > 0) batch = in_dims[0];
  DNNC_ASSIGN(auto layers, energy::measureFeatureRlc(*exec, *loader, batch));
  nlohmann::json out = nlohmann::json::array();
  for (const auto& l : layers)
    out.push_back({{"node", l.node}, {"op", l.op}, {"value", l.value}, {"samples", l.samples}, {"elements", l.elements},
                   {"zeros", l.zeros}, {"rlc_bits", l.rlc_bits}, {"dense_16bit_bits", l.dense_bits()},
                   {"entropy_bits", l.entropy_bits},
                   {"rlc_over_dense", l.elements ? double(l.rlc_bits) / double(l.dense_bits()) : 0.0},
                   {"rlc_over_entropy", l.entropy_bits > 0 ? double(l.rlc_bits) / l.entropy_bits : 0.0}});
  return out;
}

void printFeatureRlc(std::ostream& os, const nlohmann::json& layers) {
  TextTable t({"feature map (input of)", "zeros %", "dense KB/sample", "RLC KB/sample", "RLC/dense", "entropy KB/sample", "RLC vs entropy"});
  t.alignRight({1, 2, 3, 4, 5, 6});
  for (const auto& l : layers) {
    double n = l["samples"].get<double>(), el = l["elements"].get<double>();
    double rlc = l["rlc_bits"].get<double>() / 8 / n, dense = l["dense_16bit_bits"].get<double>() / 8 / n,
           h = l["entropy_bits"].get<double>() / 8 / n;
    t.addRow({l["node"].get<std::string>(), formatFixed(100 * l["zeros"].get<double>() / std::max(el, 1.0), 1), kb(dense), kb(rlc),
              formatFixed(rlc / std::max(dense, 1e-9), 3), kb(h), formatFixed(100 * (rlc / std::max(h, 1e-9) - 1), 1) + " %"});
  }
  os << "Eyeriss RLC of the input feature maps (16-bit levels; entropy = 16 bits per nonzero + entropy of the zero runs):\n"
     << t.render();
}

void printPackReport(std::ostream& os, const nlohmann::json& r) {
  TextTable t({"tensor", "codec", "dense KB", "packed KB", "bits/nz", "index %", "entropy KB", "DC KB"});
  t.alignRight({2, 3, 4, 5, 6, 7});
  for (const auto& e : r["tensors"]) {
    std::string bpn = e.contains("bits_per_nonzero") ? formatFixed(e["bits_per_nonzero"].get<double>(), 2) : "-";
    std::string share = e.contains("index_share") ? formatFixed(100 * e["index_share"].get<double>(), 1) : "-";
    t.addRow({e["name"].get<std::string>(), e["codec"].get<std::string>(), kb(e["dense_bytes"].get<double>()),
              kb(e["packed_bytes"].get<double>()), bpn, share, kb(e["entropy_bound_bytes"].get<double>()),
              kb(e["dc_count_bytes"].get<double>())});
  }
  os << t.render();
  double packed = r["container_bytes"].get<double>(), dc = r["dc_count_bytes"].get<double>(),
         bound = r["entropy_bound_bytes"].get<double>();
  os << "model protobuf " << kb(r["model_protobuf_bytes"].get<double>()) << " KB -> " << kb(r["model_section_bytes"].get<double>())
     << " KB (zstd)\n";
  os << ".dnnc " << kb(packed) << " KB from " << kb(r["onnx_bytes"].get<double>()) << " KB of ONNX ("
     << formatFixed(r["ratio"].get<double>(), 1) << "x); tensor entropy bound " << kb(bound) << " KB ("
     << formatFixed(100 * (packed / bound - 1), 1) << " % above), Deep Compression count " << kb(dc) << " KB ("
     << formatFixed(100 * (1 - packed / dc), 1) << " % smaller)\n";
}

int runPack(const PackCmdOptions& o) {
  const std::string cmd = "pack";
  if (int rc = reportStatus(cmd, checkOutputPath(o.model, o.output, o.force))) return rc;
  auto request = pack::parseCodecRequest(o.codec);
  if (!request) return reportError(cmd, request.error());
  auto loaded = loadModelWithDigest(o.model);
  if (!loaded) return reportError(cmd, loaded.error());
  Model* model = &loaded->model;
  pack::PackOptions options;
  options.codec = *request;
  options.base_dir = model->base_dir;
  // Without --data the model is not needed after packing: pack takes it apart instead of copying it.
  std::optional<onnx::ModelProto> copy;
  if (!o.data.path.empty()) copy = model->proto;
  auto packed = pack::packModelToFile(copy ? std::move(*copy) : std::move(model->proto), options, o.output);
  if (!packed) return reportError(cmd, packed.error());
  Report report(cmd);
  report.addInput(o.model, loaded->sha256);
  report.root()["output"] = o.output;
  report.root()["codec"] = o.codec;
  report.root()["pack"] = *packed;
  if (!o.data.path.empty()) {
    auto fm = featureMapRlc(*model, o);
    if (!fm) return reportError(cmd, fm.error());
    report.root()["feature_maps"] = *fm;
  }
  if (!o.common.json.empty()) return emitJson(cmd, report, o.common);
  if (!o.common.quiet) {
    std::ostream& os = o.output == "-" ? std::cerr : std::cout;
    printPackReport(os, *packed);
    if (!o.data.path.empty()) printFeatureRlc(os, report.root()["feature_maps"]);
  }
  return 0;
}

struct UnpackCmdOptions {
  std::string input, output;
  bool force = false, external_data = false;
  CommonOptions common;
};

int runUnpack(const UnpackCmdOptions& o) {
  const std::string cmd = "unpack";
  if (int rc = reportStatus(cmd, checkOutputPath(o.input, o.output, o.force))) return rc;
  // A file is mapped and read a section at a time, each dropped once decoded (stdin is read whole).
  std::unique_ptr<MappedFile> mapped;
  std::string bytes;
  if (o.input == "-") {
    auto read = readFile(o.input);
    if (!read) return reportError(cmd, read.error());
    bytes = std::move(*read);
  } else {
    auto opened = MappedFile::open(o.input);
    if (!opened) return reportError(cmd, opened.error());
    mapped = std::move(*opened);
  }
  const std::span<const uint8_t> container =
      mapped ? mapped->bytes() : std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  auto model = pack::unpackModel(container, [&](std::span<const uint8_t> section) {
    if (mapped) mapped->release(section);
  });
  if (!model) return reportError(cmd, Error(model.error().code(), "cannot unpack '", o.input, "': ", model.error().message()));
  Model unpacked;
  unpacked.proto = std::move(*model);
  const size_t onnx_bytes = unpacked.proto.ByteSizeLong();
  // Not checked again: the model is exactly the one that was packed, whatever the checker thinks of it.
  if (int rc = reportStatus(cmd, saveModel(unpacked, o.output, {.external_data = o.external_data, .check = false}))) return rc;
  if (!o.common.json.empty()) {
    Report report(cmd);
    std::string digest;
    if (mapped) {
      auto file_digest = sha256FileHex(o.input);
      if (!file_digest) return reportError(cmd, file_digest.error());
      digest = std::move(*file_digest);
    } else {
      digest = sha256Hex(bytes);
    }
    report.addInput(o.input, digest);
    report.root()["output"] = o.output;
    report.root()["onnx_bytes"] = onnx_bytes;
    return emitJson(cmd, report, o.common);
  }
  return 0;
}

}  // namespace

void setupPack(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<PackCmdOptions>();
  auto* sub = app.add_subcommand("pack", "Pack a model into a .dnnc container (Huffman, CSR, RLC, zstd per tensor)");
  sub->add_option("MODEL", o->model, "ONNX model ('-' for stdin)")->required();
  addOutputOption(sub, o->output, o->model, o->common, "Output .dnnc file", ".dnnc");
  sub->add_option("--codec", o->codec, pack::codecChoicesHelp());
  sub->add_flag("--force", o->force, "Allow the output to overwrite the input");
  sub->add_option("--data", o->data.path, "Also report Eyeriss RLC of each layer's input feature map over this data (.npy/.npz/.pb)");
  addPreprocessOptions(sub, o->data, "with --data: ");
  sub->add_option("--batch", o->batch, "Batch size for --data (default 100)")->check(CLI::PositiveNumber);
  addCommonOptions(sub, o->common);
  commands.push_back({sub, [o] { return runPack(*o); }});

  auto u = std::make_shared<UnpackCmdOptions>();
  auto* usub = app.add_subcommand("unpack", "Unpack a .dnnc container into the exact ONNX model");
  usub->add_option("INPUT", u->input, ".dnnc file ('-' for stdin)")->required();
  usub->add_option("-o,--output", u->output, "Output ONNX model ('-' for stdout)")->required();
  usub->add_flag("--force", u->force, "Allow the output to overwrite the input");
  usub->add_flag("--external-data", u->external_data, "Store weights in OUT.data beside the model (for models over 2 GiB)");
  addCommonOptions(usub, u->common);
  commands.push_back({usub, [u] { return runUnpack(*u); }});
}

}  // namespace dnnc::cli
