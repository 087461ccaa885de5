// The HTML report: dnnc's own `--json` reports (energy, compare, sensitivity, pack, batch, the pipeline
// commands, compress) as one self-contained page of SVG charts and tables: inline CSS, no script, nothing
// fetched. The same documents give the same bytes.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lib/support/error.h"

namespace dnnc {

// One input: where it came from (named in the page and in errors) and its parsed JSON.
struct ReportDocument {
  std::string path;
  nlohmann::json json;
};

// The page for these documents, one part per document in the order given, then accuracy against
// compression over all of them when any reports accuracy. Exit::Input, naming the file, for a document
// that is not a dnnc report this renderer knows or whose keys are not what its command writes.
Expected<std::string> renderHtmlReport(const std::vector<ReportDocument>& documents);

// The commands whose reports render ("batch" also covers a batch folder's summary.json).
const std::vector<std::string>& htmlReportCommands();

}  // namespace dnnc
