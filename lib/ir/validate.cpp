#include "lib/ir/validate.h"

#include <onnx/checker.h>
#include <onnx/defs/schema.h>

#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "lib/ir/graph.h"
#include "lib/ir/node.h"

namespace dnnc {

namespace {

// What defines a value in one graph: a graph input, an initializer, or the output of node `node`.
struct Definition {
  enum Kind { Input, Initializer, NodeOutput } kind;
  int node = -1;
};

// One graph's values (views into its proto) and the graph enclosing it, whose values it may read.
struct Scope {
  const Scope* outer = nullptr;
  std::unordered_map<std::string_view, Definition> defined;

  bool visible(std::string_view name) const {
    for (const Scope* s = this; s; s = s->outer)
      if (s->defined.count(name)) return true;
    return false;
  }
};

// How messages name a graph: "the graph" for the main graph, "'body' of node 'loop' (Loop)" for a
// subgraph; `where` is the suffix for its nodes ("" or " in 'body' of node 'loop' (Loop)").
struct GraphPlace {
  std::string label = "the graph";
  std::string where;
};

// Named as everywhere else in dnnc (nodeLabel: the name, else the first output); an unnamed node also
// gets its index in the graph.
std::string nodeName(const onnx::NodeProto& node, int index) {
  if (node.name().empty() && (node.output_size() == 0 || node.output(0).empty()))
    return strCat("node #", index, " (", node.op_type(), ")");
  if (node.name().empty())  // labelled by its first output, which a duplicate-output message repeats: add where it is
    return strCat("node '", nodeLabel(node), "' (", node.op_type(), ", #", index, ")");
  return strCat("node '", node.name(), "' (", node.op_type(), ")");
}

std::string graphOutputName(const GraphPlace& place, const std::string& name) {
  return place.where.empty() ? strCat("graph output '", name, "'") : strCat("output '", name, "' of ", place.label);
}

// Records the values a graph defines; fails on a value defined twice.
Status collectDefinitions(const onnx::GraphProto& g, const GraphPlace& place, Scope& scope) {
  for (const auto& vi : g.input()) {
    if (vi.name().empty()) continue;  // onnx::checker names this
    if (!scope.defined.emplace(vi.name(), Definition{Definition::Input}).second)
      return Error(Exit::Input, "input '", vi.name(), "' of ", place.label, " is listed twice");
  }
  auto initializer = [&](const std::string& name) -> Status {
    if (name.empty()) return {};
    auto [it, fresh] = scope.defined.emplace(name, Definition{Definition::Initializer});
    // An initializer that shares a graph input's name is that input's default value.
    if (!fresh && it->second.kind == Definition::Initializer)
      return Error(Exit::Input, "initializer '", name, "' of ", place.label, " is defined twice");
    return {};
  };
  for (const auto& t : g.initializer()) DNNC_TRY(initializer(t.name()));
  for (const auto& s : g.sparse_initializer()) DNNC_TRY(initializer(s.values().name()));
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& node = g.node(i);
    for (const auto& out : node.output()) {
      if (out.empty()) continue;  // an optional output left out
      auto [it, fresh] = scope.defined.emplace(out, Definition{Definition::NodeOutput, i});
      auto writer = [&] { return strCat(nodeName(node, i), place.where, " writes '", out, "'"); };
      if (!fresh) {
        const Definition& d = it->second;
        if (d.kind == Definition::Input) return Error(Exit::Input, writer(), ", which is an input of ", place.label);
        if (d.kind == Definition::Initializer) return Error(Exit::Input, writer(), ", which is an initializer of ", place.label);
        if (d.node == i) return Error(Exit::Input, writer(), " twice");
        return Error(Exit::Input, writer(), ", which ", nodeName(g.node(d.node), d.node), " also writes");
      }
      if (scope.outer && scope.outer->visible(out))
        return Error(Exit::Input, writer(), ", which an enclosing graph already defines (ONNX forbids shadowing it)");
    }
  }
  return {};
}

// Names a node's subgraphs read from the graphs around them.
std::set<std::string> subgraphReads(const onnx::NodeProto& node) {
  std::set<std::string> out;
  for (const auto& attr : node.attribute()) {
    if (attr.has_g()) collectCapturedNames(attr.g(), out);
    for (const auto& sub : attr.graphs()) collectCapturedNames(sub, out);
  }
  return out;
}

// The nodes of one graph as a dependency graph: for each node, the nodes of this graph whose outputs
// it reads (directly, or through its subgraphs), with the value read.
struct Dependencies {
  std::vector<std::vector<std::pair<int, std::string>>> producers;
};

Dependencies dependencies(const onnx::GraphProto& g, const Scope& scope) {
  Dependencies deps;
  deps.producers.resize(static_cast<size_t>(g.node_size()));
  auto add = [&](int node, const std::string& value) {
    auto it = scope.defined.find(value);
    if (it != scope.defined.end() && it->second.kind == Definition::NodeOutput)
      deps.producers[static_cast<size_t>(node)].emplace_back(it->second.node, value);
  };
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& node = g.node(i);
    for (const auto& in : node.input())
      if (!in.empty()) add(i, in);
    bool has_subgraph = false;
    for (const auto& attr : node.attribute()) has_subgraph |= attr.has_g() || attr.graphs_size() > 0;
    if (has_subgraph)
      for (const auto& name : subgraphReads(node)) add(i, name);
  }
  return deps;
}

