// Every random choice derives from --seed: the same seed gives a byte-identical model, another seed
// another one, and a pass's own seed= wins over --seed.
#include <catch2/catch.hpp>

#include "test/support/test_support.h"

using namespace dnnc::test;

namespace {

// The model `dnnc run` writes after a short fine-tune of LeNet-300-100 on 256 bundled training images
// (batch 32: the shuffled order decides every step).
std::string finetuned(const std::string& pass, const std::string& seed, const std::string& tag) {
  const std::string out = scratchDir("seed") + "/" + tag + ".onnx";
  auto r = runDnnc({"run", testData("lenet300.onnx"), "-o", out, "--force", "--passes", pass, "--data",
                    testData("fashion_train_5000_images.npy"), "--labels", testData("fashion_train_5000_labels.npy"),
                    "--scale", "1/255", "--mean", "0.2860", "--std", "0.3530", "--limit", "256", "--seed", seed,
                    "--threads", "1", "-q"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return readBytes(out);
}

}  // namespace

TEST_CASE("finetune shuffles from --seed unless given seed=") {
  const std::string pass = "finetune(epochs=1,batch=32)";
  const std::string a = finetuned(pass, "1", "a");
  REQUIRE(!a.empty());
  CHECK(finetuned(pass, "1", "a_again") == a);  // same --seed: byte-identical
  CHECK(finetuned(pass, "2", "b") != a);        // another --seed: another order, other weights
  // Unset seed= is --seed: --seed 1 alone equals seed=1 under another --seed.
  CHECK(finetuned("finetune(epochs=1,batch=32,seed=1)", "5", "explicit") == a);
  // An explicit seed= wins over --seed.
  CHECK(finetuned("finetune(epochs=1,batch=32,seed=3)", "1", "c1") ==
        finetuned("finetune(epochs=1,batch=32,seed=3)", "2", "c2"));
}

TEST_CASE("prune-obd's retraining rounds shuffle from --seed") {
  const std::string pass = "prune-obd(sparsity=0.5,finetune-epochs=1,batch=32,calib-samples=64)";
  const std::string a = finetuned(pass, "1", "obd_a");
  CHECK(finetuned(pass, "1", "obd_a_again") == a);
  CHECK(finetuned(pass, "2", "obd_b") != a);
}
