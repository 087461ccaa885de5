#include "lib/exec/executor.h"

#include <omp.h>
#include <sys/mman.h>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>

#include "lib/exec/kernel.h"
#include "lib/exec/memory_plan.h"
#include "lib/exec/ops/batch_normalization.h"
#include "lib/ir/node.h"
#include "lib/ir/op_traits.h"

namespace dnnc {

Expected<Tensor> evalConstantNode(const NodeInfo& info);  // lib/exec/ops/constant.cpp

namespace {

constexpr int kForever = std::numeric_limits<int>::max();

// Where empty tensors point, so that a null data pointer always means "not produced".
alignas(64) std::byte kEmptyData[64];

void* dataOf(const Tensor& t) { return t.sizeBytes() ? const_cast<std::byte*>(t.rawData()) : kEmptyData; }

enum class Kind { Intermediate, Input, Constant };

struct ValueRec {
  std::string name;
  Kind kind = Kind::Intermediate;
  int producer = -1;      // node index
  int index = -1;         // input position or constant index
  bool released = false;  // a constant only folded nodes read: its bytes were freed at build
};

struct NodeRec {
  const onnx::NodeProto* proto = nullptr;
  std::unique_ptr<Kernel> kernel;  // null for Constant nodes and nodes folded at build
  std::vector<int> in, out;        // value ids, -1 for an absent optional one
};

// A run's schedule for one fetch list and input shapes, with the arena layout learnt from a run.
struct Plan {
  std::vector<int> order;                 // node indices, graph order
  std::vector<int> step_of_node;          // node index -> step, -1 when not run
  std::vector<int> last_use;              // value id -> last step reading it (kForever for fetched)
  std::vector<std::vector<int>> release;  // step -> values whose last reader is that step
  std::vector<int> fetch;                 // value ids
  bool laid_out = false;
  std::vector<size_t> slot_bytes, slot_offset;  // by allocation order within a run
  size_t arena_bytes = 0;
  uint64_t last_used = 0;
};

// Buffers of a megabyte or more come straight from mmap, so freeing them returns the memory to the
// system at once: malloc would keep the first (learning) run's buffers in its heap, and the planned arena
// would then come on top of them.
struct BufferDeleter {
  size_t mapped = 0;  // bytes mapped, 0 for malloc
  void operator()(std::byte* p) const {
    if (mapped) munmap(p, mapped);
    else std::free(p);
  }
};
using AlignedPtr = std::unique_ptr<std::byte, BufferDeleter>;

AlignedPtr alignedAlloc(size_t bytes) {
  bytes = (std::max<size_t>(bytes, 64) + 63) / 64 * 64;
  if (bytes >= (size_t{1} << 20)) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    DNNC_CHECK(p != MAP_FAILED, "out of memory mapping ", bytes, " bytes");
    return AlignedPtr(static_cast<std::byte*>(p), BufferDeleter{bytes});
  }
  void* p = std::aligned_alloc(64, bytes);
  DNNC_CHECK(p != nullptr, "out of memory allocating ", bytes, " bytes");
  return AlignedPtr(static_cast<std::byte*>(p), BufferDeleter{0});
}

struct RtBuffer {
  size_t bytes = 0;
  int first = 0, last = 0;
  int refs = 0;
  std::byte* ptr = nullptr;
  AlignedPtr heap;  // set when not in the arena
};

std::string valueInfoString(const ValueInfo& v) {
  if (!v.has_shape) return dtypeName(v.dtype);
  std::string s = "[";
  for (size_t i = 0; i < v.dims.size(); ++i) {
    if (i) s += ",";
    s += (v.dims[i] < 0 ? std::string("?") : std::to_string(v.dims[i]));
  }
  return s + "] " + dtypeName(v.dtype);
}

Expected<ValueInfo> valueInfoOf(const onnx::ValueInfoProto& vi) {
  ValueInfo info;
  info.name = vi.name();
  if (!vi.has_type() || !vi.type().has_tensor_type())
    return Error(Exit::Input, "value '", vi.name(), "' is not a tensor (sequences, maps and optionals are not supported)");
  const auto& tt = vi.type().tensor_type();
  info.dtype = dtypeFromOnnx(tt.elem_type());
  if (info.dtype == DType::Undefined && tt.elem_type() != 0)
    return Error(Exit::Input, "value '", vi.name(), "' has unsupported element type ", tt.elem_type());
  if (tt.has_shape()) {
    info.has_shape = true;
    for (const auto& d : tt.shape().dim()) info.dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
  }
  return info;
}


// Whether a node is run once at build rather than on every call: all its inputs are constants, and its
// result cannot change from call to call (no random op, no subgraph).
bool foldsAtBuild(const onnx::NodeProto& n, const std::vector<int>& in, const std::vector<ValueRec>& values) {
  const std::string& op = n.op_type();
  if (op.rfind("Random", 0) == 0 || op == "Bernoulli" || op == "Multinomial" || op == "Dropout") return false;
  if (hasSubgraph(n) || in.empty()) return false;
  for (int v : in)
    if (v >= 0 && values[v].kind != Kind::Constant) return false;
  for (const auto& o : n.output())
    if (o.empty()) return false;
  return true;
}

// A float Clip's bounds {lo, hi} when they are known at build (attributes before opset 11, constant
// scalar inputs after; an absent one is unbounded), else empty.
std::vector<float> constantClipBounds(const NodeInfo& info) {
  float b[2] = {-std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity()};
  if (info.opset() < 11) {
    b[0] = info.attrFloat("min", b[0]);
    b[1] = info.attrFloat("max", b[1]);
    return {b[0], b[1]};
  }
  for (int i = 1; i <= 2; ++i) {
    if (!info.hasInput(i)) continue;
    const Tensor* t = info.constant(i);
    if (!t || t->dtype() != DType::Float || t->numel() != 1) return {};
    b[i - 1] = t->data<float>()[0];
  }
  return {b[0], b[1]};
}

}  // namespace

