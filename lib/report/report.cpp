#include "lib/report/report.h"

namespace dnnc {

Report::Report(const std::string& command) {
  root_ = {{"schema_version", kReportSchemaVersion}, {"tool", "dnnc"}, {"tool_version", DNNC_VERSION},
           {"command", command}};
}

void Report::addInput(const std::string& path, const std::string& sha256) {
  root_["inputs"].push_back({{"path", path}, {"sha256", sha256}});
}

}  // namespace dnnc
