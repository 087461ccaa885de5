// Tape construction (slots for every value, an Op per node, which values need gradients), the forward
// and reverse sweeps, and writing trained parameters back into the model.
#include "lib/ir/node.h"
#include "lib/train/tape.h"

#include <omp.h>

#include <Eigen/Core>

#include "lib/train/op.h"
#include "lib/train/ops/registry.h"

namespace dnnc::train {

Tape::~Tape() = default;

namespace {

template <class T>
std::vector<int64_t> widen(const Tensor& tensor) {
  auto v = tensor.span<T>();
  return std::vector<int64_t>(v.begin(), v.end());
}

// Every integer dtype's values, exactly (through float, uint32 and 64-bit values would round).
std::vector<int64_t> integerValues(const Tensor& tensor) {
  switch (tensor.dtype()) {
    case DType::Int8: return widen<int8_t>(tensor);
    case DType::Uint8: return widen<uint8_t>(tensor);
    case DType::Int16: return widen<int16_t>(tensor);
    case DType::Uint16: return widen<uint16_t>(tensor);
    case DType::Int32: return widen<int32_t>(tensor);
    case DType::Int64: return widen<int64_t>(tensor);
    case DType::Uint32: return widen<uint32_t>(tensor);
    case DType::Uint64: return widen<uint64_t>(tensor);  // values past 2^63 wrap; no index or shape holds one
    case DType::Bool: {
      const auto* b = reinterpret_cast<const uint8_t*>(tensor.rawData());
      return std::vector<int64_t>(b, b + tensor.numel());
    }
    default: DNNC_CHECK(false, "integerValues: ", dtypeName(tensor.dtype()), " is not an integer type");
  }
  return {};
}

}  // namespace

struct TapeBuilder {
  Tape& t;
  const Model& model;
  std::map<std::string, int> readers;  // value name -> how many node inputs and graph outputs read it
  std::map<int, size_t> producer;      // slot -> the op (index in t.ops_) whose output 0 it is

  int slotFor(const std::string& name) {
    auto it = t.slot_of_.find(name);
    if (it != t.slot_of_.end()) return it->second;
    int id = static_cast<int>(t.slots_.size());
    t.slots_.emplace_back();
    t.slots_.back().name = name;
    t.slot_of_[name] = id;
    return id;
  }

  Status constant(const std::string& name, const onnx::TensorProto& proto) {
    DNNC_ASSIGN(Tensor tensor, readTensor(proto, model.base_dir));
    Slot& s = t.slots_[slotFor(name)];
    s.is_const = true;
    if (!isFloating(tensor.dtype())) {
      // Shapes, indices (a shared layer's uint8 codebook indices), bounds: integer values, never trained.
      s.is_int = true;
      s.int_dims = tensor.dims();
      s.ints = integerValues(tensor);
    } else {
      s.val.dims = tensor.dims();
      s.val.v = tensor.toFloats();
      s.frozen = tensor.dtype() != DType::Float;  // float16/double weights stay as they are
    }
    return {};
  }

  // A Relu or Clip that alone reads a value whose producer can apply it (Op::fuseClamp): the producer
  // writes the activation's output instead, and the pre-activation slot stays empty and gradient-free.
  // BatchNormalization -> ReLU6 fused: MobileNetV2's training step 5 % faster (benchmarks.md).
  bool fuseIntoProducer(const onnx::NodeProto& node, int64_t opset) {
    if (!t.options_.fuse_activations || node.input_size() < 1 || node.output_size() != 1) return false;
    auto in = t.slot_of_.find(node.input(0));
    if (in == t.slot_of_.end() || readers[node.input(0)] != 1) return false;
    const int pre = in->second;
    auto p = producer.find(pre);
    if (p == producer.end()) return false;
    auto clamp = clampOf(node, opset, [&](const std::string& name) -> const Slot* {
      auto it = t.slot_of_.find(name);
      return it == t.slot_of_.end() ? nullptr : &t.slots_[it->second];
    });
    if (!clamp || !t.ops_[p->second]->fuseClamp(*clamp)) return false;
    const int id = slotFor(node.output(0));
    t.slots_[id].needs_grad = t.slots_[pre].needs_grad;
    t.slots_[pre].needs_grad = false;
    t.ops_[p->second]->out[0] = id;
    producer[id] = p->second;
    producer.erase(pre);
    return true;
  }