// The message for a cycle through node `start` (every node on the walk is unfinished: it waits for
// another unfinished node).
Error cycleError(const onnx::GraphProto& g, const Dependencies& deps, const std::vector<bool>& done, int start,
                 const GraphPlace& place) {
  // Walk "reads from" edges to unfinished producers until a node repeats: that closes the cycle.
  std::vector<int> path;
  std::vector<std::string> via;
  std::map<int, size_t> seen;
  int v = start;
  while (!seen.count(v)) {
    seen[v] = path.size();
    path.push_back(v);
    for (const auto& [p, value] : deps.producers[static_cast<size_t>(v)]) {
      if (done[static_cast<size_t>(p)]) continue;
      via.push_back(value);
      v = p;
      break;
    }
  }
  size_t first = seen[v];
  std::string msg = strCat(nodeName(g.node(path[first]), path[first]), place.where, " is on a cycle: it reads '",
                           via[first], "'");
  const size_t kShown = 4;
  for (size_t k = first + 1; k < path.size(); ++k) {
    if (k - first > kShown) {
      msg += strCat(", ... (", path.size() - first, " nodes in all)");
      return Error(Exit::Input, msg);
    }
    msg += strCat(" from ", nodeName(g.node(path[k]), path[k]), ", which reads '", via[k], "'");
  }
  msg += path.size() - first == 1 ? " from itself" : " from it";
  return Error(Exit::Input, msg);
}

// A graph whose nodes are to be listed in a new order (indexes into its node list).
struct Reorder {
  const onnx::GraphProto* graph;
  std::vector<int> order;
};

// Finds a topological order of the nodes that keeps the given order wherever it is already valid
// (Kahn's algorithm, always taking the first ready node) and records it in reorders; reorders null:
// an out-of-order node is an error.
Status orderNodes(const onnx::GraphProto& g, const Scope& scope, const GraphPlace& place,
                  std::vector<Reorder>* reorders) {
  Dependencies deps = dependencies(g, scope);
  size_t n = static_cast<size_t>(g.node_size());
  // The first node that reads a value written by a node listed after it (or by itself), if any.
  std::optional<Error> out_of_order;
  for (size_t i = 0; i < n && !out_of_order; ++i)
    for (const auto& [p, value] : deps.producers[i])
      if (static_cast<size_t>(p) >= i) {
        out_of_order = Error(Exit::Input, nodeName(g.node(static_cast<int>(i)), static_cast<int>(i)), place.where,
                             " reads '", value, "' before ", nodeName(g.node(p), p),
                             " writes it (nodes out of topological order)");
        break;
      }
  if (!out_of_order) return {};

  std::vector<int> pending(n, 0);
  std::vector<std::vector<int>> readers(n);
  for (size_t i = 0; i < n; ++i)
    for (const auto& dep : deps.producers[i]) {
      ++pending[i];
      readers[static_cast<size_t>(dep.first)].push_back(static_cast<int>(i));
    }
  std::set<int> ready;
  for (size_t i = 0; i < n; ++i)
    if (pending[i] == 0) ready.insert(static_cast<int>(i));
  std::vector<int> order;
  std::vector<bool> done(n, false);
  while (!ready.empty()) {
    int v = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(v);
    done[static_cast<size_t>(v)] = true;
    for (int r : readers[static_cast<size_t>(v)])
      if (--pending[static_cast<size_t>(r)] == 0) ready.insert(r);
  }
  if (order.size() != n) {
    int start = 0;
    while (done[static_cast<size_t>(start)]) ++start;
    return cycleError(g, deps, done, start, place);
  }
  if (!reorders) return std::move(*out_of_order);
  reorders->push_back({&g, std::move(order)});
  return {};
}

