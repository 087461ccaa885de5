#include "lib/exec/dataset.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lib/exec/npy.h"

namespace dnnc {

size_t ArraySource::rowBytes() const {
  size_t n = dtypeSize(dtype_);
  for (size_t i = 1; i < dims_.size(); ++i) n *= static_cast<size_t>(dims_[i]);
  return n;
}

namespace {

// Rows read straight from a file at a fixed offset.
class FileArray : public ArraySource {
 public:
  FileArray(std::string path, uint64_t offset, DType dtype, std::vector<int64_t> dims, std::string what)
      : path_(std::move(path)), offset_(offset), in_(path_, std::ios::binary) {
    dtype_ = dtype;
    dims_ = std::move(dims);
    what_ = std::move(what);
  }
  Status readRows(int64_t first, int64_t count, std::byte* dst) override {
    DNNC_CHECK(first >= 0 && count >= 0 && first + count <= rows());
    const size_t rb = rowBytes();
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset_ + static_cast<uint64_t>(first) * rb));
    in_.read(reinterpret_cast<char*>(dst), static_cast<std::streamsize>(rb * static_cast<size_t>(count)));
    if (!in_) return Error(Exit::Input, "cannot read ", what_, " rows ", first, "-", first + count, ": ", std::strerror(errno));
    return {};
  }

 private:
  std::string path_;
  uint64_t offset_;
  std::ifstream in_;
};

class MemoryArray : public ArraySource {
 public:
  MemoryArray(Tensor t, std::string what) : t_(std::move(t)) {
    dtype_ = t_.dtype();
    dims_ = t_.dims();
    what_ = std::move(what);
  }
  Status readRows(int64_t first, int64_t count, std::byte* dst) override {
    DNNC_CHECK(first >= 0 && count >= 0 && first + count <= rows());
    const size_t rb = rowBytes();
    if (rb != 0 && count > 0) std::memcpy(dst, t_.rawData() + rb * static_cast<size_t>(first), rb * static_cast<size_t>(count));
    return {};
  }

 private:
  Tensor t_;
};

Expected<std::string> readPrefix(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(Exit::Input, "cannot open '", path, "': ", std::strerror(errno));
  std::string s(n, '\0');
  in.read(s.data(), static_cast<std::streamsize>(n));
  s.resize(static_cast<size_t>(in.gcount()));
  return s;
}

Expected<std::unique_ptr<ArraySource>> openNpy(const std::string& path) {
  DNNC_ASSIGN(std::string head, readPrefix(path, 1 << 20));
  const std::string what = "'" + path + "'";
  DNNC_ASSIGN(NpyHeader h, parseNpyHeader(head, what));
  uint64_t need = h.data_offset + static_cast<uint64_t>(*checkedNumel(h.dims, what)) * dtypeSize(h.dtype);
  uint64_t size = std::filesystem::file_size(path);
  if (size < need) return Error(Exit::Input, what, ": truncated: needs ", need, " bytes, has ", size);
  return std::unique_ptr<ArraySource>(new FileArray(path, h.data_offset, h.dtype, h.dims, what));
}