  Status build() {
    const auto& g = model.graph();
    const int64_t opset = model.opsetVersion();
    for (const auto& node : g.node())
      for (const auto& name : node.input()) ++readers[name];
    for (const auto& out : g.output()) ++readers[out.name()];
    for (const auto& init : g.initializer()) DNNC_TRY(constant(init.name(), init));
    for (const auto& in : g.input()) {
      if (t.slot_of_.count(in.name())) continue;
      if (t.input_ >= 0) return Error(Exit::Input, "training needs a model with one data input; '", in.name(), "' is a second one");
      t.input_ = slotFor(in.name());
    }
    if (t.input_ < 0) return Error(Exit::Input, "the model has no data input");
    if (g.output_size() == 0) return Error(Exit::Input, "the model has no output");
    for (const auto& node : g.node()) {
      if (node.op_type() == "Constant" && isDefaultDomain(node)) {
        const auto* a = findAttr(node, "value");
        if (!a || !a->has_t()) return Error(Exit::Input, "Constant node '", node.name(), "': only a tensor 'value' is supported for training");
        DNNC_TRY(constant(node.output(0), a->t()));
        continue;
      }
      if (fuseIntoProducer(node, opset)) continue;
      DNNC_ASSIGN(auto op, makeOp(node, opset));
      bool any_grad = false;
      for (int i = 0; i < node.input_size(); ++i) {
        if (node.input(i).empty()) {
          op->in.push_back(-1);
          continue;
        }
        auto it = t.slot_of_.find(node.input(i));
        if (it == t.slot_of_.end()) return Error(Exit::Input, op->where, ": input '", node.input(i), "' is not produced before it");
        Slot& s = t.slots_[it->second];
        op->in.push_back(it->second);
        const InputRole role = op->role(i);
        if (s.is_int && role != InputRole::Constant && !op->takesIntegers())
          return Error(Exit::Input, op->where, ": input '", node.input(i), "' holds integers, which training computes on only in "
                       "Cast, Shape, Gather, Concat and Unsqueeze");
        if (s.is_const && !s.is_int && !s.frozen && role == InputRole::Trainable && !s.is_param) {
          s.is_param = s.needs_grad = true;
          s.param_index = static_cast<int>(t.params_.size());
          t.params_.push_back(it->second);
        }
        if (s.is_const && !s.is_int && !s.frozen && role == InputRole::Buffer &&
            std::find(t.buffers_.begin(), t.buffers_.end(), it->second) == t.buffers_.end())
          t.buffers_.push_back(it->second);
        if (s.is_param && (s.val.rank() >= 2 || (node.op_type() == "Gather" && i == 0))) s.prunable = true;
        if (role == InputRole::Trainable && s.needs_grad) any_grad = true;
      }
      // Integer outputs (shapes, indices) are constants to training: no gradient reaches or leaves them.
      const bool int_out = op->integerOutput(t);
      for (int i = 0; i < node.output_size(); ++i) {
        if (node.output(i).empty()) {
          op->out.push_back(-1);
          continue;
        }
        int id = slotFor(node.output(i));
        t.slots_[id].is_int = int_out;
        t.slots_[id].needs_grad = any_grad && i == 0 && !int_out;
        op->out.push_back(id);
      }
      if (!op->out.empty() && op->out[0] >= 0) producer[op->out[0]] = t.ops_.size();
      t.ops_.push_back(std::move(op));
    }
    auto it = t.slot_of_.find(g.output(0).name());
    if (it == t.slot_of_.end()) return Error(Exit::Input, "output '", g.output(0).name(), "' is not computed by the graph");
    t.output_ = it->second;
    return {};
  }
};

Expected<std::unique_ptr<Tape>> Tape::create(const Model& model, const TapeOptions& options) {
  std::unique_ptr<Tape> t(new Tape());
  t->options_ = options;
  t->threads_ = options.threads > 0 ? options.threads : omp_get_max_threads();
  t->rng_.seed(options.seed);
  TapeBuilder b{*t, model, {}, {}};
  DNNC_TRY(b.build());
  return t;
}

Status Tape::forward(const Buf& x, Phase phase) {
  phase_ = phase;
  // Conv splits its GEMMs over threads itself; the dense layers' GEMMs are small.
  Eigen::setNbThreads(1);
  slots_[input_].val = x;
  for (auto& op : ops_) DNNC_TRY(op->forward(*this));
  return {};
}

void Tape::seedGrad(const Buf& g) {
  // Sized here, zeroed by backward() just before their first use: zeroing all of them up front wrote
  // tens of MB that had left the cache again by the time the reverse sweep reached them.
  for (Slot& s : slots_)
    if (s.needs_grad) {
      s.grad.dims = s.val.dims;
      s.grad.v.resize(s.val.v.size());
    }
  Slot& o = slots_[output_];
  o.grad = g;
}

void Tape::backward(Mode mode) {
  Eigen::setNbThreads(1);
  // A gradient buffer starts at zero when the sweep first touches it (the seeded output is ready); an
  // op that overwrites a whole input gradient skips the zeroing (gradBufferForWrite).
  ready_.assign(slots_.size(), 0);
  ready_[output_] = 1;
  for (auto it = ops_.rbegin(); it != ops_.rend(); ++it) {
    Op& op = **it;
    if (op.out.empty() || op.out[0] < 0 || !slots_[op.out[0]].needs_grad) continue;
    for (int o : op.out)
      if (o >= 0) gradBuffer(o);
    op.backward(*this, mode);
  }
  for (int i = 0; i < static_cast<int>(slots_.size()); ++i) gradBuffer(i);  // parameters no op reached
}

float* Tape::gradBuffer(int i) {
  Slot& s = slots_[i];
  if (!s.needs_grad) return nullptr;
  if (!ready_[i]) {
    s.grad.zero();
    ready_[i] = 1;
  }
  return s.grad.data();
}

float* Tape::gradBufferForWrite(int i, bool* fresh) {
  Slot& s = slots_[i];
  *fresh = false;
  if (!s.needs_grad) return nullptr;
  if (!ready_[i]) {
    ready_[i] = 1;
    *fresh = true;
  }
  return s.grad.data();
}

std::vector<std::pair<std::string, const Buf*>> Tape::buffers() const {
  std::vector<std::pair<std::string, const Buf*>> out;
  for (int b : buffers_) out.emplace_back(slots_[b].name, &slots_[b].val);
  return out;
}

Status Tape::writeBack(Model& model) const {
  std::map<std::string, const Buf*> values;
  for (int p : params_) values[slots_[p].name] = &slots_[p].val;
  for (int b : buffers_) values[slots_[b].name] = &slots_[b].val;
  for (auto& init : *model.graph().mutable_initializer()) {
    auto it = values.find(init.name());
    if (it == values.end()) continue;
    writeTensor(Tensor::fromFloats(it->second->v, it->second->dims), init);
  }
  return {};
}

}  // namespace dnnc::train
