// SHA-256 (FIPS 180-4), for recording exactly which input a report describes.
#pragma once
#include <string>
#include <string_view>

namespace dnnc {
std::string sha256Hex(std::string_view data);
}