Expected<std::unique_ptr<ArraySource>> openNpz(const std::string& path, const std::string& member) {
  DNNC_ASSIGN(auto entries, listZip(path));
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.name.ends_with(".npy") ? e.name.substr(0, e.name.size() - 4) : e.name);
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  int pick = -1;
  if (member.empty()) {
    if (entries.size() != 1)
      return Error(Exit::Input, "'", path, "' holds ", entries.size(), " arrays (", list, "): which one?")
          .withHint("name one as FILE.npz:NAME");
    pick = 0;
  } else {
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == member || entries[i].name == member) pick = static_cast<int>(i);
    if (pick < 0) return Error(Exit::Input, "'", path, "' has no array '", member, "' (it holds ", list, ")");
  }
  const ZipEntry& e = entries[pick];
  const std::string what = "'" + path + "' member '" + names[pick] + "'";
  if (e.method == 0) {  // stored: stream from the file like an .npy
    std::ifstream in(path, std::ios::binary);
    std::string head(std::min<uint64_t>(e.size, 1 << 20), '\0');
    in.seekg(static_cast<std::streamoff>(e.data_offset));
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    DNNC_ASSIGN(NpyHeader h, parseNpyHeader(head, what));
    uint64_t need = h.data_offset + static_cast<uint64_t>(*checkedNumel(h.dims, what)) * dtypeSize(h.dtype);
    if (e.size < need) return Error(Exit::Input, what, ": truncated: needs ", need, " bytes, has ", e.size);
    return std::unique_ptr<ArraySource>(new FileArray(path, e.data_offset + h.data_offset, h.dtype, h.dims, what));
  }
  DNNC_ASSIGN(auto arrays, readNpz(path));
  return std::unique_ptr<ArraySource>(new MemoryArray(std::move(arrays[pick].second), what));
}

Expected<std::unique_ptr<ArraySource>> openPb(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(Exit::Input, "cannot open '", path, "': ", std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  onnx::TensorProto proto;
  if (!proto.ParseFromString(ss.str()))
    return Error(Exit::Input, "'", path, "' is not a .npy, .npz or ONNX TensorProto file");
  std::string dir = std::filesystem::path(path).parent_path().string();
  auto t = readTensor(proto, dir);
  if (!t) return std::move(t).error().context("'" + path + "': ");
  return std::unique_ptr<ArraySource>(new MemoryArray(std::move(*t), "'" + path + "'"));
}

template <class T>
void toFloat(const std::byte* src, float* dst, size_t n) {
  const T* s = reinterpret_cast<const T*>(src);
  for (size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(s[i]);
}

// Raw elements of `from` to float.
bool convertToFloat(DType from, const std::byte* src, float* dst, size_t n) {
  switch (from) {
    case DType::Float: std::memcpy(dst, src, n * 4); return true;
    case DType::Double: toFloat<double>(src, dst, n); return true;
    case DType::Uint8: case DType::Bool: toFloat<uint8_t>(src, dst, n); return true;
    case DType::Int8: toFloat<int8_t>(src, dst, n); return true;
    case DType::Int16: toFloat<int16_t>(src, dst, n); return true;
    case DType::Uint16: toFloat<uint16_t>(src, dst, n); return true;
    case DType::Int32: toFloat<int32_t>(src, dst, n); return true;
    case DType::Uint32: toFloat<uint32_t>(src, dst, n); return true;
    case DType::Int64: toFloat<int64_t>(src, dst, n); return true;
    case DType::Uint64: toFloat<uint64_t>(src, dst, n); return true;
    case DType::Float16: {
      const uint16_t* s = reinterpret_cast<const uint16_t*>(src);
      for (size_t i = 0; i < n; ++i) dst[i] = halfToFloat(s[i]);
      return true;
    }
    default: return false;
  }
}

bool isInteger(DType t) {
  return t == DType::Uint8 || t == DType::Int8 || t == DType::Int16 || t == DType::Uint16 || t == DType::Int32 ||
         t == DType::Uint32 || t == DType::Int64 || t == DType::Uint64 || t == DType::Bool;
}

std::string shapeString(const ValueInfo& v) {
  if (!v.has_shape) return dtypeName(v.dtype);
  std::string s = "[";
  for (size_t i = 0; i < v.dims.size(); ++i) {
    if (i) s += ",";
    s += (v.dims[i] < 0 ? std::string("N") : std::to_string(v.dims[i]));
  }
  return s + "] " + dtypeName(v.dtype);
}

}  // namespace

Expected<std::unique_ptr<ArraySource>> openArray(const std::string& path_in, const std::string& member_in) {
  std::string path = path_in, member = member_in;
  if (!std::filesystem::exists(path)) {
    size_t colon = path.rfind(':');
    if (colon != std::string::npos && std::filesystem::exists(path.substr(0, colon))) {
      member = path.substr(colon + 1);
      path = path.substr(0, colon);
    } else {
      return Error(Exit::Input, "cannot open '", path, "': no such file");
    }
  }
  DNNC_ASSIGN(std::string magic, readPrefix(path, 6));
  if (magic.size() >= 6 && std::memcmp(magic.data(), "\x93NUMPY", 6) == 0) {
    if (!member.empty()) return Error(Exit::Input, "'", path, "' is an .npy file: it has no member '", member, "'");
    return openNpy(path);
  }
  if (magic.size() >= 4 && std::memcmp(magic.data(), "PK\x03\x04", 4) == 0) return openNpz(path, member);
  if (magic.size() >= 4 && std::memcmp(magic.data(), "PK\x05\x06", 4) == 0)
    return Error(Exit::Input, "'", path, "' is an empty .npz archive");
  return openPb(path);
}

Expected<std::vector<std::string>> npzMembers(const std::string& path) {
  DNNC_ASSIGN(auto entries, listZip(path));
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.name.ends_with(".npy") ? e.name.substr(0, e.name.size() - 4) : e.name);
  return names;
}

