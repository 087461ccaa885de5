#include "lib/support/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>

namespace dnnc {
namespace {

// Pending temp files, as fixed C strings so the signal handler can unlink them without allocating.
constexpr int kMaxPending = 16;
char g_pending[kMaxPending][4096];
std::atomic<bool> g_used[kMaxPending];

int registerPending(const std::string& path) {
  for (int i = 0; i < kMaxPending; ++i) {
    bool expected = false;
    if (g_used[i].compare_exchange_strong(expected, true)) {
      std::strncpy(g_pending[i], path.c_str(), sizeof(g_pending[i]) - 1);
      g_pending[i][sizeof(g_pending[i]) - 1] = '\0';
      return i;
    }
  }
  return -1;
}

void unregisterPending(int slot) {
  if (slot >= 0) g_used[slot] = false;
}

extern "C" void onSignal(int sig) {
  for (int i = 0; i < kMaxPending; ++i)
    if (g_used[i]) ::unlink(g_pending[i]);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

}  // namespace

Status writeAll(int fd, std::string_view bytes, const std::string& path) {
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error(Exit::Output, "cannot write '", path, "': ", std::strerror(errno));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return {};
}

void installTempFileCleanup() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
  });
}

Status writeFileAtomic(const std::string& path, std::string_view bytes) {
  if (path == "-") {
    std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::cout.flush();
    if (!std::cout) return Error(Exit::Output, "cannot write to stdout");
    return {};
  }
  return writeFileAtomic(path, [&](int fd) { return writeAll(fd, bytes, path); });
}

Status writeFileAtomic(const std::string& path, const std::function<Status(int fd)>& write) {
  if (path == "-") {
    std::cout.flush();
    if (!std::cout) return Error(Exit::Output, "cannot write to stdout");
    return write(STDOUT_FILENO);
  }
  installTempFileCleanup();
  std::string tmp = strCat(path, ".tmp.", ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error(Exit::Output, "cannot write '", path, "': ", std::strerror(errno));
  int slot = registerPending(tmp);
  Status st = write(fd);
  if (st && ::fsync(fd) != 0) st = Error(Exit::Output, "cannot write '", path, "': fsync: ", std::strerror(errno));
  if (::close(fd) != 0 && st) st = Error(Exit::Output, "cannot write '", path, "': ", std::strerror(errno));
  if (st && ::rename(tmp.c_str(), path.c_str()) != 0)
    st = Error(Exit::Output, "cannot write '", path, "': ", std::strerror(errno));
  if (!st) ::unlink(tmp.c_str());
  unregisterPending(slot);
  return st;
}

bool sameFile(const std::string& a, const std::string& b) {
  if (a == "-" || b == "-") return false;
  struct stat sa {}, sb {};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

Expected<std::string> readFile(const std::string& path) {
  if (path == "-") {
    std::string data((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    return data;
  }
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Error(Exit::Input, "cannot read '", path, "': no such file");
  if (std::filesystem::is_directory(path, ec)) return Error(Exit::Input, "cannot read '", path, "': is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(Exit::Input, "cannot read '", path, "': ", std::strerror(errno));
  // Sized once from the file's length: growing by doubling peaked at twice the file and copied it repeatedly.
  std::string data;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > 0) {
    data.resize(size);
    in.read(data.data(), static_cast<std::streamsize>(size));
    data.resize(static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return Error(Exit::Input, "cannot read '", path, "': read error");
  // A file that grew meanwhile, or one whose size the system does not know (a pipe): the rest as it comes.
  data.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) return Error(Exit::Input, "cannot read '", path, "': read error");
  return data;
}

}  // namespace dnnc
