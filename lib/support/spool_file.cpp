#include "lib/support/spool_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "lib/support/atomic_file.h"

namespace dnnc {

namespace {

Error spoolError(const std::string& dir, const char* action, int err) {
  return Error(Exit::Output, "cannot ", action, " a temporary file in '", dir, "': ", std::strerror(err));
}

}  // namespace

Expected<std::unique_ptr<SpoolFile>> SpoolFile::create(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {  // a file system without O_TMPFILE: a named file, unlinked at once
    std::string name = dir + "/.dnnc-spool-XXXXXX";
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd < 0) return spoolError(dir, "create", errno);
    ::unlink(name.c_str());
  }
  return std::unique_ptr<SpoolFile>(new SpoolFile(fd, dir));
}

SpoolFile::~SpoolFile() { ::close(fd_); }

Status SpoolFile::append(std::string_view bytes) {
  DNNC_TRY(writeAll(fd_, bytes, dir_ + " (temporary file)"));
  size_ += bytes.size();
  return {};
}

Status SpoolFile::copyTo(int out_fd, const std::string& out_path) {
  // In the kernel where it can (no copy through this process), else through a small buffer.
  off_t offset = 0;
  uint64_t left = size_;
  while (left > 0) {
    const ssize_t n = ::copy_file_range(fd_, &offset, out_fd, nullptr, size_t(std::min<uint64_t>(left, uint64_t(1) << 30)), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // not supported between these files (a pipe, another file system): copy below
    left -= uint64_t(n);
  }
  std::vector<char> buffer(left > 0 ? size_t(1) << 20 : 0);
  while (left > 0) {
    const ssize_t n = ::pread(fd_, buffer.data(), size_t(std::min<uint64_t>(left, buffer.size())), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return spoolError(dir_, "read back", n < 0 ? errno : EIO);
    DNNC_TRY(writeAll(out_fd, std::string_view(buffer.data(), size_t(n)), out_path));
    offset += n;
    left -= uint64_t(n);
  }
  return {};
}

}  // namespace dnnc
