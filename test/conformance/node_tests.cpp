// The ONNX backend node tests (Debian's libonnx-testdata): every case whose ops the executor supports and
// whose inputs and outputs are tensors dnnc holds is "covered"; each test_data_set_* must match its
// expected outputs at rtol 1e-4, atol 1e-5. At least 98 % of covered cases must pass; the failures are
// printed (and listed with reasons in docs/conformance.md). Set DNNC_CONFORMANCE_REPORT=FILE to write
// every case's status as tab-separated lines.
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "lib/exec/executor.h"
#include "lib/exec/kernel.h"

namespace fs = std::filesystem;
using namespace dnnc;

namespace {

// Cases the executor deliberately does not cover, with the reason (see docs/conformance.md).
const std::pair<const char*, const char*> kExcluded[] = {
    {"test_training_dropout", "training-mode Dropout draws a random mask (numpy's RNG); not reproducible"},
    {"test_training_dropout_default", "training-mode Dropout draws a random mask (numpy's RNG); not reproducible"},
    {"test_training_dropout_default_mask", "training-mode Dropout draws a random mask (numpy's RNG); not reproducible"},
    {"test_training_dropout_mask", "training-mode Dropout draws a random mask (numpy's RNG); not reproducible"},
};

bool readProto(const fs::path& path, google::protobuf::MessageLite& msg) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return in.good() || in.eof() ? msg.ParseFromString(ss.str()) : false;
}

bool holdsTensor(const onnx::ValueInfoProto& vi) {
  if (!vi.type().has_tensor_type()) return false;
  DType t = dtypeFromOnnx(vi.type().tensor_type().elem_type());
  return t != DType::Undefined && dtypeSize(t) > 0;
}

// Why a case is not covered, or "" when it is.
std::string notCovered(const onnx::ModelProto& model, const std::string& name) {
  for (const auto& [n, why] : kExcluded)
    if (name == n) return why;
  std::string ops;
  for (const auto& node : model.graph().node())
    if (!(node.domain().empty() || node.domain() == "ai.onnx") || !findKernel(node.op_type()))
      if (ops.find(" " + node.op_type() + " ") == std::string::npos) ops += " " + node.op_type() + " ";
  if (!ops.empty()) return "unsupported op:" + ops;
  for (const auto& vi : model.graph().input())
    if (!holdsTensor(vi)) return "input '" + vi.name() + "' is not a numeric tensor";
  for (const auto& vi : model.graph().output())
    if (!holdsTensor(vi)) return "output '" + vi.name() + "' is not a numeric tensor";
  return "";
}

std::string compare(const Tensor& got, const Tensor& want, const std::string& name) {
  if (got.dtype() != want.dtype())
    return strCat("output '", name, "': type ", dtypeName(got.dtype()), ", expected ", dtypeName(want.dtype()));
  if (got.dims() != want.dims())
    return strCat("output '", name, "': dims ", dimsToString(got.dims()), ", expected ", dimsToString(want.dims()));
  if (isFloating(got.dtype())) {
    auto g = got.toFloats(), w = want.toFloats();
    if (got.dtype() == DType::Double) {  // compare in double
      auto gd = got.span<double>(), wd = want.span<double>();
      for (size_t i = 0; i < gd.size(); ++i) {
        if (std::isnan(gd[i]) && std::isnan(wd[i])) continue;
        if (!(std::abs(gd[i] - wd[i]) <= 1e-5 + 1e-4 * std::abs(wd[i])))
          return strCat("output '", name, "'[", i, "] = ", gd[i], ", expected ", wd[i]);
      }
      return "";
    }
    for (size_t i = 0; i < g.size(); ++i) {
      if (std::isnan(g[i]) && std::isnan(w[i])) continue;
      if (g[i] == w[i]) continue;  // infinities
      if (!(std::abs(g[i] - w[i]) <= 1e-5f + 1e-4f * std::abs(w[i])))
        return strCat("output '", name, "'[", i, "] = ", g[i], ", expected ", w[i]);
    }
    return "";
  }
  if (got.sizeBytes() != want.sizeBytes() || std::memcmp(got.rawData(), want.rawData(), got.sizeBytes()) != 0) {
    auto g = got.toFloats(), w = want.toFloats();
    for (size_t i = 0; i < g.size(); ++i)
      if (g[i] != w[i]) return strCat("output '", name, "'[", i, "] = ", g[i], ", expected ", w[i]);
    return strCat("output '", name, "': bytes differ");
  }
  return "";
}

