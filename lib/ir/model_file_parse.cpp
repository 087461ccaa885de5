#include "lib/ir/model_file_parse.h"

#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

namespace dnnc {

namespace {

// Reads a file front to back through a buffer, by pread (the descriptor's offset is left alone, so a
// caller can still hand the descriptor to protobuf afterwards).
class FileCursor {
 public:
  FileCursor(int fd, uint64_t size) : fd_(fd), size_(size), buf_(size_t(1) << 20) {}

  uint64_t pos() const { return pos_; }
  int error() const { return errno_; }

  // A varint; its bytes as they are in the file are appended to raw when given.
  bool varint(uint64_t& v, std::string* raw = nullptr) {
    if (!fill(std::min<uint64_t>(10, size_ - pos_))) return false;
    v = 0;
    for (int i = 0; i < 10; ++i) {
      if (available() == 0) return false;
      const uint8_t b = uint8_t(buf_[size_t(pos_ - start_)]);
      ++pos_;
      if (raw) raw->push_back(char(b));
      v |= uint64_t(b & 0x7f) << (7 * i);
      if (!(b & 0x80)) return true;
    }
    return false;
  }

  // Appends the next n bytes to out.
  bool append(uint64_t n, std::string& out) {
    const size_t old = out.size();
    out.resize(old + size_t(n));
    return read(out.data() + old, n);
  }

  // Copies the next n bytes to dst: what is buffered, then the rest straight from the file.
  bool read(char* dst, uint64_t n) {
    if (n > size_ - pos_) return false;
    const uint64_t buffered = std::min(n, available());
    std::copy_n(buf_.data() + (pos_ - start_), buffered, dst);
    pos_ += buffered;
    dst += buffered;
    n -= buffered;
    if (n == 0) return true;
    if (n < buf_.size() / 2) {
      if (!fill(n)) return false;
      std::copy_n(buf_.data(), n, dst);
      pos_ += n;
      return true;
    }
    if (!preadAll(dst, n, pos_)) return false;
    pos_ += n;
    start_ = pos_;
    len_ = 0;
    return true;
  }

 private:
  uint64_t available() const { return start_ + len_ - pos_; }

  // Makes at least n bytes (at most the buffer's size) available at pos_.
  bool fill(uint64_t n) {
    if (available() >= n) return true;
    if (n > buf_.size() || n > size_ - pos_) return false;
    const uint64_t keep = available();
    std::copy_n(buf_.data() + (pos_ - start_), keep, buf_.data());
    start_ = pos_;
    len_ = keep;
    const uint64_t want = std::min<uint64_t>(buf_.size(), size_ - pos_) - keep;
    if (!preadAll(buf_.data() + keep, want, pos_ + keep)) return false;
    len_ += want;
    return true;
  }

  bool preadAll(char* dst, uint64_t n, uint64_t offset) {
    while (n > 0) {
      const ssize_t got = ::pread(fd_, dst, size_t(std::min<uint64_t>(n, uint64_t(1) << 30)), off_t(offset));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) errno_ = errno;
      if (got <= 0) return false;  // an error, or the file is shorter than it was
      dst += got;
      offset += uint64_t(got);
      n -= uint64_t(got);
    }
    return true;
  }

