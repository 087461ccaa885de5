// SHA-256 (FIPS 180-4), for recording exactly which input a report describes.
#pragma once
#include <string>
#include <string_view>

#include "lib/support/error.h"

namespace dnnc {
std::string sha256Hex(std::string_view data);
// The SHA-256 of a file, read in blocks (the file is never held in memory whole).
Expected<std::string> sha256FileHex(const std::string& path);
}
