// What `dnnc --version` prints: the project version and the git revision the binary was built from.
#pragma once
#include <string>

namespace dnnc::cli {

// `git describe --always --dirty` of the source tree at build time, or the project version where the
// sources are not a git checkout. Defined in the generated revision.cpp (cmake/revision.cmake), the
// only file that recompiles when the revision changes.
const char* gitRevision();

// "dnnc 0.1.0 (git 1f28f12-dirty)", or "dnnc 0.1.0" outside a git checkout.
std::string versionLine();

}  // namespace dnnc::cli