  int fd_;
  uint64_t size_;
  std::vector<char> buf_;
  uint64_t start_ = 0, len_ = 0;  // buf_ holds the file's bytes [start_, start_ + len_)
  uint64_t pos_ = 0;
  int errno_ = 0;
};

constexpr uint64_t kLengthDelimited = 2;
constexpr uint64_t tagOf(uint64_t field) { return field << 3 | kLengthDelimited; }
constexpr uint64_t kModelGraph = tagOf(7);         // ModelProto.graph
constexpr uint64_t kGraphInitializer = tagOf(5);  // GraphProto.initializer
constexpr uint64_t kTensorRawData = tagOf(9);     // TensorProto.raw_data

// Copies the body of a field whose tag (already in out) was just read. Groups and invalid wire types
// are left to protobuf.
bool copyBody(FileCursor& in, uint64_t tag, uint64_t limit, std::string& out) {
  uint64_t len = 0;
  switch (tag & 7) {
    case 0: return in.varint(len, &out) && in.pos() <= limit;
    case 1: len = 8; break;
    case 5: len = 4; break;
    case 2:
      if (!in.varint(len, &out)) return false;
      break;
    default: return false;
  }
  return in.pos() <= limit && len <= limit - in.pos() && in.append(len, out);
}

// The next field's tag and its length prefix when it is length-delimited, appended to raw.
bool readTag(FileCursor& in, uint64_t& tag, std::string& raw) { return in.varint(tag, &raw) && (tag >> 3) != 0; }

bool readLength(FileCursor& in, uint64_t limit, uint64_t& len, std::string* raw = nullptr) {
  return in.varint(len, raw) && in.pos() <= limit && len <= limit - in.pos();
}

// One initializer, ending at limit. raw_data follows protobuf's rule for a repeated singular field (the
// last one wins), whichever way each was read.
std::unique_ptr<onnx::TensorProto> readTensor(FileCursor& in, uint64_t limit) {
  std::string rest, direct;
  bool has_direct = false;
  while (in.pos() < limit) {
    std::string head;
    uint64_t tag = 0, len = 0;
    if (!readTag(in, tag, head)) return nullptr;
    if (tag == kTensorRawData) {
      if (!readLength(in, limit, len, &head)) return nullptr;
      if (len >= kDirectReadBytes) {
        std::string data(size_t(len), '\0');
        if (!in.read(data.data(), len)) return nullptr;
        direct.swap(data);
        has_direct = true;
      } else {
        std::string().swap(direct);
        has_direct = false;
        rest += head;
        if (!in.append(len, rest)) return nullptr;
      }
      continue;
    }
    rest += head;
    if (!copyBody(in, tag, limit, rest)) return nullptr;
  }
  auto t = std::make_unique<onnx::TensorProto>();
  if (in.pos() != limit || !t->ParseFromString(rest)) return nullptr;
  if (has_direct) t->set_raw_data(std::move(direct));
  return t;
}

// The fields of one occurrence of ModelProto.graph: initializers apart, the rest appended to rest.
bool readGraph(FileCursor& in, uint64_t limit, std::string& rest, std::vector<std::unique_ptr<onnx::TensorProto>>& initializers) {
  while (in.pos() < limit) {
    std::string head;
    uint64_t tag = 0, len = 0;
    if (!readTag(in, tag, head)) return false;
    if (tag == kGraphInitializer) {
      if (!readLength(in, limit, len)) return false;
      auto t = readTensor(in, in.pos() + len);
      if (!t) return false;
      initializers.push_back(std::move(t));
      continue;
    }
    rest += head;
    if (!copyBody(in, tag, limit, rest)) return false;
  }
  return in.pos() == limit;
}

}  // namespace

DirectParse parseModelFileDirect(int fd, uint64_t size, onnx::ModelProto& out, int& read_errno) {
  FileCursor in(fd, size);
  std::string model_rest, graph_rest;
  std::vector<std::unique_ptr<onnx::TensorProto>> initializers;
  bool has_graph = false;
  const auto notPlain = [&] {
    read_errno = in.error();
    return read_errno != 0 ? DirectParse::ReadError : DirectParse::NotPlain;
  };
  while (in.pos() < size) {
    std::string head;
    uint64_t tag = 0, len = 0;
    if (!readTag(in, tag, head)) return notPlain();
    if (tag == kModelGraph) {
      // Occurrences of a message field merge: their fields concatenate, in order.
      if (!readLength(in, size, len) || !readGraph(in, in.pos() + len, graph_rest, initializers)) return notPlain();
      has_graph = true;
      continue;
    }
    model_rest += head;
    if (!copyBody(in, tag, size, model_rest)) return notPlain();
  }
  onnx::ModelProto model;
  if (!model.ParseFromString(model_rest)) return DirectParse::NotPlain;
  if (has_graph) {
    onnx::GraphProto* graph = model.mutable_graph();
    if (!graph->ParseFromString(graph_rest)) return DirectParse::NotPlain;
    graph->mutable_initializer()->Reserve(int(initializers.size()));
    for (auto& t : initializers) graph->mutable_initializer()->AddAllocated(t.release());
  }
  out.Swap(&model);
  return DirectParse::Parsed;
}

}  // namespace dnnc
