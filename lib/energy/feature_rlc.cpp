#include "lib/energy/feature_rlc.h"

#include <map>

#include "formats/entropy.h"
#include "formats/rlc.h"
#include "lib/ir/node.h"
#include "lib/ir/op_traits.h"

namespace dnnc::energy {

namespace {

class RlcObserver : public NodeObserver {
 public:
  void beforeNode(int index, const onnx::NodeProto& node, std::span<const Value* const> inputs) override {
    const std::string& op = node.op_type();
    if (!isDefaultDomain(node) || !isDenseLayerRule(layerRule(op))) return;
    if (inputs.empty() || !inputs[0] || inputs[0]->dtype != DType::Float || inputs[0]->rank() < 1) return;
    const Value& v = *inputs[0];
    auto [it, fresh] = slots_.try_emplace(index);
    Slot& s = it->second;
    if (fresh) {
      s.r.node = nodeLabel(node);
      s.r.op = op;
      s.r.value = node.input(0);
      order_.push_back(index);
    }
    const int64_t batch = v.dims[0];
    const int64_t per = batch > 0 ? v.numel() / batch : 0;
    const float* x = v.as<float>();
    if (int64_t(s.gap_counts.size()) < per) s.gap_counts.resize(size_t(per), 0);
    for (int64_t b = 0; b < batch; ++b) {
      const float* p = x + b * per;
      s.r.rlc_bits += formats::rlcEncodedBits(p, size_t(per));
      uint64_t run = 0;
      for (int64_t i = 0; i < per; ++i) {
        if (p[i] == 0.0f) { ++run; continue; }
        ++s.gap_counts[run];
        ++s.nonzeros;
        run = 0;
      }
    }
    s.r.samples += batch;
    s.r.elements += batch * per;
  }

  std::vector<FeatureRlc> results() const {
    std::vector<FeatureRlc> out;
    for (int index : order_) {
      const Slot& s = slots_.at(index);
      FeatureRlc r = s.r;
      r.zeros = r.elements - int64_t(s.nonzeros);
      r.entropy_bits = formats::entropyBits(s.gap_counts) + 16.0 * double(s.nonzeros);
      out.push_back(r);
    }
    return out;
  }

 private:
  struct Slot {
    FeatureRlc r;
    std::vector<uint64_t> gap_counts;  // zeros before each nonzero, within a sample
    uint64_t nonzeros = 0;
  };
  std::map<int, Slot> slots_;
  std::vector<int> order_;
};

}  // namespace

Expected<std::vector<FeatureRlc>> measureFeatureRlc(Executor& exec, BatchLoader& loader, int64_t batch) {
  RlcObserver obs;
  ExecRunOptions opts;
  opts.observer = &obs;
  Tensor in;
  loader.rewind();
  while (true) {
    DNNC_ASSIGN(bool more, loader.next(batch, in));
    if (!more) break;
    DNNC_TRY(exec.run({&in}, opts));
  }
  return obs.results();
}

}  // namespace dnnc::energy
