#include "lib/exec/constant_folding.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "lib/exec/evaluate_node.h"
#include "lib/exec/kernel.h"
#include "lib/exec/ops/strided_copy.h"
#include "lib/ir/dead_code.h"
#include "lib/ir/graph.h"
#include "lib/ir/node.h"

namespace dnnc {

namespace {

// Small results are always worth folding (shape vectors, scales); above this, only when they do not grow.
constexpr size_t kAlwaysFoldBytes = size_t{1} << 18;

// is_table(name): whether a value is a stored floating-point tensor that a Gather looks values up in.
template <class IsTable>
bool keepsCompressedForm(const onnx::NodeProto& node, IsTable is_table) {
  const std::string& op = node.op_type();
  if (op == "DequantizeLinear" || op == "QuantizeLinear" || op == "DynamicQuantizeLinear") return true;
  if (op.rfind("Random", 0) == 0 || op == "Bernoulli" || op == "Multinomial") return true;
  // Gather(table, indices): a codebook (the shared-weight form) or a lookup such as Swin's relative
  // position bias, stored as a small table and indices; expanded, it would count as new parameters.
  return op == "Gather" && node.input_size() == 2 && is_table(node.input(0));
}

// What every folded node must be, whatever its inputs: an op the executor runs, no subgraph, named outputs.
template <class IsTable>
bool foldableOp(const onnx::NodeProto& node, IsTable is_table) {
  if (!isDefaultDomain(node) || hasSubgraph(node) || !findKernel(node.op_type())) return false;
  if (keepsCompressedForm(node, is_table)) return false;
  for (const auto& o : node.output())
    if (o.empty()) return false;  // an unnamed optional output: the executor would not return it
  return node.output_size() > 0;
}

bool isFloatTensor(const onnx::TensorProto& t) {
  const auto type = t.data_type();
  return type == onnx::TensorProto::FLOAT || type == onnx::TensorProto::FLOAT16 ||
         type == onnx::TensorProto::BFLOAT16 || type == onnx::TensorProto::DOUBLE;
}

size_t bytesOf(const Tensor& t) { return static_cast<size_t>(t.numel()) * dtypeSize(t.dtype()); }

using Initializers = std::map<std::string, const onnx::TensorProto*>;

bool foldable(const onnx::NodeProto& node, const Initializers& inits, const std::map<std::string, Tensor>& computed) {
  auto is_table = [&](const std::string& name) {
    auto it = inits.find(name);
    return it != inits.end() && isFloatTensor(*it->second);
  };
  if (!foldableOp(node, is_table)) return false;
  for (const auto& in : node.input())
    if (!in.empty() && !inits.count(in) && !computed.count(in)) return false;
  return true;
}

// A Transpose of one stored weight, done here from its stored bytes: ViT-B/16 stores each of its 36
// attention and MLP weights transposed, and through evaluateNode (a model of one node, executed) each was
// copied five times. nullopt when the node is another or its input is not a weight stored in raw_data:
// evaluateNode then runs it, or says why not.
std::optional<Tensor> transposeStored(const onnx::NodeProto& node, const Initializers& inits) {
  if (node.op_type() != "Transpose" || node.input_size() != 1 || node.output_size() != 1) return std::nullopt;
  auto it = inits.find(node.input(0));
  if (it == inits.end() || !it->second->has_raw_data()) return std::nullopt;
  const onnx::TensorProto& stored = *it->second;
  const DType dtype = dtypeFromOnnx(stored.data_type());
  if (dtype == DType::Undefined) return std::nullopt;
  const std::vector<int64_t> in_dims(stored.dims().begin(), stored.dims().end());
  int64_t numel = 1;
  for (int64_t d : in_dims) {
    if (d < 0) return std::nullopt;
    numel *= d;
  }
  if (stored.raw_data().size() != size_t(numel) * dtypeSize(dtype)) return std::nullopt;
  std::vector<int64_t> perm = attrInts(node, "perm");
  if (perm.empty())
    for (int64_t i = int64_t(in_dims.size()) - 1; i >= 0; --i) perm.push_back(i);
  if (perm.size() != in_dims.size()) return std::nullopt;
  std::vector<char> seen(perm.size(), 0);
  for (int64_t a : perm)
    if (a < 0 || a >= int64_t(perm.size()) || seen[size_t(a)]++) return std::nullopt;
  const std::vector<int64_t> in_strides = ops::contiguousStrides(in_dims);
  std::vector<int64_t> dims(perm.size()), strides(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) {
    dims[i] = in_dims[size_t(perm[i])];
    strides[i] = in_strides[size_t(perm[i])];
  }
  Tensor out(dtype, dims);
  ops::stridedCopy(reinterpret_cast<const std::byte*>(stored.raw_data().data()), dims, strides, dtypeSize(dtype),
                   out.rawData(), 1);
  return out;
}

// foldsToConstant with a memo of the values decided so far; depth bounds a pathological chain.
bool foldsToConstant(const Graph& graph, const std::string& value, std::map<std::string, bool>& memo, int depth) {
  if (value.empty()) return true;  // an omitted optional input
  if (graph.isGraphInput(value)) return false;
  if (graph.weightProto(value)) return true;
  if (auto it = memo.find(value); it != memo.end()) return it->second;
  auto producer = graph.producer(value);
  bool result = false;
  if (producer && depth < 64) {
    const onnx::NodeProto& node = graph.node(*producer);
    auto is_table = [&](const std::string& name) {
      const auto* t = graph.weightProto(name);
      return t && isFloatTensor(*t);
    };
    result = foldableOp(node, is_table);
    for (const auto& in : node.input()) result = result && foldsToConstant(graph, in, memo, depth + 1);
  }
  memo[value] = result;
  return result;
}

}  // namespace

bool foldsToConstant(const Graph& graph, const std::string& value) {
  if (graph.weightProto(value)) return false;  // stored already
  std::map<std::string, bool> memo;
  return foldsToConstant(graph, value, memo, 0);
}

Expected<ConstantFolding> foldConstants(Model& model) {
  ConstantFolding result;
  onnx::GraphProto& g = model.graph();
  std::set<std::string> graph_inputs;  // an initializer that is also an input may be overridden by the caller
  for (const auto& vi : g.input()) graph_inputs.insert(vi.name());
  Initializers inits;
  for (const auto& t : g.initializer())
    if (!graph_inputs.count(t.name())) inits[t.name()] = &t;
  // Readers left of each value: a value no kept node or graph output reads any more is dropped as soon as
  // its last reader is folded, and a stored initializer's bytes are released then (ViT's weights are
  // stored transposed: folding them must not hold the model twice). With subgraphs, whose captured reads
  // are not counted here, stored bytes are left alone.
  std::map<std::string, int> readers;
  bool has_subgraphs = false;
  for (const auto& node : g.node()) {
    has_subgraphs |= hasSubgraph(node);
    for (const auto& in : node.input())
      if (!in.empty()) ++readers[in];
  }
  for (const auto& out : g.output()) ++readers[out.name()];
  std::map<std::string, Tensor> values;    // stored constants read so far
  std::map<std::string, Tensor> computed;  // folded results, stored as initializers at the end
  google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
  for (auto& node : *g.mutable_node()) {
    if (!foldable(node, inits, computed)) {
      *kept.Add() = std::move(node);
      continue;
    }
    if (std::optional<Tensor> transposed = transposeStored(node, inits)) {
      const std::string& in = node.input(0);
      if (--readers[in] <= 0) {
        values.erase(in);
        if (!has_subgraphs) std::string().swap(*const_cast<onnx::TensorProto*>(inits.at(in))->mutable_raw_data());
      }
      computed.insert_or_assign(node.output(0), std::move(*transposed));
      result.folded.push_back(nodeLabel(node));
      continue;
    }
    std::map<std::string, Tensor> operands;  // the node's inputs, moved in from the two maps and back
    for (const auto& in : node.input()) {
      if (in.empty() || operands.count(in)) continue;
      std::map<std::string, Tensor>& from = computed.count(in) ? computed : values;
      if (!from.count(in)) {
        DNNC_ASSIGN(Tensor t, readTensor(*inits.at(in), model.base_dir));
        from.emplace(in, std::move(t));
      }
      operands.emplace(in, std::move(from.at(in)));
      from.erase(in);
    }
    auto out = evaluateNode(node, operands, model.proto);
    size_t in_bytes = 0, out_bytes = 0;
    for (const auto& [name, t] : operands) in_bytes += bytesOf(t);
    if (out)
      for (const auto& t : *out) out_bytes += bytesOf(t);
    std::string why;
    if (!out) why = strCat("could not be evaluated: ", out.error().message());
    else if (out->size() != static_cast<size_t>(node.output_size())) why = "could not be evaluated: outputs missing";
    else if (out_bytes > kAlwaysFoldBytes && out_bytes > in_bytes)
      why = strCat("folding would grow the model (", out_bytes, " bytes from ", in_bytes, ")");
    const bool folded = why.empty();
    // Each operand goes back where it came from unless this was its last reader.
    for (auto& [name, t] : operands) {
      if (folded) readers[name] -= int(std::count(node.input().begin(), node.input().end(), name));
      if (folded && readers[name] <= 0) {
        if (inits.count(name) && !has_subgraphs) {
          onnx::TensorProto* stored = const_cast<onnx::TensorProto*>(inits.at(name));
          std::string().swap(*stored->mutable_raw_data());  // erased below as unused; its bytes go now
        }
        continue;
      }
      (inits.count(name) ? values : computed).emplace(name, std::move(t));
    }
    if (!folded) {
      result.skipped.emplace_back(nodeLabel(node), why);
      *kept.Add() = std::move(node);
      continue;
    }
    for (int i = 0; i < node.output_size(); ++i)
      computed.insert_or_assign(node.output(i), std::move((*out)[static_cast<size_t>(i)]));
    result.folded.push_back(nodeLabel(node));
  }
  *g.mutable_node() = std::move(kept);
  if (result.folded.empty()) return result;
  values.clear();
  while (!computed.empty()) {
    auto it = computed.begin();
    auto* t = g.add_initializer();
    writeTensor(it->second, *t);
    t->set_name(it->first);
    computed.erase(it);  // one folded tensor at a time, not all of them twice
  }
  Graph graph(g, model.base_dir);
  result.initializers_removed = eraseUnusedInitializers(g, graph);
  return result;
}

}  // namespace dnnc
