// Decimal text for doubles that reads back exactly: pipeline text, reports and YAML print numbers with it.
#pragma once
#include <string>

namespace dnnc {

// Shortest decimal text that reads back to the same double.
std::string formatDouble(double v);

}  // namespace dnnc