// The 1.12 test data stores bfloat16 tensors as uint16 (same bits): take the type the model declares.
Tensor retagBfloat16(Tensor t, const onnx::ValueInfoProto& vi) {
  if (t.dtype() != DType::Uint16 || vi.type().tensor_type().elem_type() != onnx::TensorProto::BFLOAT16) return t;
  Tensor r(DType::Bfloat16, t.dims());
  if (t.sizeBytes()) std::memcpy(r.rawData(), t.rawData(), t.sizeBytes());
  return r;
}

// "" on success, else why the case failed.
std::string runCase(const fs::path& dir, const onnx::ModelProto& proto) {
  Model model;
  model.proto = proto;
  model.base_dir = dir.string();
  model.source = (dir / "model.onnx").string();
  auto exec = Executor::create(model, {.threads = 1});
  if (!exec) return "create: " + exec.error().message();
  std::vector<fs::path> sets;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
  std::sort(sets.begin(), sets.end());
  if (sets.empty()) return "no test_data_set_*";
  for (const auto& set : sets) {
    std::vector<Tensor> inputs, expected;
    for (int i = 0;; ++i) {
      fs::path p = set / ("input_" + std::to_string(i) + ".pb");
      if (!fs::exists(p)) break;
      onnx::TensorProto tp;
      if (!readProto(p, tp)) return "cannot parse " + p.string();
      auto t = readTensor(tp, set.string());
      if (!t) return "input " + std::to_string(i) + ": " + t.error().message();
      inputs.push_back(i < proto.graph().input_size() ? retagBfloat16(std::move(*t), proto.graph().input(i)) : std::move(*t));
    }
    for (int i = 0;; ++i) {
      fs::path p = set / ("output_" + std::to_string(i) + ".pb");
      if (!fs::exists(p)) break;
      onnx::TensorProto tp;
      if (!readProto(p, tp)) return "cannot parse " + p.string();
      auto t = readTensor(tp, set.string());
      if (!t) return "output " + std::to_string(i) + ": " + t.error().message();
      expected.push_back(i < proto.graph().output_size() ? retagBfloat16(std::move(*t), proto.graph().output(i)) : std::move(*t));
    }
    std::vector<const Tensor*> ptrs;
    for (const auto& t : inputs) ptrs.push_back(&t);
    // Two runs: the first learns the buffer plan, the second runs from it; both must match.
    for (int rep = 0; rep < 2; ++rep) {
      auto out = (*exec)->run(ptrs);
      if (!out) return set.filename().string() + ": " + out.error().message();
      if (out->size() != expected.size())
        return strCat(set.filename().string(), ": ", out->size(), " outputs, expected ", expected.size());
      for (size_t i = 0; i < expected.size(); ++i) {
        std::string why = compare((*out)[i], expected[i], proto.graph().output(static_cast<int>(i)).name());
        if (!why.empty()) return set.filename().string() + (rep ? " (planned run)" : "") + ": " + why;
      }
    }
  }
  return "";
}

}  // namespace

TEST_CASE("ONNX backend node tests pass at rtol 1e-4, atol 1e-5", "[conformance]") {
  const fs::path root = fs::path(DNNC_ONNX_TESTDATA) / "node";
  if (!fs::is_directory(root)) {
    WARN("skipped: " << root << " not found (install libonnx-testdata)");
    return;
  }
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory() && e.path().filename().string().rfind("test_", 0) == 0) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());

  int covered = 0, passed = 0;
  std::vector<std::pair<std::string, std::string>> failures;
  std::ostringstream report;
  for (const auto& dir : dirs) {
    const std::string name = dir.filename().string();
    onnx::ModelProto proto;
    if (!readProto(dir / "model.onnx", proto)) {
      report << name << "\tskip\tcannot parse model.onnx\n";
      continue;
    }
    std::string why = notCovered(proto, name);
    if (!why.empty()) {
      report << name << "\tnot-covered\t" << why << "\n";
      continue;
    }
    ++covered;
    std::string fail;
    try {
      fail = runCase(dir, proto);
    } catch (const std::exception& e) {
      fail = std::string("exception: ") + e.what();
    }
    if (fail.empty()) {
      ++passed;
      report << name << "\tpass\t\n";
    } else {
      failures.push_back({name, fail});
      report << name << "\tfail\t" << fail << "\n";
    }
  }
  if (const char* path = std::getenv("DNNC_CONFORMANCE_REPORT")) std::ofstream(path) << report.str();
  const double rate = covered ? 100.0 * passed / covered : 0.0;
  std::ostringstream msg;
  msg << "ONNX node tests: " << dirs.size() << " cases, " << covered << " covered, " << passed << " passed ("
      << rate << " %)";
  for (const auto& [n, why] : failures) msg << "\n  FAIL " << n << ": " << why;
  std::cout << msg.str() << std::endl;
  INFO(msg.str());
  CHECK(covered >= 200);
  REQUIRE(rate >= 98.0);
}
