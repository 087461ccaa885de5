#include "test/support/test_support.h"

#include <fcntl.h>
#include <onnx/defs/parser.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>

namespace dnnc::test {
namespace fs = std::filesystem;

std::string readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void writeBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

bool fileExists(const std::string& path) { return fs::exists(path); }

std::vector<std::string> filesContaining(const std::string& dir, const std::string& needle) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(needle) != std::string::npos) out.push_back(e.path().string());
  return out;
}

std::string scratchDir(const std::string& tag) {
  static std::atomic<int> counter{0};
  fs::path dir = fs::path(DNNC_BINARY_DIR) / "test-scratch" / (tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::string testData(const std::string& name) { return std::string(DNNC_TEST_DATA) + "/" + name; }

CommandResult runProgram(const std::vector<std::string>& argv, const std::string& stdin_data) {
  std::string dir = scratchDir("cmd");
  std::string in_path = dir + "/stdin", out_path = dir + "/stdout", err_path = dir + "/stderr";
  writeBytes(in_path, stdin_data);
  pid_t pid = ::fork();
  if (pid == 0) {
    int in = ::open(in_path.c_str(), O_RDONLY);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(in, 0), ::dup2(out, 1), ::dup2(err, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::perror("exec");
    ::_exit(127);
  }
  int status = 0;
  struct rusage usage {};
  ::wait4(pid, &status, 0, &usage);  // the usage of this child (and what it waited for) alone
  CommandResult r;
  r.peak_rss_kb = usage.ru_maxrss;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = readBytes(out_path);
  r.err = readBytes(err_path);
  fs::remove_all(dir);
  return r;
}

CommandResult runDnnc(const std::vector<std::string>& args, const std::string& stdin_data) {
  std::vector<std::string> argv = {DNNC_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  return runProgram(argv, stdin_data);
}

onnx::ModelProto modelFromText(const std::string& text) {
  onnx::ModelProto model;
  onnx::OnnxParser parser(text.c_str());
  auto status = parser.Parse(model);
  INFO(status.ErrorMessage());
  REQUIRE(status.IsOK());
  return model;
}

namespace {
std::string uniformValues(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::string s;
  for (size_t i = 0; i < n; ++i) s += (i ? ", " : "") + std::to_string(d(rng));
  return s;
}
}  // namespace

onnx::ModelProto exportedLstm(bool with_classifier) {
  const std::string output = with_classifier ? "float[1,2] y" : "float[5,1,1,4] y";
  const std::string head = with_classifier ? R"(, float[2,4] fc = {)" + uniformValues(8, 13) + "}, int64[2] flat = {1, 4}" : "";
  const std::string tail = with_classifier ? R"(
  seq, h = LSTM <hidden_size = 4> (x, w, r)
  hf = Reshape (h, flat)
  y = Gemm <transB = 1> (hf, fc)
})"
                                           : R"(
  y, h = LSTM <hidden_size = 4> (x, w, r)
})";
  return modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[5,1,3] x) => ()" + output + R"() <float[16,3] w_ih = {)" + uniformValues(48, 11) +
                       R"(}, float[16,4] w_hh = {)" + uniformValues(64, 12) + "}" + head + R"(,
   int64[1] zero = {0}, int64[1] eight = {8}, int64[1] sixteen = {16}> {
  wa = Slice (w_ih, eight, sixteen, zero)
  wb = Slice (w_ih, zero, eight, zero)
  wc = Concat <axis = 0> (wa, wb)
  w = Unsqueeze (wc, zero)
  ra = Slice (w_hh, eight, sixteen, zero)
  rb = Slice (w_hh, zero, eight, zero)
  rc = Concat <axis = 0> (ra, rb)
  r = Unsqueeze (rc, zero))" + tail);
}

namespace {

bool onPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (!dir.empty() && ::access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  return false;
}

// Why a missing ONNX Runtime is a broken set-up rather than a machine without it (empty: it is not). Where
// npm is on PATH, `make test` installs the runtime (tools/ort-install.sh), so its absence must fail the check
// instead of letting it pass with a warning. DNNC_REQUIRE_ORT=1 or =0 overrides (0: npm but offline).
std::string whyOrtIsRequired() {
  const char* env = std::getenv("DNNC_REQUIRE_ORT");
  if (env && *env) return std::string(env) == "0" ? "" : "DNNC_REQUIRE_ORT=" + std::string(env);
  return onPath("npm") ? "npm is on PATH" : "";
}

}  // namespace

