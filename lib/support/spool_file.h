// An unnamed temporary file that holds bytes made now and wanted later, outside the process's memory:
// pack spools each tensor section there as it is coded, because the container's header (written first)
// lists every section's size and CRC. The file has no name (O_TMPFILE, else unlinked at once), so
// nothing is left behind however the process ends.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "lib/support/error.h"

namespace dnnc {

class SpoolFile {
 public:
  // A spool in dir (beside the output, so it is on the same file system and not in a tmpfs's memory).
  static Expected<std::unique_ptr<SpoolFile>> create(const std::string& dir);
  ~SpoolFile();
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;

  Status append(std::string_view bytes);
  uint64_t size() const { return size_; }
  // Writes everything appended, in order, to out_fd at its current offset; out_path names it in errors.
  Status copyTo(int out_fd, const std::string& out_path);

 private:
  SpoolFile(int fd, std::string dir) : fd_(fd), dir_(std::move(dir)) {}
  int fd_;
  std::string dir_;
  uint64_t size_ = 0;
};

}  // namespace dnnc
