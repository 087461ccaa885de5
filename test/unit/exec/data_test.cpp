// .npy/.npz reading and writing, deflate, batch streaming with preprocessing, and the errors users see.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "lib/exec/dataset.h"
#include "lib/exec/inflate.h"
#include "lib/exec/npy.h"
#include "test/unit/exec/exec_test_util.h"

using namespace dnnc;
using namespace dnnc::exectest;
namespace fs = std::filesystem;

namespace {
#include "test/unit/exec/npz_fixtures.inc"

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("dnnc_exec_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
  static int& counter() {
    static int c = 0;
    return c;
  }
};

void writeBytes(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

std::string npyBytes(const std::string& dict, const std::string& payload, int version = 1) {
  std::string d = dict;
  size_t pre = version == 1 ? 10 : 12;
  while ((pre + d.size() + 1) % 64) d += ' ';
  d += '\n';
  std::string s("\x93NUMPY", 6);
  s += static_cast<char>(version);
  s += '\0';
  size_t n = d.size();
  s += static_cast<char>(n & 0xff);
  s += static_cast<char>((n >> 8) & 0xff);
  if (version != 1) {
    s += static_cast<char>((n >> 16) & 0xff);
    s += static_cast<char>((n >> 24) & 0xff);
  }
  return s + d + payload;
}

ValueInfo input(std::vector<int64_t> dims, DType t = DType::Float) {
  ValueInfo v;
  v.name = "input";
  v.dtype = t;
  v.dims = std::move(dims);
  v.has_shape = true;
  return v;
}

}  // namespace

TEST_CASE(".npy round trip for every supported dtype", "[exec][data]") {
  TempDir tmp;
  for (DType t : {DType::Float, DType::Double, DType::Uint8, DType::Int64, DType::Int8, DType::Int32}) {
    Tensor x = Tensor::fromFloats(randomTensor({3, 4, 5}, 1, 0, 100).toFloats(), {3, 4, 5}, t);
    std::string p = tmp.file("x.npy");
    REQUIRE(writeNpy(p, x).ok());
    auto back = readNpy(p);
    REQUIRE(back.ok());
    CHECK(back->dtype() == t);
    CHECK(back->dims() == x.dims());
    CHECK(std::memcmp(back->rawData(), x.rawData(), x.sizeBytes()) == 0);
  }
  Tensor scalar(DType::Float, {});
  REQUIRE(writeNpy(tmp.file("s.npy"), scalar).ok());
  CHECK(readNpy(tmp.file("s.npy"))->dims().empty());
}

TEST_CASE(".npy headers v1, v2, v3 parse; bad ones get clear errors", "[exec][data]") {
  TempDir tmp;
  std::string payload(6 * 4, '\0');
  for (int v : {1, 2, 3}) {
    writeBytes(tmp.file("v.npy"), npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", payload, v));
    auto t = readNpy(tmp.file("v.npy"));
    REQUIRE(t.ok());
    CHECK(t->dims() == std::vector<int64_t>{2, 3});
  }
  auto expectError = [&](const std::string& dict, const std::string& payload_bytes, const std::string& needle) {
    writeBytes(tmp.file("bad.npy"), npyBytes(dict, payload_bytes));
    auto t = readNpy(tmp.file("bad.npy"));
    REQUIRE_FALSE(t.ok());
    CHECK(t.error().code() == Exit::Input);
    CHECK_THAT(t.error().message(), Catch::Contains(needle));
  };
  expectError("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", payload, "Fortran");
  expectError("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", payload, "big-endian");
  expectError("{'descr': '|O', 'fortran_order': False, 'shape': (2, 3), }", payload, "object");
  expectError("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", payload, "truncated");
  expectError("{'descr': '<c8', 'fortran_order': False, 'shape': (2, 3), }", payload, "not supported");
  writeBytes(tmp.file("junk.npy"), "hello");
  CHECK_FALSE(readNpy(tmp.file("junk.npy")).ok());
}

TEST_CASE("deflate decodes what zlib wrote; CRC-32 matches zlib's", "[exec][data]") {
  const char* text = "123456789";
  CHECK(crc32(std::as_bytes(std::span(text, 9))) == 0xcbf43926u);
  TempDir tmp;
  std::string p = tmp.file("c.npz");
  writeBytes(p, std::string(reinterpret_cast<const char*>(kCompressedNpz), sizeof(kCompressedNpz)));
  auto arrays = readNpz(p);
  REQUIRE(arrays.ok());
  REQUIRE(arrays->size() == 2);
  CHECK((*arrays)[0].first == "a");
  CHECK((*arrays)[0].second.dims() == std::vector<int64_t>{3, 4});
  for (int i = 0; i < 12; ++i) CHECK((*arrays)[0].second.data<float>()[i] == float(i));
  const Tensor& b = (*arrays)[1].second;
  REQUIRE(b.dims() == std::vector<int64_t>{3000});
  int64_t sum = 0, weighted = 0;
  for (int64_t i = 0; i < 3000; ++i) {
    sum += b.data<int64_t>()[i];
    weighted += b.data<int64_t>()[i] * i;
  }
  CHECK(sum == kBSum);
  CHECK(weighted == kBWeighted);
  // A corrupted byte is caught (by the decoder or the CRC).
  std::string bad(reinterpret_cast<const char*>(kCompressedNpz), sizeof(kCompressedNpz));
  bad[1000] = static_cast<char>(bad[1000] ^ 0x5a);  // inside b's deflate stream
  writeBytes(p, bad);
  CHECK_FALSE(readNpz(p).ok());
}

TEST_CASE(".npz: numpy's stored archives, our writer, member selection", "[exec][data]") {
  TempDir tmp;
  std::string np = tmp.file("np.npz");
  writeBytes(np, std::string(reinterpret_cast<const char*>(kStoredNpz), sizeof(kStoredNpz)));
  auto src = openArray(np);
  REQUIRE(src.ok());
  CHECK((*src)->dims() == std::vector<int64_t>{3, 4});
  std::vector<float> row(4);
  REQUIRE((*src)->readRows(2, 1, reinterpret_cast<std::byte*>(row.data())).ok());
  CHECK(row[0] == 8.0f);

  std::string ours = tmp.file("ours.npz");
  Tensor a = randomTensor({5, 2}, 3);
  Tensor b(DType::Int64, {4});
  b.data<int64_t>()[3] = 42;
  REQUIRE(writeNpz(ours, {{"logits", a}, {"ids", b}}).ok());
  auto back = readNpz(ours);
  REQUIRE(back.ok());
  CHECK((*back)[0].first == "logits");
  CHECK(closeness((*back)[0].second, a) == 0.0);
  CHECK((*back)[1].second.data<int64_t>()[3] == 42);
  auto names = npzMembers(ours);
  CHECK(*names == std::vector<std::string>{"logits", "ids"});
  auto which = openArray(ours);
  REQUIRE_FALSE(which.ok());
  CHECK_THAT(which.error().message(), Catch::Contains("logits") && Catch::Contains("ids"));
  CHECK(openArray(ours, "ids").ok());
  CHECK(openArray(ours + ":ids").ok());
  CHECK_FALSE(openArray(ours, "nope").ok());
  // Deflated members load too (into memory).
  writeBytes(tmp.file("c.npz"), std::string(reinterpret_cast<const char*>(kCompressedNpz), sizeof(kCompressedNpz)));
  auto c = openArray(tmp.file("c.npz"), "b");
  REQUIRE(c.ok());
  CHECK((*c)->rows() == 3000);
}

TEST_CASE("TensorProto .pb files are data too", "[exec][data]") {
  TempDir tmp;
  Tensor t = randomTensor({2, 3}, 4);
  onnx::TensorProto proto;
  writeTensor(t, proto);
  writeBytes(tmp.file("x.pb"), proto.SerializeAsString());
  auto src = openArray(tmp.file("x.pb"));
  REQUIRE(src.ok());
  CHECK((*src)->dims() == std::vector<int64_t>{2, 3});
}

TEST_CASE("batches stream from disk with per-channel preprocessing", "[exec][data]") {
  TempDir tmp;
  // 6000 uint8 "images" [N,3,4,4]; value = (n + c * 7 + pixel) % 256.
  const int64_t N = 6000;
  Tensor imgs(DType::Uint8, {N, 3, 4, 4});
  for (int64_t i = 0; i < imgs.numel(); ++i) {
    int64_t n = i / 48, c = (i / 16) % 3, p = i % 16;
    imgs.data<uint8_t>()[i] = static_cast<uint8_t>((n + c * 7 + p) % 256);
  }
  REQUIRE(writeNpy(tmp.file("imgs.npy"), imgs).ok());
  Preprocess pre;
  pre.scale = 1.0f / 255;
  pre.mean = {0.5f, 0.25f, 0.0f};
  pre.std = {0.5f, 0.25f, 2.0f};
  auto loader = BatchLoader::create(*openArray(tmp.file("imgs.npy")), input({-1, 3, 4, 4}), pre);
  REQUIRE(loader.ok());
  Tensor batch;
  int64_t seen = 0, batches = 0;
  for (;;) {
    auto more = (*loader)->next(256, batch);
    REQUIRE(more.ok());
    if (!*more) break;
    ++batches;
    REQUIRE(batch.dtype() == DType::Float);
    for (int64_t i = 0; i < batch.numel(); i += 37) {
      int64_t n = seen + i / 48, c = (i / 16) % 3, p = i % 16;
      float raw = static_cast<float>((n + c * 7 + p) % 256);
      CHECK(batch.data<float>()[i] == Approx((raw / 255 - pre.mean[c]) / pre.std[c]).margin(1e-5));
    }
    seen += batch.dims()[0];
  }
  CHECK(seen == N);
  CHECK(batches == (N + 255) / 256);
  CHECK(batch.dims()[0] == N % 256);
}

TEST_CASE("data that does not fit the model input gets clear errors", "[exec][data]") {
  TempDir tmp;
  REQUIRE(writeNpy(tmp.file("x.npy"), Tensor(DType::Uint8, {10, 28, 28})).ok());
  auto r1 = BatchLoader::create(*openArray(tmp.file("x.npy")), input({-1, 1, 28, 28}));
  REQUIRE_FALSE(r1.ok());
  CHECK(r1.error().code() == Exit::Input);
  CHECK_THAT(r1.error().message(), Catch::Contains("rank 3, expected 4") && Catch::Contains("input"));
  REQUIRE(writeNpy(tmp.file("y.npy"), Tensor(DType::Uint8, {10, 1, 28, 27})).ok());
  auto r2 = BatchLoader::create(*openArray(tmp.file("y.npy")), input({-1, 1, 28, 28}));
  REQUIRE_FALSE(r2.ok());
  CHECK_THAT(r2.error().message(), Catch::Contains("dim 3 is 27, expected 28"));
  REQUIRE(writeNpy(tmp.file("f.npy"), Tensor(DType::Float, {10, 4})).ok());
  auto r3 = BatchLoader::create(*openArray(tmp.file("f.npy")), input({-1, 4}, DType::Int64));
  REQUIRE_FALSE(r3.ok());
  CHECK_THAT(r3.error().message(), Catch::Contains("int64"));
  Preprocess pre;
  pre.mean = {0.1f, 0.2f};
  auto r4 = BatchLoader::create(*openArray(tmp.file("f.npy")), input({-1, 4}), pre);
  REQUIRE_FALSE(r4.ok());
  CHECK_THAT(r4.error().message(), Catch::Contains("--mean has 2 values for 4 channels"));
  CHECK_FALSE(openArray(tmp.file("missing.npy")).ok());
}

TEST_CASE("labels and float lists", "[exec][data]") {
  TempDir tmp;
  Tensor l(DType::Uint8, {4});
  l.data<uint8_t>()[2] = 9;
  REQUIRE(writeNpy(tmp.file("l.npy"), l).ok());
  auto labels = readLabels(tmp.file("l.npy"));
  REQUIRE(labels.ok());
  CHECK(*labels == std::vector<int64_t>{0, 0, 9, 0});
  REQUIRE(writeNpy(tmp.file("bad.npy"), Tensor(DType::Int64, {4, 2})).ok());
  CHECK_FALSE(readLabels(tmp.file("bad.npy")).ok());
  CHECK(*parseFloatList("0.485,0.456,0.406", "--mean") == std::vector<float>{0.485f, 0.456f, 0.406f});
  CHECK_FALSE(parseFloatList("0.4,x", "--mean").ok());
}