Expected<std::unique_ptr<BatchLoader>> BatchLoader::create(std::unique_ptr<ArraySource> source, const ValueInfo& input,
                                                           const Preprocess& pre) {
  const auto& d = source->dims();
  auto mismatch = [&](const std::string& why) {
    return Error(Exit::Input, "data ", source->what(), " (", describe(source->dtype(), d), ") does not fit model input '",
                 input.name, "' (", shapeString(input), "): ", why);
  };
  if (d.empty()) return mismatch("a scalar has no samples");
  if (input.has_shape) {
    if (input.dims.size() != d.size())
      return mismatch(strCat("rank ", d.size(), ", expected ", input.dims.size()))
          .withHint("the first axis of the data is the sample axis; reshape the array to [N, ...] as the model expects");
    for (size_t i = 1; i < d.size(); ++i)
      if (input.dims[i] >= 0 && input.dims[i] != d[i])
        return mismatch(strCat("dim ", i, " is ", d[i], ", expected ", input.dims[i]));
  }
  const DType want = input.dtype == DType::Undefined ? DType::Float : input.dtype;
  const DType have = source->dtype();
  if (want == DType::Float || want == DType::Double) {
    if (dtypeSize(have) == 0 || have == DType::Bfloat16) return mismatch("cannot convert its type to float");
  } else if (want != have && !(isInteger(want) && isInteger(have))) {
    return mismatch(strCat("model expects ", dtypeName(want), ", data is ", dtypeName(have)));
  }
  if (!pre.identity() && want != DType::Float)
    return mismatch("--scale/--mean/--std apply to float inputs only");
  auto loader = std::unique_ptr<BatchLoader>(new BatchLoader());
  loader->channels_ = d.size() >= 2 ? d[1] : 1;
  loader->inner_ = 1;
  for (size_t i = 2; i < d.size(); ++i) loader->inner_ *= d[i];
  for (const auto* v : {&pre.mean, &pre.std})
    if (v->size() > 1 && static_cast<int64_t>(v->size()) != loader->channels_)
      return mismatch(strCat(v == &pre.mean ? "--mean" : "--std", " has ", v->size(), " values for ", loader->channels_,
                             " channels (axis 1)"));
  for (float s : pre.std)
    if (s == 0.0f) return Error(Exit::Usage, "--std must not be 0");
  loader->source_ = std::move(source);
  loader->input_ = input;
  loader->input_.dtype = want;
  loader->pre_ = pre;
  return loader;
}

