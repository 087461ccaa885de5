// The names a layer goes by, and the one selector every pass, command and file uses to pick layers by
// them: `--skip`, `layer-sparsity`, `layers=`, `--act-sparsity`, mapping files. A layer answers to its
// node label, its short (module) name, its weight's name and that name without ".weight":
//   node "/layer1/layer1.0/conv1/Conv", weight "layer1.0.conv1.weight"
//     -> "/layer1/layer1.0/conv1/Conv", "layer1.0.conv1", "layer1.0.conv1.weight", "layer1/layer1.0/conv1"
// Patterns are shell globs (lib/support/glob.h); an exact name that selects nothing is a usage error with
// the closest name as a hint, a glob that selects nothing too.
#pragma once
#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

#include "lib/support/error.h"

namespace dnnc {

// The short name of a node as PyTorch exports it: "/layer1/layer1.0/conv1/Conv" -> "layer1.0.conv1",
// "/conv1/Conv" -> "conv1"; other names unchanged ("" -> "").
std::string shortLayerName(const std::string& node_name, const std::string& op_type);

// Every name that selects the node's layer (see above), first its node label; `weight` may be "".
std::vector<std::string> layerAliases(const onnx::NodeProto& node, const std::string& weight = "");

// Comma-separated names or globs matched against layers' aliases; empty text selects every layer.
class LayerSelector {
 public:
  // what: where the text came from, for messages ("--skip", "layers", "layer-sparsity").
  static Expected<LayerSelector> parse(const std::string& text, std::string what);
  static LayerSelector of(std::vector<std::string> patterns, std::string what);

  bool selectsAll() const { return patterns_.empty(); }
  const std::vector<std::string>& patterns() const { return patterns_; }
  // Whether any pattern matches any alias; remembers which patterns matched.
  bool matches(const std::vector<std::string>& aliases);
  // Exit::Usage naming the first pattern that matched no layer ("<what>: no <kind> layer named 'x'"), with
  // the closest of `known` as a hint.
  Status checkAllMatched(const std::vector<std::string>& known, const std::string& kind = "weight") const;

 private:
  std::vector<std::string> patterns_;
  std::vector<bool> matched_;
  std::string what_;
};

}  // namespace dnnc
