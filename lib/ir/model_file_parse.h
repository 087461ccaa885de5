// Parsing a ModelProto from a file with each large initializer's raw_data read straight into a string
// of its final size. Protobuf reads a bytes field it cannot see whole in its buffer by appending to a
// string that grows geometrically past 50 MB, so a 411 MB weight briefly costs 400 MB + 800 MB of
// address space and twice its size resident while the last copy is made; mapping the file instead would
// hold the file's pages beside the model. Here the top three levels of the wire format (ModelProto ->
// graph -> initializer) are walked by hand: each initializer's raw_data of at least kDirectReadBytes
// is read from the file into its own string, everything else is handed to protobuf as it was, and the
// pieces are put together in their order, so the message equals protobuf's parse of the whole file.
#pragma once
#include <onnx/onnx_pb.h>

#include <cstdint>

namespace dnnc {

// raw_data fields at least this large are read directly; smaller ones go through protobuf.
inline constexpr uint64_t kDirectReadBytes = uint64_t(1) << 16;

enum class DirectParse {
  Parsed,     // `out` holds the model
  NotPlain,   // the bytes are not a ModelProto this walk understands: parse them with protobuf instead
  ReadError,  // reading the file failed: read_errno says why
};

// Reads `size` bytes of the open file fd from offset 0 into out (the descriptor's offset is not moved).
DirectParse parseModelFileDirect(int fd, uint64_t size, onnx::ModelProto& out, int& read_errno);

}  // namespace dnnc
