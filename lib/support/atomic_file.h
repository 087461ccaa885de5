// Atomic output: write "<out>.tmp.<pid>" beside the target, fsync, rename. The temp file is removed on
// error and on SIGINT/SIGTERM, so a failed or interrupted run never leaves a half-written output.
#pragma once
#include <functional>
#include <string>
#include <string_view>

#include "lib/support/error.h"

namespace dnnc {

// Writes bytes to path atomically; path "-" writes stdout.
Status writeFileAtomic(const std::string& path, std::string_view bytes);

// Writes what `write` streams to the descriptor it is given, atomically as above ("-": stdout), so a large
// output need not be held in memory whole before it is written.
Status writeFileAtomic(const std::string& path, const std::function<Status(int fd)>& write);

// Writes all of bytes to fd (retrying short writes); path names the file in the error.
Status writeAll(int fd, std::string_view bytes, const std::string& path);

// Installs the SIGINT/SIGTERM handler that removes pending temp files (idempotent).
void installTempFileCleanup();

// True if a and b name the same existing file (after symlinks), used to refuse overwriting an input.
bool sameFile(const std::string& a, const std::string& b);

// Reads a whole file ("-" reads stdin).
Expected<std::string> readFile(const std::string& path);

}  // namespace dnnc