std::string dimsToString(std::span<const int64_t> dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

std::string describe(DType dtype, std::span<const int64_t> dims) { return dimsToString(dims) + " " + dtypeName(dtype); }

Tensor Value::toTensor() const {
  Tensor t(dtype, dims);
  if (t.sizeBytes()) std::memcpy(t.rawData(), data, t.sizeBytes());
  return t;
}

// ---------------------------------------------------------------------------------------------------

class ExecState;

class Executor::Impl {
 public:
  ExecOptions options;
  int threads = 1;
  onnx::GraphProto graph;  // a copy: the executor outlives nothing it points into
  std::string source;
  std::vector<ValueRec> values;
  std::unordered_map<std::string, int> ids;
  std::vector<NodeRec> nodes;
  std::vector<Tensor> constants;
  std::vector<ValueInfo> inputs, outputs;
  std::vector<int> input_ids, output_ids;
  std::vector<const char*> kernel_choice;  // node -> noteKernel() of its last run, or nullptr
  std::vector<int> relu_reader;  // value id -> the Relu node that is its only reader, else -1
  // value id -> the BatchNormalization node that is its only reader and has a constant affine, else -1
  std::vector<int> bn_reader;
  std::vector<std::vector<float>> bn_affine;  // node -> ops::inferenceBatchNormAffine (empty: none)
  // value id -> the Mul node that is its only reader and multiplies it by its producer's input (x * f(x)
  // of a Sigmoid or HardSigmoid), else -1
  std::vector<int> gate_reader;
  // value id -> the Clip node that is its only reader and has constant bounds, else -1
  std::vector<int> clip_reader;
  std::vector<std::vector<float>> clip_bounds;  // node -> a Clip's constant {lo, hi} (empty: not constant)

  // Per-run state, reused between runs.
  std::vector<Value> rt_values;
  std::vector<int> rt_buffer;  // value id -> buffer, -1 for external data
  std::vector<RtBuffer> rt_buffers;
  std::vector<char> rt_rectified;  // value id -> its producer applied the following Relu (fuseRelu)
  std::vector<char> rt_normalized;  // value id -> its producer applied the following BN (fuseBatchNorm)
  std::vector<char> rt_gated;  // value id -> its producer applied the following Mul (fuseGate)
  std::vector<char> rt_clipped;  // value id -> its producer applied the following Clip (fuseClip)
  AlignedPtr arena;
  size_t arena_capacity = 0;
  AlignedPtr scratch;
  size_t scratch_capacity = 0;
  std::map<std::string, Plan> plans;
  Plan fold_plan;  // foldAtBuild's one-node schedule, kept so that each fold sets only its own entries
  uint64_t run_counter = 0;
  size_t last_arena_bytes = 0;

  int valueId(const std::string& name) {
    auto [it, inserted] = ids.emplace(name, static_cast<int>(values.size()));
    if (inserted) values.push_back({name});
    return it->second;
  }
  Status build(const Model& model);
  bool foldAtBuild(int node);
  // Sizes the per-run tables to the values and nodes built so far, new entries at their defaults.
  void sizeRunTables();
  void releaseConstant(int value_id);
  Expected<Plan*> planFor(std::span<const Tensor* const> inputs, const std::vector<int>& fetch);
  Expected<std::vector<Tensor>> run(std::span<const Tensor* const> inputs, const ExecRunOptions& options);
  float* scratchFloats(size_t n) {
    size_t bytes = n * sizeof(float);
    if (bytes > scratch_capacity) {
      scratch = alignedAlloc(bytes);
      scratch_capacity = bytes;
    }
    return reinterpret_cast<float*>(scratch.get());
  }
};

class ExecState {
 public:
  ExecState(Executor::Impl& impl, Plan& plan) : impl(impl), plan(plan) {}
  Executor::Impl& impl;
  Plan& plan;
  int step = 0;
  bool plan_broken = false;
  bool observed = false;  // a NodeObserver sees every value: no fusion

  const NodeRec& node(int n) const { return impl.nodes[n]; }

  Value& allocate(int value_id, DType dtype, std::span<const int64_t> dims) {
    Value& v = impl.rt_values[value_id];
    v.dtype = dtype;
    v.dims.assign(dims.begin(), dims.end());
    size_t bytes = v.sizeBytes();
    size_t seq = impl.rt_buffers.size();
    RtBuffer& b = impl.rt_buffers.emplace_back();
    b.bytes = bytes;
    b.first = b.last = step;
    b.refs = 1;
    if (plan.laid_out && seq < plan.slot_bytes.size() && bytes <= plan.slot_bytes[seq]) {
      b.ptr = impl.arena.get() + plan.slot_offset[seq];
    } else {
      if (plan.laid_out) plan_broken = true;
      b.heap = alignedAlloc(bytes);
      b.ptr = b.heap.get();
    }
    impl.rt_buffer[value_id] = static_cast<int>(seq);
    v.data = b.ptr;
    return v;
  }

  void release(int value_id) {
    int b = impl.rt_buffer[value_id];
    if (b < 0) return;
    RtBuffer& buf = impl.rt_buffers[b];
    buf.last = std::max(buf.last, step);
    if (--buf.refs == 0) buf.heap.reset();
  }
};

// --- KernelContext ------------------------------------------------------------------------------------

int KernelContext::numInputs() const { return static_cast<int>(state_.node(node_).in.size()); }
bool KernelContext::hasInput(int i) const {
  return i < numInputs() && state_.node(node_).in[i] >= 0;
}
const Value& KernelContext::input(int i) const {
  DNNC_CHECK(hasInput(i), where(), ": input ", i, " is absent");
  return state_.impl.rt_values[state_.node(node_).in[i]];
}
int KernelContext::numOutputs() const { return static_cast<int>(state_.node(node_).out.size()); }
bool KernelContext::wantsOutput(int i) const {
  if (i >= numOutputs()) return false;
  int v = state_.node(node_).out[i];
  return v >= 0 && state_.plan.last_use[v] > state_.step;
}

Value& KernelContext::output(int i, DType dtype, std::span<const int64_t> dims) {
  DNNC_CHECK(i < numOutputs(), where(), ": output ", i, " out of range");
  int v = state_.node(node_).out[i];
  DNNC_CHECK(v >= 0, where(), ": output ", i, " has no name");
  return state_.allocate(v, dtype, dims);
}

Value& KernelContext::outputInPlace(int i, int j, DType dtype, std::span<const int64_t> dims) {
  const NodeRec& n = state_.node(node_);
  int vin = n.in[j];
  int b = vin >= 0 ? state_.impl.rt_buffer[vin] : -1;
  int vout = i < numOutputs() ? n.out[i] : -1;
  if (b >= 0 && vout >= 0 && state_.plan.last_use[vin] == state_.step && state_.impl.rt_buffers[b].refs == 1) {
    const Value& in = state_.impl.rt_values[vin];
    int64_t numel = 1;
    for (int64_t d : dims) numel *= d;
    if (static_cast<size_t>(numel) * dtypeSize(dtype) == in.sizeBytes()) {
      Value& out = state_.impl.rt_values[vout];
      out.dtype = dtype;
      out.dims.assign(dims.begin(), dims.end());
      out.data = in.data;
      state_.impl.rt_buffer[vout] = b;
      state_.impl.rt_buffers[b].refs++;
      return out;
    }
  }
  return output(i, dtype, dims);
}

Value& KernelContext::outputAlias(int i, int j, std::span<const int64_t> dims) {
  const NodeRec& n = state_.node(node_);
  int vin = n.in[j], vout = n.out[i];
  DNNC_CHECK(vin >= 0 && vout >= 0);
  const Value& in = state_.impl.rt_values[vin];
  Value& out = state_.impl.rt_values[vout];
  out.dtype = in.dtype;
  out.dims.assign(dims.begin(), dims.end());
  DNNC_CHECK(out.numel() == in.numel(), where(), ": alias changes the element count");
  out.data = in.data;
  int b = state_.impl.rt_buffer[vin];
  state_.impl.rt_buffer[vout] = b;
  if (b >= 0) state_.impl.rt_buffers[b].refs++;
  return out;
}

bool KernelContext::fuseRelu() {
  if (numOutputs() < 1 || state_.observed) return false;
  int v = state_.node(node_).out[0];
  if (v < 0) return false;
  // After fuseBatchNorm the Relu to fuse reads the BN's output, which passes this kernel's through.
  if (state_.impl.rt_normalized[v]) {
    v = state_.node(state_.impl.bn_reader[v]).out[0];
    if (v < 0) return false;
  }
  if (state_.impl.relu_reader[v] < 0 || state_.plan.last_use[v] == kForever) return false;
  if (state_.plan.step_of_node[state_.impl.relu_reader[v]] <= state_.step) return false;
  state_.impl.rt_rectified[v] = 1;
  return true;
}
bool KernelContext::inputRectified(int i) const {
  return hasInput(i) && state_.impl.rt_rectified[state_.node(node_).in[i]];
}
const float* KernelContext::fuseBatchNorm(int64_t channels) {
  if (numOutputs() < 1 || state_.observed) return nullptr;
  int v = state_.node(node_).out[0];
  if (v < 0 || state_.impl.bn_reader[v] < 0 || state_.plan.last_use[v] == kForever) return nullptr;
  const int bn = state_.impl.bn_reader[v];
  if (state_.plan.step_of_node[bn] <= state_.step) return nullptr;
  const std::vector<float>& affine = state_.impl.bn_affine[bn];
  if (static_cast<int64_t>(affine.size()) != 2 * channels) return nullptr;
  state_.impl.rt_normalized[v] = 1;
  return affine.data();
}
bool KernelContext::inputNormalized(int i) const {
  return hasInput(i) && state_.impl.rt_normalized[state_.node(node_).in[i]];
}
bool KernelContext::fuseClip(float& lo, float& hi) {
  if (numOutputs() < 1 || state_.observed) return false;
  int v = state_.node(node_).out[0];
  if (v < 0) return false;
  if (state_.impl.rt_normalized[v]) {  // the Clip reads the BN's output, which passes this kernel's through
    v = state_.node(state_.impl.bn_reader[v]).out[0];
    if (v < 0) return false;
  }
  const int clip = state_.impl.clip_reader[v];
  if (clip < 0 || state_.plan.last_use[v] == kForever || state_.plan.step_of_node[clip] <= state_.step) return false;
  lo = state_.impl.clip_bounds[clip][0];
  hi = state_.impl.clip_bounds[clip][1];
  state_.impl.rt_clipped[v] = 1;
  return true;
}
bool KernelContext::inputClipped(int i) const {
  return hasInput(i) && state_.impl.rt_clipped[state_.node(node_).in[i]];
}
bool KernelContext::fuseGate() {
  if (numOutputs() < 1 || state_.observed) return false;
  const int v = state_.node(node_).out[0];
  if (v < 0 || state_.impl.gate_reader[v] < 0 || state_.plan.last_use[v] == kForever) return false;
  if (state_.plan.step_of_node[state_.impl.gate_reader[v]] <= state_.step) return false;
  state_.impl.rt_gated[v] = 1;
  return true;
}
bool KernelContext::inputGated(int i) const {
  return hasInput(i) && state_.impl.rt_gated[state_.node(node_).in[i]];
}

SparseMode KernelContext::sparseMode() const { return state_.impl.options.sparse; }
void KernelContext::noteKernel(const char* choice) { state_.impl.kernel_choice[node_] = choice; }

float* KernelContext::scratch(size_t floats) { return state_.impl.scratchFloats(floats); }
int KernelContext::threads() const { return state_.impl.threads; }
std::string KernelContext::where() const {
  const auto& p = *state_.node(node_).proto;
  return strCat(p.op_type(), " node '", nodeLabel(p), "'");
}

// --- NodeInfo ---------------------------------------------------------------------------------------

const onnx::AttributeProto* NodeInfo::attr(const std::string& name) const { return findAttr(node_, name); }
int64_t NodeInfo::attrInt(const std::string& name, int64_t fallback) const { return dnnc::attrInt(node_, name, fallback); }
float NodeInfo::attrFloat(const std::string& name, float fallback) const { return dnnc::attrFloat(node_, name, fallback); }
std::string NodeInfo::attrString(const std::string& name, const std::string& fallback) const {
  return dnnc::attrString(node_, name, fallback);
}
std::vector<int64_t> NodeInfo::attrInts(const std::string& name) const { return dnnc::attrInts(node_, name); }
std::vector<float> NodeInfo::attrFloats(const std::string& name) const { return dnnc::attrFloats(node_, name); }
std::string NodeInfo::where() const { return strCat(node_.op_type(), " node '", nodeLabel(node_), "'"); }

// --- Building -----------------------------------------------------------------------------------------

Status Executor::Impl::build(const Model& model) {
  // Keep the graph's structure, not a second copy of the weights: initializers are read into
  // `constants` below, straight from the model.
  const onnx::GraphProto& full = model.graph();
  graph.set_name(full.name());
  *graph.mutable_node() = full.node();
  *graph.mutable_input() = full.input();
  *graph.mutable_output() = full.output();
  *graph.mutable_value_info() = full.value_info();
  source = model.source;
  int64_t opset = 0;
  for (const auto& o : model.proto.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") opset = o.version();
  if (opset == 0) opset = 1;

  // Unsupported ops first, all of them, before any other work.
  std::vector<std::pair<std::string, std::vector<std::string>>> unsupported;
  for (int i = 0; i < graph.node_size(); ++i) {
    const auto& n = graph.node(i);
    bool ok = isDefaultDomain(n) && findKernel(n.op_type());
    if (ok) continue;
    std::string op = n.domain().empty() ? n.op_type() : n.domain() + "." + n.op_type();
    auto it = std::find_if(unsupported.begin(), unsupported.end(), [&](auto& u) { return u.first == op; });
    if (it == unsupported.end()) it = unsupported.insert(unsupported.end(), {op, {}});
    it->second.push_back(nodeLabel(n));
  }
  if (!unsupported.empty()) {
    std::string list;
    for (const auto& [op, names] : unsupported) {
      list += (list.empty() ? "" : ", ") + op + " (node '" + names[0] + "'";
      if (names.size() > 1) list += strCat(" and ", names.size() - 1, " more");
      list += ")";
    }
    std::string ops;
    for (const auto& s : supportedOps()) ops += (ops.empty() ? "" : " ") + s;
    return Error(Exit::Input, "the executor does not support ", unsupported.size() == 1 ? "op " : "ops ", list)
        .withHint("supported ops: " + ops);
  }

  // Values: initializers, inputs, then node outputs in graph order.
  for (const auto& init : full.initializer()) {
    int id = valueId(init.name());
    auto t = readTensor(init, model.base_dir);
    if (!t) return std::move(t).error().context(strCat("cannot read initializer '", init.name(), "': "));
    values[id].kind = Kind::Constant;
    values[id].index = static_cast<int>(constants.size());
    constants.push_back(std::move(*t));
  }
  for (const auto& in : graph.input()) {
    if (ids.count(in.name()) && values[ids[in.name()]].kind == Kind::Constant) continue;
    DNNC_ASSIGN(ValueInfo info, valueInfoOf(in));
    int id = valueId(in.name());
    values[id].kind = Kind::Input;
    values[id].index = static_cast<int>(inputs.size());
    inputs.push_back(std::move(info));
    input_ids.push_back(id);
  }

  nodes.resize(graph.node_size());
  bn_affine.assign(nodes.size(), {});
  clip_bounds.assign(nodes.size(), {});
  // Readers of each named value (graph outputs count as one that never folds): an operand whose readers
  // are all folded at build is freed.
  std::map<std::string, int> readers_by_name;
  for (const auto& n : graph.node()) {
    std::set<std::string> read(n.input().begin(), n.input().end());
    for (const auto& name : subgraphCaptures(n)) read.insert(name);
    for (const auto& name : read)
      if (!name.empty()) readers_by_name[name]++;
  }
  for (const auto& out : graph.output()) readers_by_name[out.name()]++;
  std::vector<int> pending_readers;  // value id -> readers not folded yet, -1 before the first fold
  for (int i = 0; i < graph.node_size(); ++i) {
    const auto& n = graph.node(i);
    NodeRec& rec = nodes[i];
    rec.proto = &n;
    std::vector<const Tensor*> known;
    for (const auto& name : n.input()) {
      if (name.empty()) {
        rec.in.push_back(-1);
        known.push_back(nullptr);
        continue;
      }
      auto it = ids.find(name);
      if (it == ids.end() || (values[it->second].kind == Kind::Intermediate && values[it->second].producer < 0))
        return Error(Exit::Input, n.op_type(), " node '", n.name(), "' reads '", name,
                     "', which no earlier node, input or initializer defines")
            .withHint("the graph must be topologically sorted");
      rec.in.push_back(it->second);
      const ValueRec& v = values[it->second];
      known.push_back(v.kind == Kind::Constant ? &constants[v.index] : nullptr);
    }
    // Values the node's subgraphs read from this scope are inputs too (after the declared ones).
    for (const auto& name : subgraphCaptures(n)) {
      auto it = ids.find(name);
      if (it == ids.end() || (values[it->second].kind == Kind::Intermediate && values[it->second].producer < 0))
        return Error(Exit::Input, n.op_type(), " node '", n.name(), "': a subgraph reads '", name,
                     "', which no earlier node, input or initializer defines");
      rec.in.push_back(it->second);
      const ValueRec& v = values[it->second];
      known.push_back(v.kind == Kind::Constant ? &constants[v.index] : nullptr);
    }
    NodeInfo info(n, opset, known);
    for (int k = 0; k < requiredInputs(n.op_type(), opset); ++k)
      if (!info.hasInput(k)) return info.error("input ", k, " is required (opset ", opset, ")");
    if (n.op_type() == "Constant") {
      DNNC_ASSIGN(Tensor t, evalConstantNode(info));
      if (n.output_size() != 1) return info.error("expected 1 output, got ", n.output_size());
      int id = valueId(n.output(0));
      values[id].kind = Kind::Constant;
      values[id].index = static_cast<int>(constants.size());
      values[id].producer = i;
      constants.push_back(std::move(t));
      rec.out.push_back(id);
      continue;
    }
    if (n.op_type() == "BatchNormalization") bn_affine[i] = ops::inferenceBatchNormAffine(info);
    if (n.op_type() == "Clip") clip_bounds[i] = constantClipBounds(info);
    auto kernel = findKernel(n.op_type())(info);
    if (!kernel) return std::move(kernel).error();
    rec.kernel = std::move(*kernel);
    for (const auto& name : n.output()) {
      if (name.empty()) {
        rec.out.push_back(-1);
        continue;
      }
      if (ids.count(name)) return info.error("output '", name, "' is already defined elsewhere in the graph");
      int id = valueId(name);
      values[id].producer = i;
      rec.out.push_back(id);
    }
    if (foldsAtBuild(n, rec.in, values) && foldAtBuild(i)) {
      pending_readers.resize(values.size(), -1);
      for (int v : std::set<int>(rec.in.begin(), rec.in.end())) {
        if (v < 0) continue;
        if (pending_readers[v] < 0) pending_readers[v] = readers_by_name[values[v].name];
        if (--pending_readers[v] == 0) releaseConstant(v);
      }
    }
  }
  for (const auto& out : graph.output()) {
    auto it = ids.find(out.name());
    if (it == ids.end()) return Error(Exit::Input, "graph output '", out.name(), "' is not produced by any node");
    auto info = valueInfoOf(out);
    ValueInfo vi;
    if (info) vi = std::move(*info);
    vi.name = out.name();
    outputs.push_back(std::move(vi));
    output_ids.push_back(it->second);
  }
  // Values whose only reader is a Relu (and that no graph output names): their producer may fuse it.
  std::vector<int> readers(values.size(), 0), first_reader(values.size(), -1);
  relu_reader.assign(values.size(), -1);
  for (int i = 0; i < static_cast<int>(nodes.size()); ++i)
    for (int v : nodes[i].in) {
      if (v >= 0 && readers[v] == 0) first_reader[v] = i;
      if (v >= 0 && readers[v]++ == 0 && nodes[i].proto->op_type() == "Relu" && nodes[i].in.size() == 1) relu_reader[v] = i;
    }
  for (size_t v = 0; v < values.size(); ++v)
    if (readers[v] != 1) relu_reader[v] = -1;
  for (int v : output_ids) relu_reader[v] = -1;
  // Values whose only reader is a BatchNormalization with a constant affine (as its X): their producer
  // may fold it.
  bn_reader.assign(values.size(), -1);
  for (int i = 0; i < static_cast<int>(nodes.size()); ++i) {
    const NodeRec& n = nodes[i];
    if (bn_affine[i].empty() || n.in.empty() || n.in[0] < 0 || readers[n.in[0]] != 1) continue;
    bool extra_outputs = false;  // running statistics (opset < 9 outputs) would need the unfolded value
    for (size_t o = 1; o < n.out.size(); ++o) extra_outputs |= n.out[o] >= 0;
    if (!extra_outputs) bn_reader[n.in[0]] = i;
  }
  for (int v : output_ids) bn_reader[v] = -1;
  // Values f(x) of a Sigmoid or HardSigmoid whose only reader is Mul(x, f(x)) (either order): their
  // producer may write the product (SiLU, hard swish).
  gate_reader.assign(values.size(), -1);
  for (const NodeRec& n : nodes) {
    if (!n.proto || (n.proto->op_type() != "Sigmoid" && n.proto->op_type() != "HardSigmoid")) continue;
    if (n.in.size() != 1 || n.out.size() != 1 || n.in[0] < 0 || n.out[0] < 0 || readers[n.out[0]] != 1) continue;
    const int v = n.out[0], x = n.in[0], m = first_reader[v];
    const NodeRec& mul = nodes[m];
    if (mul.proto->op_type() == "Mul" && mul.in.size() == 2 &&
        ((mul.in[0] == x && mul.in[1] == v) || (mul.in[0] == v && mul.in[1] == x)))
      gate_reader[v] = m;
  }
  for (int v : output_ids) gate_reader[v] = -1;
  // Values whose only reader is a Clip with constant bounds: their producer may clamp them.
  clip_reader.assign(values.size(), -1);
  for (int i = 0; i < static_cast<int>(nodes.size()); ++i) {
    const NodeRec& n = nodes[i];
    if (!clip_bounds[i].empty() && !n.in.empty() && n.in[0] >= 0 && readers[n.in[0]] == 1) clip_reader[n.in[0]] = i;
  }
  for (int v : output_ids) clip_reader[v] = -1;
  sizeRunTables();  // folding at build left every entry it set at its default
  return {};
}

void Executor::Impl::sizeRunTables() {
  rt_values.resize(values.size());
  rt_buffer.resize(values.size(), -1);
  rt_rectified.resize(values.size(), 0);
  rt_normalized.resize(values.size(), 0);
  rt_gated.resize(values.size(), 0);
  rt_clipped.resize(values.size(), 0);
  kernel_choice.resize(nodes.size(), nullptr);
}

// Runs node `i`, whose inputs are all constants, once: its outputs become constants. A shared model's
// Gather(codebook, indices), a dequantized or transposed weight then costs nothing per call, and the
// kernels of the nodes that read it see a constant weight (packed once, like a stored one). On failure the
// node stays in the graph and fails, or not, where a run needs it, as before.
bool Executor::Impl::foldAtBuild(int i) {
  NodeRec& rec = nodes[i];
  // The per-run tables grow with the values built so far; only this node's entries are set (and reset
  // below), so that folding many nodes stays linear in the graph.
  sizeRunTables();
  for (int v : rec.in) {
    if (v < 0) continue;
    const Tensor& c = constants[values[v].index];
    rt_values[v].dtype = c.dtype();
    rt_values[v].dims = c.dims();
    rt_values[v].data = dataOf(c);
  }
  Plan& once = fold_plan;
  once.order = {i};
  once.step_of_node.resize(nodes.size(), -1);
  once.step_of_node[i] = 0;
  once.last_use.resize(values.size(), 0);
  for (int o : rec.out) once.last_use[o] = kForever;
  once.release.resize(1);
  ExecState state(*this, once);
  state.observed = true;  // no fusion into readers that have not been built yet
  for (int o : rec.out) rt_values[o].data = nullptr;
  KernelContext ctx(state, i);
  bool ok = static_cast<bool>(rec.kernel->run(ctx));
  for (int o : rec.out) ok &= rt_values[o].data != nullptr;
  if (ok) {
    for (int o : rec.out) {
      values[o].kind = Kind::Constant;
      values[o].index = static_cast<int>(constants.size());
      constants.push_back(rt_values[o].toTensor());
    }
    rec.kernel.reset();
  }
  rt_buffers.clear();
  once.step_of_node[i] = -1;
  for (int o : rec.out) {
    once.last_use[o] = 0;
    rt_buffer[o] = -1;
  }
  return ok;
}

// Frees a constant whose every reader was folded at build (the indices and codebook of a shared weight,
// the int64 Cast of its indices, a weight stored before its Transpose): a run never reads it again.
void Executor::Impl::releaseConstant(int v) {
  if (values[v].kind != Kind::Constant || values[v].released) return;
  constants[values[v].index] = Tensor();
  values[v].released = true;
}

Expected<Plan*> Executor::Impl::planFor(std::span<const Tensor* const> in, const std::vector<int>& fetch) {
  std::string key;
  for (const Tensor* t : in) key += describe(t->dtype(), t->dims()) + ";";
  key += "|";
  for (int f : fetch) key += std::to_string(f) + ",";
  auto it = plans.find(key);
  if (it != plans.end()) return &it->second;
  if (plans.size() >= 16) {  // forget the least recently used schedule
    auto lru = std::min_element(plans.begin(), plans.end(),
                                [](auto& a, auto& b) { return a.second.last_used < b.second.last_used; });
    plans.erase(lru);
  }
  Plan& p = plans[key];
  p.fetch = fetch;
  // Nodes the fetched values need, in graph order.
  std::vector<char> needed_value(values.size(), 0), needed_node(nodes.size(), 0);
  for (int f : fetch) needed_value[f] = 1;
  for (int i = static_cast<int>(nodes.size()) - 1; i >= 0; --i) {
    bool need = false;
    for (int o : nodes[i].out) need |= o >= 0 && needed_value[o];
    if (!need || !nodes[i].kernel) continue;
    needed_node[i] = 1;
    for (int v : nodes[i].in)
      if (v >= 0) needed_value[v] = 1;
  }
  p.step_of_node.assign(nodes.size(), -1);
  for (int i = 0; i < static_cast<int>(nodes.size()); ++i)
    if (needed_node[i]) {
      p.step_of_node[i] = static_cast<int>(p.order.size());
      p.order.push_back(i);
    }
  p.last_use.assign(values.size(), -1);
  for (int s = 0; s < static_cast<int>(p.order.size()); ++s) {
    const NodeRec& n = nodes[p.order[s]];
    for (int o : n.out)
      if (o >= 0) p.last_use[o] = std::max(p.last_use[o], s);
    for (int v : n.in)
      if (v >= 0) p.last_use[v] = std::max(p.last_use[v], s);
  }
  for (int f : fetch) p.last_use[f] = kForever;
  p.release.assign(p.order.size(), {});
  for (int v = 0; v < static_cast<int>(values.size()); ++v)
    if (p.last_use[v] >= 0 && p.last_use[v] != kForever) p.release[p.last_use[v]].push_back(v);
  return &p;
}

Expected<std::vector<Tensor>> Executor::Impl::run(std::span<const Tensor* const> in, const ExecRunOptions& opts) {
  if (in.size() != inputs.size())
    return Error(Exit::Input, "the model takes ", inputs.size(), " input", inputs.size() == 1 ? "" : "s", ", got ",
                 in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const ValueInfo& want = inputs[i];
    const Tensor& t = *in[i];
    bool ok = want.dtype == DType::Undefined || want.dtype == t.dtype();
    if (want.has_shape) {
      ok &= want.dims.size() == t.dims().size();
      for (size_t d = 0; ok && d < want.dims.size(); ++d) ok &= want.dims[d] < 0 || want.dims[d] == t.dims()[d];
    }
    if (!ok)
      return Error(Exit::Input, "input '", want.name, "': expected ", valueInfoString(want), ", got ",
                   describe(t.dtype(), t.dims()));
  }
  std::vector<int> fetch;
  if (opts.fetch.empty()) {
    fetch = output_ids;
  } else {
    for (const auto& name : opts.fetch) {
      auto it = ids.find(name);
      if (it == ids.end()) return Error(Exit::Usage, "the model has no value named '", name, "'");
      if (values[it->second].released)
        return Error(Exit::Usage, "value '", name, "' is a constant only folded nodes read; it is not kept")
            .withHint("fetch the output of the node that reads it");
      fetch.push_back(it->second);
    }
  }
  DNNC_ASSIGN(Plan * plan, planFor(in, fetch));
  plan->last_used = ++run_counter;
  if (plan->laid_out && plan->arena_bytes > arena_capacity) {
    arena.reset();
    arena = alignedAlloc(plan->arena_bytes);
    arena_capacity = plan->arena_bytes;
  }
  Eigen::setNbThreads(threads);

  // Bind inputs and constants.
  for (size_t i = 0; i < in.size(); ++i) {
    Value& v = rt_values[input_ids[i]];
    v.dtype = in[i]->dtype();
    v.dims = in[i]->dims();
    v.data = dataOf(*in[i]);
  }
  for (size_t id = 0; id < values.size(); ++id) {
    rt_buffer[id] = -1;
    if (values[id].kind != Kind::Constant) continue;
    Tensor& c = constants[values[id].index];
    Value& v = rt_values[id];
    v.dtype = c.dtype();
    v.dims = c.dims();
    v.data = dataOf(c);
  }
  rt_buffers.clear();
  std::fill(rt_rectified.begin(), rt_rectified.end(), 0);
  std::fill(rt_normalized.begin(), rt_normalized.end(), 0);
  std::fill(rt_gated.begin(), rt_gated.end(), 0);
  std::fill(rt_clipped.begin(), rt_clipped.end(), 0);

  ExecState state(*this, *plan);
  state.observed = opts.observer != nullptr;
  std::vector<const Value*> io;
  Status status;
  if (opts.node_seconds) opts.node_seconds->assign(nodes.size(), 0.0);
  for (int s = 0; s < static_cast<int>(plan->order.size()); ++s) {
    state.step = s;
    int ni = plan->order[s];
    NodeRec& n = nodes[ni];
    if (opts.observer) {
      io.clear();
      for (int v : n.in) io.push_back(v >= 0 ? &rt_values[v] : nullptr);
      opts.observer->beforeNode(ni, *n.proto, io);
    }
    for (int o : n.out)
      if (o >= 0) rt_values[o].data = nullptr;
    KernelContext ctx(state, ni);
    const auto start = opts.node_seconds ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    status = n.kernel->run(ctx);
    if (opts.node_seconds)
      (*opts.node_seconds)[ni] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!status) break;
    for (size_t k = 0; k < n.out.size(); ++k) {
      int o = n.out[k];
      if (o >= 0 && !rt_values[o].data && plan->last_use[o] > s) {
        status = Error(Exit::Internal, ctx.where(), ": did not produce output '", n.proto->output(k), "'");
        break;
      }
    }
    if (!status) break;
    if (opts.observer) {
      io.clear();
      for (int v : n.out) io.push_back(v >= 0 && rt_values[v].data ? &rt_values[v] : nullptr);
      opts.observer->afterNode(ni, *n.proto, io);
    }
    for (int v : plan->release[s]) state.release(v);
  }
  if (!status) {
    rt_buffers.clear();
    return std::move(status).error();
  }

  std::vector<Tensor> result;
  result.reserve(fetch.size());
  for (int f : fetch) result.push_back(rt_values[f].toTensor());

  // Learn the arena layout from this run when there is none yet (or the shapes surprised the plan).
  if (!plan->laid_out || state.plan_broken) {
    std::vector<BufferLifetime> life;
    int end = static_cast<int>(plan->order.size());
    for (const RtBuffer& b : rt_buffers) life.push_back({b.bytes, b.first, b.refs > 0 ? end : b.last});
    MemoryLayout layout = layoutBuffers(life);
    plan->slot_bytes.clear();
    for (const auto& b : life) plan->slot_bytes.push_back(b.bytes);
    plan->slot_offset = std::move(layout.offsets);
    plan->arena_bytes = layout.total_bytes;
    plan->laid_out = true;
  }
  last_arena_bytes = plan->arena_bytes;
  rt_buffers.clear();
  return result;
}

// --- Executor -----------------------------------------------------------------------------------------

Executor::Executor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Executor::~Executor() = default;

Expected<std::unique_ptr<Executor>> Executor::create(const Model& model, const ExecOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  DNNC_TRY(impl->build(model));
  return std::unique_ptr<Executor>(new Executor(std::move(impl)));
}

const std::vector<ValueInfo>& Executor::inputs() const { return impl_->inputs; }
const std::vector<ValueInfo>& Executor::outputs() const { return impl_->outputs; }
bool Executor::hasValue(const std::string& name) const { return impl_->ids.count(name) > 0; }
bool Executor::isConstant(const std::string& name) const {
  auto it = impl_->ids.find(name);
  return it != impl_->ids.end() && impl_->values[it->second].kind == Kind::Constant;
}
const onnx::GraphProto& Executor::graph() const { return impl_->graph; }
int Executor::threads() const { return impl_->threads; }
size_t Executor::arenaBytes() const { return impl_->last_arena_bytes; }
size_t Executor::constantBytes() const {
  size_t n = 0;
  for (const auto& c : impl_->constants) n += c.sizeBytes();
  return n;
}

std::vector<std::pair<std::string, std::string>> Executor::kernelChoices() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < impl_->nodes.size(); ++i)
    if (impl_->kernel_choice[i]) out.emplace_back(impl_->nodes[i].proto->name(), impl_->kernel_choice[i]);
  return out;
}

Expected<std::vector<Tensor>> Executor::run(std::span<const Tensor* const> inputs, const ExecRunOptions& options) {
  return impl_->run(inputs, options);
}

}  // namespace dnnc
