// The vocabulary every pass, analysis and kernel uses to read and write an ONNX node: typed attribute
// access, the one label a node goes by in reports, selectors and errors, and the default-domain test.
#pragma once
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dnnc {

// The attribute `name` of a node, or nullptr.
const onnx::AttributeProto* findAttr(const onnx::NodeProto& node, std::string_view name);
bool hasAttr(const onnx::NodeProto& node, std::string_view name);

// Typed reads with the ONNX default given as `fallback` when the attribute is absent.
int64_t attrInt(const onnx::NodeProto& node, std::string_view name, int64_t fallback);
float attrFloat(const onnx::NodeProto& node, std::string_view name, float fallback);
std::string attrString(const onnx::NodeProto& node, std::string_view name, const std::string& fallback);
std::vector<int64_t> attrInts(const onnx::NodeProto& node, std::string_view name);  // empty when absent
// The ints, or `fallback` when the attribute is absent or empty (kernel_shape, strides, pads, dilations).
std::vector<int64_t> attrInts(const onnx::NodeProto& node, std::string_view name, std::vector<int64_t> fallback);
std::vector<float> attrFloats(const onnx::NodeProto& node, std::string_view name);  // empty when absent
std::vector<std::string> attrStrings(const onnx::NodeProto& node, std::string_view name);

// Sets (adding or replacing) an attribute of the given type.
void setAttrInt(onnx::NodeProto& node, std::string_view name, int64_t value);
void setAttrFloat(onnx::NodeProto& node, std::string_view name, float value);
void setAttrString(onnx::NodeProto& node, std::string_view name, const std::string& value);
void setAttrInts(onnx::NodeProto& node, std::string_view name, const std::vector<int64_t>& values);
void removeAttr(onnx::NodeProto& node, std::string_view name);

// The node's name, or its first output's name when it has none (the op type when it has neither): what
// reports, selectors, mapping files and executor errors call it.
std::string nodeLabel(const onnx::NodeProto& node);

// Whether the node belongs to the default ONNX domain ("" or "ai.onnx"); passes leave other domains'
// nodes alone.
bool isDefaultDomain(const onnx::NodeProto& node);

// Whether the node holds a graph attribute (If, Loop, Scan bodies).
bool hasSubgraph(const onnx::NodeProto& node);

// LSTM, GRU or RNN: ops that hold input (W) and recurrence (R) weight matrices.
bool isRecurrentOp(const std::string& op_type);

// Whether input i is present (ONNX writes an empty name for a skipped optional input).
inline bool hasInput(const onnx::NodeProto& node, int i) { return i < node.input_size() && !node.input(i).empty(); }

}  // namespace dnnc
