// The ONNX backend node-test models (Debian libonnx-testdata): every one loads, passes `info`, survives
// `dce` unchanged, and round-trips through save exactly.
#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "cli/layer_table_text.h"
#include "lib/analysis/layer_table.h"
#include "lib/ir/onnx_io.h"
#include "lib/pass/pipeline.h"
#include "passes/registry.h"
#include "test/support/test_support.h"

using namespace dnnc;
namespace fs = std::filesystem;

TEST_CASE("every ONNX node-test model loads, passes info, and survives dce unchanged") {
  fs::path root = fs::path(DNNC_ONNX_TESTDATA) / "node";
  if (!fs::exists(root)) FAIL("libonnx-testdata is not installed (make test installs it)");
  std::vector<fs::path> models;
  for (const auto& e : fs::directory_iterator(root))
    if (fs::exists(e.path() / "model.onnx")) models.push_back(e.path() / "model.onnx");
  std::sort(models.begin(), models.end());
  REQUIRE(models.size() > 900);
  auto dce = parsePipeline("dce", builtinPasses());
  REQUIRE(dce.ok());
  int loaded = 0, infos = 0, unchanged = 0, dead_removed = 0, roundtrips = 0;
  std::string dir = test::scratchDir("corpus");
  for (const auto& path : models) {
    INFO(path.string());
    auto model = loadModel(path.string());
    REQUIRE(model.ok());
    ++loaded;
    auto table = buildLayerTable(*model);
    REQUIRE(table.ok());
    cli::formatLayerTable(*table);
    ++infos;
    Model after = *model;
    PassContext ctx;
    auto report = runPipeline(after, *dce, builtinPasses(), ctx);
    REQUIRE(report.ok());
    if (google::protobuf::util::MessageDifferencer::Equals(model->proto, after.proto)) {
      ++unchanged;
    } else {
      // A few expanded-function tests hold a node whose output nothing reads: removing it is right.
      // Then only such nodes may be gone, and every output still has its producer.
      REQUIRE((*report)[0]["summary"]["initializers_removed"] == 0);
      std::set<std::string> read;
      for (const auto& n : after.proto.graph().node())
        for (const auto& i : n.input()) read.insert(i);
      for (const auto& o : after.proto.graph().output()) read.insert(o.name());
      int removed = 0;
      for (const auto& n : model->proto.graph().node()) {
        bool kept = false;
        for (const auto& m : after.proto.graph().node()) kept |= m.SerializeAsString() == n.SerializeAsString();
        if (kept) continue;
        ++removed;
        for (const auto& o : n.output()) CHECK(read.count(o) == 0);
      }
      CHECK(removed == (*report)[0]["summary"]["nodes_removed"].get<int>());
      ++dead_removed;
    }
    SaveOptions opts;
    opts.check = false;  // some node tests use ops this ONNX release's checker does not know
    REQUIRE(saveModel(*model, dir + "/m.onnx", opts).ok());
    onnx::ModelProto back, orig;
    REQUIRE(back.ParseFromString(test::readBytes(dir + "/m.onnx")));
    REQUIRE(orig.ParseFromString(test::readBytes(path.string())));
    CHECK(google::protobuf::util::MessageDifferencer::Equals(orig, back));
    ++roundtrips;
  }
  WARN("ONNX node-test corpus: " << models.size() << " models, " << loaded << " loaded, " << infos << " info, "
                                 << unchanged << " unchanged by dce, " << dead_removed
                                 << " with only dead nodes removed by dce, " << roundtrips << " round-trips");
}
