#include "lib/pass/pass.h"

namespace dnnc {

void PassLog::rewrite(const std::string& what, std::vector<std::string> nodes, nlohmann::json details) {
  nlohmann::json entry = {{"rewrite", what}, {"nodes", nodes}};
  if (!details.is_null()) entry["details"] = std::move(details);
  rewrites.push_back(std::move(entry));
}

void PassLog::skip(const std::string& node, const std::string& reason) {
  skipped.push_back({{"node", node}, {"reason", reason}});
}

}  // namespace dnnc