// Lists a graph's nodes in the given order by moving their pointers: no NodeProto (nor a tensor a
// Constant node holds) is copied.
void applyOrder(onnx::GraphProto& g, const std::vector<int>& order) {
  std::vector<onnx::NodeProto*> nodes(static_cast<size_t>(g.node_size()));
  g.mutable_node()->ExtractSubrange(0, g.node_size(), nodes.data());
  for (int i : order) g.mutable_node()->AddAllocated(nodes[static_cast<size_t>(i)]);
}

// Checks one graph, then (recursively) its nodes' subgraphs.
Status checkGraph(const onnx::GraphProto& g, const Scope* outer, const GraphPlace& place, std::vector<Reorder>* reorders) {
  Scope scope;
  scope.outer = outer;
  DNNC_TRY(collectDefinitions(g, place, scope));
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& node = g.node(i);
    for (const auto& in : node.input())
      if (!in.empty() && !scope.visible(in))
        return Error(Exit::Input, nodeName(node, i), place.where, " reads '", in,
                     "', which no node, input or initializer defines");
    for (const auto& attr : node.attribute()) {
      auto subgraphPlace = [&](const std::string& attr_name) {
        GraphPlace sub;
        sub.label = strCat("'", attr_name, "' of ", nodeName(node, i), place.where);
        sub.where = " in " + sub.label;
        return sub;
      };
      if (attr.has_g()) DNNC_TRY(checkGraph(attr.g(), &scope, subgraphPlace(attr.name()), reorders));
      for (int k = 0; k < attr.graphs_size(); ++k)
        DNNC_TRY(checkGraph(attr.graphs(k), &scope, subgraphPlace(strCat(attr.name(), "[", k, "]")), reorders));
    }
  }
  std::unordered_set<std::string_view> listed;
  for (const auto& vi : g.output()) {
    if (vi.name().empty()) continue;  // onnx::checker names this
    if (!listed.insert(vi.name()).second) return Error(Exit::Input, graphOutputName(place, vi.name()), " is listed twice");
    if (!scope.visible(vi.name()))
      return Error(Exit::Input, graphOutputName(place, vi.name()), " is not produced by any node, input or initializer");
  }
  return orderNodes(g, scope, place, reorders);
}

// One line from a ValidationError: the checker's message, whitespace collapsed, prefixed with the node
// its context names ("Bad node spec for node. Name: n1 OpType: Relu").
std::string checkerMessage(const std::string& what) {
  std::string text = what, context;
  const std::string marker = "==> Context:";
  if (auto at = text.find(marker); at != std::string::npos) {
    context = text.substr(at + marker.size());
    text.resize(at);
  }
  auto squeeze = [](const std::string& s) {
    std::istringstream words(s);
    std::string out, word;
    while (words >> word) out += (out.empty() ? "" : " ") + word;
    return out;
  };
  text = squeeze(text);
  context = squeeze(context);
  std::smatch m;
  static const std::regex node_spec(R"(Bad node spec for node\. Name: (.*) OpType: (\S*))");
  if (std::regex_match(context, m, node_spec))
    return strCat("onnx::checker rejects ", m[1].str().empty() ? std::string("a node") : strCat("node '", m[1].str(), "'"),
                  " (", m[2].str(), "): ", text);
  return strCat("onnx::checker rejects the model: ", text, context.empty() ? "" : " (" + context + ")");
}