std::string ortRunner() {
  std::string module = std::string(DNNC_BINARY_DIR) + "/ort/node_modules/onnxruntime-node";
  std::string missing;
  if (!fs::exists(module))
    missing = module + " is not installed";
  else if (runProgram({"node", "--version"}).exit_code != 0)
    missing = "node does not run";
  if (missing.empty()) return module;
  std::string required = whyOrtIsRequired();
  if (!required.empty())
    FAIL("ONNX Runtime is required (" << required << ") but " << missing << ": run `make ort` (tools/ort-install.sh "
                                      << DNNC_BINARY_DIR << "/ort)");
  return {};
}

namespace {

std::string npyHeader(const std::string& descr, const std::vector<int64_t>& shape) {
  std::string dims;
  for (size_t i = 0; i < shape.size(); ++i) dims += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? "," : "");
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  size_t total = 10 + header.size() + 1;
  header += std::string((64 - total % 64) % 64, ' ') + "\n";
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header;
}

}  // namespace

void writeNpyFloat(const std::string& path, const std::vector<float>& values, const std::vector<int64_t>& shape) {
  std::string bytes = npyHeader("<f4", shape);
  bytes.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  writeBytes(path, bytes);
}

std::vector<float> readNpyAsFloat(const std::string& path, std::vector<int64_t>& shape) {
  std::string bytes = readBytes(path);
  REQUIRE(bytes.size() > 10);
  REQUIRE(bytes.compare(0, 6, "\x93NUMPY") == 0);
  size_t header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  std::string header = bytes.substr(10, header_len);
  size_t start = 10 + header_len;
  auto shape_at = header.find("'shape': (");
  REQUIRE(shape_at != std::string::npos);
  std::string dims = header.substr(shape_at + 10, header.find(')', shape_at) - shape_at - 10);
  shape.clear();
  std::stringstream ss(dims);
  std::string item;
  while (std::getline(ss, item, ','))
    if (item.find_first_not_of(' ') != std::string::npos) shape.push_back(std::stoll(item));
  size_t n = 1;
  for (auto d : shape) n *= static_cast<size_t>(d);
  std::vector<float> out(n);
  const char* p = bytes.data() + start;
  if (header.find("'|u1'") != std::string::npos) {
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<unsigned char>(p[i]);
  } else if (header.find("'<f4'") != std::string::npos) {
    std::memcpy(out.data(), p, n * 4);
  } else if (header.find("'<i8'") != std::string::npos) {
    for (size_t i = 0; i < n; ++i) {
      int64_t v;
      std::memcpy(&v, p + 8 * i, 8);
      out[i] = static_cast<float>(v);
    }
  } else {
    FAIL("unsupported npy dtype in " << path << ": " << header);
  }
  return out;
}

std::vector<float> fashionImages(int count, std::vector<int64_t>& shape) {
  std::vector<int64_t> full;
  std::vector<float> x = readNpyAsFloat(testData("fashion_test_2000_images.npy"), full);
  size_t per = static_cast<size_t>(full[1] * full[2] * full[3]);
  x.resize(per * static_cast<size_t>(count));
  for (float& v : x) v = (v / 255.0f - 0.2860f) / 0.3530f;
  shape = {count, full[1], full[2], full[3]};
  return x;
}

OrtOutputs runOrt(const std::string& model_path, const std::vector<std::vector<float>>& inputs,
                  const std::vector<std::vector<int64_t>>& input_shapes) {
  OrtOutputs r;
  std::string module = ortRunner();
  if (module.empty()) {
    r.error = "onnxruntime-node not installed";
    return r;
  }
  std::string dir = scratchDir("ort");
  std::vector<std::string> argv = {"env", "DNNC_ORT_MODULE=" + module, "node",
                                   std::string(DNNC_SOURCE_DIR) + "/test/support/ort_run.js", model_path, dir};
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::string p = dir + "/input_" + std::to_string(i) + ".npy";
    writeNpyFloat(p, inputs[i], input_shapes[i]);
    argv.push_back(p);
  }
  CommandResult c = runProgram(argv);
  if (c.exit_code != 0) {
    r.error = c.err;
    return r;
  }
  for (int i = 0;; ++i) {
    std::string p = dir + "/output_" + std::to_string(i) + ".npy";
    if (!fs::exists(p)) break;
    std::vector<int64_t> shape;
    r.values.push_back(readNpyAsFloat(p, shape));
    r.shapes.push_back(shape);
  }
  fs::remove_all(dir);
  r.ok = true;
  return r;
}

}  // namespace dnnc::test
