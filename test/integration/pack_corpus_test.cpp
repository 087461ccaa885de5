// unpack(pack(m)) == m as a protobuf message for every ONNX node-test model (Debian libonnx-testdata)
// with every codec, extracting every tensor pack can take (min_tensor_bytes = 0) so the small and
// oddly typed tensors of the corpus go through each codec too.
#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "lib/ir/onnx_io.h"
#include "lib/pack/pack.h"
#include "test/support/test_support.h"

using namespace dnnc;
namespace fs = std::filesystem;

TEST_CASE("pack/unpack round-trips every ONNX node-test model with every codec") {
  fs::path root = fs::path(DNNC_ONNX_TESTDATA) / "node";
  if (!fs::exists(root)) FAIL("libonnx-testdata is not installed (make test installs it)");
  std::vector<fs::path> models;
  for (const auto& e : fs::directory_iterator(root))
    if (fs::exists(e.path() / "model.onnx")) models.push_back(e.path() / "model.onnx");
  std::sort(models.begin(), models.end());
  REQUIRE(models.size() > 900);
  const std::vector<std::string> codecs = pack::codecRequestNames();
  int packs = 0, with_tensors = 0;
  uint64_t tensors = 0;
  for (const auto& path : models) {
    onnx::ModelProto orig;
    REQUIRE(orig.ParseFromString(test::readBytes(path.string())));
    bool any = false;
    for (const auto& c : codecs) {
      pack::PackOptions o;
      o.codec = *pack::parseCodecRequest(c);
      o.min_tensor_bytes = 0;
      auto packed = pack::packModel(orig, o);
      INFO(path.string() << " " << c);
      REQUIRE(packed.ok());
      auto back = pack::unpackModel(packed->bytes());
      INFO((back.ok() ? std::string() : back.error().message()));
      REQUIRE(back.ok());
      REQUIRE(google::protobuf::util::MessageDifferencer::Equals(orig, *back));
      ++packs;
      tensors += packed->report["tensors"].size();
      any |= !packed->report["tensors"].empty();
    }
    with_tensors += any;
  }
  WARN("pack corpus: " << models.size() << " models (" << with_tensors << " with extracted tensors), " << packs
                       << " exact round trips, " << tensors << " tensors coded");
  CHECK(with_tensors > 100);
}