// Whether this ONNX release's checker knows the model's IR version and standard-domain opsets; it
// cannot judge a newer model (it would reject new types and verify nodes against old schemas).
bool checkerKnows(const onnx::ModelProto& m) {
  if (m.ir_version() > onnx::IR_VERSION) return false;
  const auto& known = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  for (const auto& opset : m.opset_import()) {
    auto it = known.find(opset.domain() == "ai.onnx" ? std::string() : opset.domain());
    if (it != known.end() && opset.version() > it->second.second) return false;
  }
  return true;
}

// onnx::checker::check_model(ModelProto) as ONNX 1.12 writes it, with the context dnnc needs: the model's
// folder for external data, graph inputs and outputs checked as a subgraph's are (name only), and no
// check of metadata keys. The checker prints a warning for experimental ops to std::cerr; lib/ never
// prints, so that is silenced.
void checkWithContext(const onnx::ModelProto& m, const std::string& base_dir) {
  namespace ck = onnx::checker;
  if (m.ir_version() <= 0) fail_check("The model does not have an ir_version set properly.");
  std::unordered_map<std::string, int> opsets;
  for (const auto& o : m.opset_import()) opsets[o.domain()] = static_cast<int>(o.version());
  if (m.ir_version() >= 3 && opsets.empty()) fail_check("model with IR version >= 3 must specify opset_import for ONNX");
  if (m.ir_version() < 3) {
    if (!opsets.empty()) fail_check("model with IR version < 3 cannot have opset_import specified");
    opsets[""] = 1;
  }
  ck::CheckerContext ctx;
  ctx.set_ir_version(static_cast<int>(m.ir_version()));
  ctx.set_opset_imports(opsets);
  ctx.set_model_dir(base_dir.empty() ? std::string(".") : base_dir);
  ck::LexicalScopeContext lex;
  ck::CheckerContext graph_ctx = ctx;
  graph_ctx.set_is_main_graph(false);
  ck::check_graph(m.graph(), graph_ctx, lex);
  if (m.ir_version() >= 8) ck::check_model_local_functions(m, ctx, lex);
}

class SilenceCerr {
 public:
  SilenceCerr() : saved_(std::cerr.rdbuf(sink_.rdbuf())) {}
  ~SilenceCerr() { std::cerr.rdbuf(saved_); }

 private:
  std::ostringstream sink_;
  std::streambuf* saved_;
};

Status checkerVerdict(const onnx::ModelProto& m, const std::string& base_dir) {
  if (!checkerKnows(m)) return {};
  try {
    SilenceCerr quiet;
    checkWithContext(m, base_dir);
  } catch (const onnx::checker::ValidationError& e) {
    return Error(Exit::Input, checkerMessage(e.what()));
  } catch (const std::exception& e) {
    return Error(Exit::Input, "onnx::checker rejects the model: ", e.what());
  }
  return {};
}

// ONNX 1.12's checker requires a graph name, ONNX Runtime does not: an unnamed main graph is checked
// under a placeholder name, restored afterwards.
Status checkerVerdictNamed(onnx::ModelProto& m, const std::string& base_dir) {
  if (!m.graph().name().empty()) return checkerVerdict(m, base_dir);
  bool had_name = m.graph().has_name();  // an explicitly empty name serialises differently from none
  m.mutable_graph()->set_name("unnamed");
  Status st = checkerVerdict(m, base_dir);
  if (had_name) m.mutable_graph()->set_name("");
  else m.mutable_graph()->clear_name();
  return st;
}

}  // namespace

Status validateModel(Model& model) {
  std::vector<Reorder> reorders;
  DNNC_TRY(checkGraph(model.graph(), nullptr, GraphPlace{}, &reorders));
  // The graphs to reorder belong to model, which is not const: it is safe to write through them.
  for (const auto& r : reorders) applyOrder(const_cast<onnx::GraphProto&>(*r.graph), r.order);
  return checkerVerdictNamed(model.proto, model.base_dir);
}

Status checkModelStructure(const Model& model) { return checkGraph(model.graph(), nullptr, GraphPlace{}, nullptr); }

Status runOnnxChecker(const Model& model) {
  if (!model.graph().name().empty()) return checkerVerdict(model.proto, model.base_dir);
  onnx::ModelProto named = model.proto;  // rare: only an unnamed graph is copied
  return checkerVerdictNamed(named, model.base_dir);
}

}  // namespace dnnc
