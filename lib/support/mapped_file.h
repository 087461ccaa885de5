// A file mapped read-only, for readers that go through a large file once, front to back, and can say
// when they are done with a part of it: release() drops those pages from the process (they are the
// file's, so nothing is lost), so the mapping never holds more than the part in use. unpack reads a
// .dnnc container this way, section by section, instead of reading it whole beside the model it builds.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "lib/support/error.h"

namespace dnnc {

class MappedFile {
 public:
  // A regular file (an empty one maps to an empty span).
  static Expected<std::unique_ptr<MappedFile>> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  // Drops the whole pages inside part (a subspan of bytes()) from memory; reading them again faults
  // them back in from the file.
  void release(std::span<const uint8_t> part) const;

 private:
  MappedFile(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  const uint8_t* data_;
  size_t size_;
};

}  // namespace dnnc