Expected<bool> BatchLoader::next(int64_t batch, Tensor& out) {
  DNNC_CHECK(batch > 0);
  const int64_t n = std::min(batch, samples() - next_);
  if (n <= 0) return false;
  std::vector<int64_t> dims = source_->dims();
  dims[0] = n;
  const size_t rb = source_->rowBytes();
  const DType want = input_.dtype, have = source_->dtype();
  if (out.dtype() != want || out.dims() != dims) out = Tensor(want, dims);
  const size_t count = static_cast<size_t>(out.numel());
  if (want == have && (want != DType::Float || pre_.identity())) {
    DNNC_TRY(source_->readRows(next_, n, out.rawData()));
  } else {
    raw_.resize(rb * static_cast<size_t>(n));
    DNNC_TRY(source_->readRows(next_, n, raw_.data()));
    if (want == DType::Float || want == DType::Double) {
      std::vector<float> tmp;
      float* dst = want == DType::Float ? out.data<float>() : (tmp.resize(count), tmp.data());
      DNNC_CHECK(convertToFloat(have, raw_.data(), dst, count));
      if (!pre_.identity()) {
        const int64_t per_sample = channels_ * inner_;
        for (size_t i = 0; i < count; ++i) {
          int64_t c = (static_cast<int64_t>(i) % per_sample) / inner_;
          float m = pre_.mean.empty() ? 0.0f : pre_.mean[pre_.mean.size() == 1 ? 0 : c];
          float s = pre_.std.empty() ? 1.0f : pre_.std[pre_.std.size() == 1 ? 0 : c];
          dst[i] = (dst[i] * pre_.scale - m) / s;
        }
      }
      if (want == DType::Double)
        for (size_t i = 0; i < count; ++i) out.data<double>()[i] = tmp[i];
    } else {  // integer to integer
      Tensor src(have, dims);
      std::memcpy(src.rawData(), raw_.data(), raw_.size());
      auto f = src.toFloats();  // exact below 2^24; ids and labels are small
      out = Tensor::fromFloats(f, dims, want);
    }
  }
  next_ += n;
  return true;
}

Expected<std::unique_ptr<BatchLoader>> openData(const DataOptions& options, const ValueInfo& input) {
  Preprocess pre;
  pre.scale = options.scale;
  if (!std::isfinite(pre.scale) || pre.scale == 0.0f) return Error(Exit::Usage, "--scale must be a nonzero number");
  if (!options.mean.empty()) {
    DNNC_ASSIGN(pre.mean, parseFloatList(options.mean, "--mean"));
  }
  if (!options.std.empty()) {
    DNNC_ASSIGN(pre.std, parseFloatList(options.std, "--std"));
  }
  DNNC_ASSIGN(auto source, openArray(options.path));
  return BatchLoader::create(std::move(source), input, pre);
}

Expected<std::vector<int64_t>> readLabels(const std::string& path, const std::string& member) {
  DNNC_ASSIGN(auto src, openArray(path, member));
  const auto& d = src->dims();
  if (!(d.size() == 1 || (d.size() == 2 && d[1] == 1)))
    return Error(Exit::Input, "labels ", src->what(), " must be [N] or [N,1], got ", dimsToString(d));
  Tensor t(src->dtype(), d);
  DNNC_TRY(src->readRows(0, src->rows(), t.rawData()));
  std::vector<int64_t> out(static_cast<size_t>(t.numel()));
  if (src->dtype() == DType::Int64) {
    std::memcpy(out.data(), t.rawData(), out.size() * 8);
    return out;
  }
  if (dtypeSize(src->dtype()) == 0) return Error(Exit::Input, "labels ", src->what(), " are not numeric");
  auto f = t.toFloats();
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != std::floor(f[i])) return Error(Exit::Input, "labels ", src->what(), " hold a non-integer value ", f[i], " at ", i);
    out[i] = static_cast<int64_t>(f[i]);
  }
  return out;
}

Expected<std::vector<float>> parseFloatList(const std::string& text, const std::string& what) {
  std::vector<float> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    float v = std::strtof(item.c_str(), &end);
    if (item.empty() || *end != '\0' || !std::isfinite(v))
      return Error(Exit::Usage, what, ": '", item, "' is not a number (expected a value or a comma-separated list)");
    out.push_back(v);
  }
  if (out.empty()) return Error(Exit::Usage, what, ": no values");
  return out;
}

}  // namespace dnnc
