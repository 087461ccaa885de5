#include "cli/version.h"

namespace dnnc::cli {

std::string versionLine() {
  std::string line = std::string("dnnc ") + DNNC_VERSION;
  std::string revision = gitRevision();
  if (revision != DNNC_VERSION) line += " (git " + revision + ")";
  return line;
}

}  // namespace dnnc::cli
