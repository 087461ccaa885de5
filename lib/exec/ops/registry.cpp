// The executor's kernels: the ops with a Kernel in the op table (lib/ir/ops.def). One list, no static
// registration objects (a static library would drop op files nothing references).
#include <algorithm>
#include <cstring>

#include "lib/exec/kernel.h"
#include "lib/ir/graph.h"

namespace dnnc {

#define DNNC_KERNEL_Kernel(name) Expected<std::unique_ptr<Kernel>> make##name(const NodeInfo& info);
#define DNNC_KERNEL_NoKernel(name)
#define DNNC_OP(name, kernel, ...) DNNC_KERNEL_##kernel(name)
#include "lib/ir/ops.def"
#undef DNNC_OP
#undef DNNC_KERNEL_NoKernel
#undef DNNC_KERNEL_Kernel

namespace {
struct Entry {
  const char* name;
  KernelFactory factory;
};
constexpr Entry kOps[] = {
#define DNNC_KERNEL_Kernel(name) {#name, &make##name},
#define DNNC_KERNEL_NoKernel(name)
#define DNNC_OP(name, kernel, ...) DNNC_KERNEL_##kernel(name)
#include "lib/ir/ops.def"
#undef DNNC_OP
#undef DNNC_KERNEL_NoKernel
#undef DNNC_KERNEL_Kernel
};
}  // namespace

KernelFactory findKernel(const std::string& op_type) {
  auto it = std::lower_bound(std::begin(kOps), std::end(kOps), op_type,
                             [](const Entry& e, const std::string& name) { return std::strcmp(e.name, name.c_str()) < 0; });
  return it != std::end(kOps) && op_type == it->name ? it->factory : nullptr;
}

std::vector<std::string> supportedOps() {
  std::vector<std::string> names;
  for (const Entry& e : kOps) names.push_back(e.name);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> subgraphCaptures(const onnx::NodeProto& node) {
  std::set<std::string> names;
  for (const auto& attr : node.attribute()) {
    if (attr.has_g()) collectCapturedNames(attr.g(), names);
    for (const auto& g : attr.graphs()) collectCapturedNames(g, names);
  }
  return {names.begin(), names.end()};
}

}  // namespace dnnc
