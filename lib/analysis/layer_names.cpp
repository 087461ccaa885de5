#include "lib/analysis/layer_names.h"

#include <algorithm>

#include "lib/ir/node.h"
#include "lib/support/glob.h"
#include "lib/support/suggest.h"

namespace dnnc {

namespace {

void addAlias(std::vector<std::string>& aliases, const std::string& a) {
  if (!a.empty() && std::find(aliases.begin(), aliases.end(), a) == aliases.end()) aliases.push_back(a);
}

}  // namespace

std::string shortLayerName(const std::string& node_name, const std::string& op_type) {
  if (node_name.size() < 2 || node_name[0] != '/') return node_name;
  std::vector<std::string> parts = splitList(node_name.substr(1), '/');
  if (parts.size() < 2 || std::count(node_name.begin(), node_name.end(), '/') != int(parts.size())) return node_name;
  const std::string& last = parts.back();
  bool is_op = last == op_type;
  if (!is_op && last.size() > op_type.size() + 1 && last.compare(0, op_type.size() + 1, op_type + "_") == 0)
    is_op = last.find_first_not_of("0123456789", op_type.size() + 1) == std::string::npos;
  if (!is_op) return node_name;
  parts.pop_back();
  std::vector<std::string> path;
  for (const auto& p : parts) {
    if (!path.empty() && p.size() > path.back().size() && p.compare(0, path.back().size() + 1, path.back() + ".") == 0)
      path.back() = p;  // PyTorch repeats the parent: /layer1/layer1.0/... is module layer1.0
    else
      path.push_back(p);
  }
  std::string name;
  for (const auto& p : path) name += (name.empty() ? "" : ".") + p;
  return name;
}

std::vector<std::string> layerAliases(const onnx::NodeProto& node, const std::string& weight) {
  std::vector<std::string> out;
  addAlias(out, nodeLabel(node));
  addAlias(out, shortLayerName(node.name(), node.op_type()));
  addAlias(out, weight);
  const std::string suffix = ".weight";
  if (weight.size() > suffix.size() && weight.compare(weight.size() - suffix.size(), suffix.size(), suffix) == 0)
    addAlias(out, weight.substr(0, weight.size() - suffix.size()));
  // The module path as exported: "/stem/conv/Conv" -> "stem/conv" and "stem.conv".
  std::string n = node.name();
  if (!n.empty() && n.front() == '/') {
    n.erase(n.begin());
    auto slash = n.rfind('/');
    if (slash != std::string::npos) {
      std::string path = n.substr(0, slash);
      addAlias(out, path);
      std::replace(path.begin(), path.end(), '/', '.');
      addAlias(out, path);
    }
  }
  return out;
}

Expected<LayerSelector> LayerSelector::parse(const std::string& text, std::string what) {
  if (!text.empty() && splitList(text).size() != static_cast<size_t>(std::count(text.begin(), text.end(), ',') + 1))
    return Error(Exit::Usage, what, ": empty name in '", text, "'");
  return of(splitList(text), std::move(what));
}

LayerSelector LayerSelector::of(std::vector<std::string> patterns, std::string what) {
  LayerSelector s;
  s.patterns_ = std::move(patterns);
  s.matched_.assign(s.patterns_.size(), false);
  s.what_ = std::move(what);
  return s;
}

bool LayerSelector::matches(const std::vector<std::string>& aliases) {
  if (patterns_.empty()) return true;
  bool any = false;
  for (size_t i = 0; i < patterns_.size(); ++i)
    for (const auto& a : aliases)
      if (globMatch(patterns_[i], a)) {
        any = matched_[i] = true;
        break;
      }
  return any;
}

Status LayerSelector::checkAllMatched(const std::vector<std::string>& known, const std::string& kind) const {
  for (size_t i = 0; i < patterns_.size(); ++i) {
    if (matched_[i]) continue;
    Error e(Exit::Usage, what_, ": no ", kind.empty() ? "" : kind + " ", "layer named '", patterns_[i], "'");
    std::string close = isGlob(patterns_[i]) ? "" : closestMatch(patterns_[i], known);
    if (!close.empty()) return std::move(e).withHint(strCat("did you mean '", close, "'?"));
    return std::move(e).withHint("'dnnc info MODEL' lists the layers (node names or weight names)");
  }
  return {};
}

}  // namespace dnnc
