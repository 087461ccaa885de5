#include "lib/exec/npy.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include "lib/exec/inflate.h"

namespace dnnc {

namespace {

Expected<DType> dtypeFromDescr(const std::string& descr, const std::string& what) {
  if (descr.size() < 2) return Error(Exit::Input, what, ": unknown dtype '", descr, "'");
  char order = descr[0];
  std::string code = descr.substr(1);
  if (code == "O" || code.rfind("V", 0) == 0 || code.rfind("U", 0) == 0 || code.rfind("S", 0) == 0)
    return Error(Exit::Input, what, ": dtype '", descr, "' (object, string or structured arrays) is not supported")
        .withHint("save a numeric array: np.save(path, x.astype(np.float32))");
  if (order == '>' && code != "u1" && code != "i1" && code != "b1")
    return Error(Exit::Input, what, ": big-endian data ('", descr, "') is not supported")
        .withHint("convert it: x.astype(x.dtype.newbyteorder('<'))");
  if (order != '<' && order != '|' && order != '=' && order != '>')
    return Error(Exit::Input, what, ": unknown dtype '", descr, "'");
  static const std::pair<const char*, DType> kTypes[] = {
      {"f4", DType::Float}, {"f8", DType::Double}, {"f2", DType::Float16}, {"u1", DType::Uint8},
      {"i1", DType::Int8},  {"i2", DType::Int16},  {"u2", DType::Uint16},  {"i4", DType::Int32},
      {"u4", DType::Uint32}, {"i8", DType::Int64}, {"u8", DType::Uint64},  {"b1", DType::Bool}};
  for (const auto& [c, t] : kTypes)
    if (code == c) return t;
  return Error(Exit::Input, what, ": dtype '", descr, "' is not supported (float16/32/64, int8-64, uint8-64, bool)");
}

// The value of key in numpy's header dict literal, e.g. "'<f4'", "False", "(3, 4)".
std::string dictValue(const std::string& h, const std::string& key) {
  size_t k = h.find("'" + key + "'");
  if (k == std::string::npos) k = h.find("\"" + key + "\"");
  if (k == std::string::npos) return "";
  size_t colon = h.find(':', k);
  if (colon == std::string::npos) return "";
  size_t s = h.find_first_not_of(" ", colon + 1);
  if (s == std::string::npos) return "";
  if (h[s] == '(') {
    size_t e = h.find(')', s);
    return e == std::string::npos ? "" : h.substr(s, e - s + 1);
  }
  if (h[s] == '\'' || h[s] == '"') {
    size_t e = h.find(h[s], s + 1);
    return e == std::string::npos ? "" : h.substr(s + 1, e - s - 1);
  }
  size_t e = h.find_first_of(",}", s);
  return h.substr(s, e - s);
}

uint16_t le16(const char* p) { return static_cast<uint16_t>(static_cast<uint8_t>(p[0]) | static_cast<uint8_t>(p[1]) << 8); }
uint32_t le32(const char* p) { return le16(p) | static_cast<uint32_t>(le16(p + 2)) << 16; }
uint64_t le64(const char* p) { return le32(p) | static_cast<uint64_t>(le32(p + 4)) << 32; }

void put16(std::string& s, uint16_t v) { s += static_cast<char>(v & 0xff); s += static_cast<char>(v >> 8); }
void put32(std::string& s, uint32_t v) { put16(s, v & 0xffff); put16(s, v >> 16); }

Expected<std::string> readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(Exit::Input, "cannot open '", path, "': ", std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string descrOf(DType t) {
  switch (t) {
    case DType::Float: return "<f4";
    case DType::Double: return "<f8";
    case DType::Float16: return "<f2";
    case DType::Uint8: return "|u1";
    case DType::Int8: return "|i1";
    case DType::Bool: return "|b1";
    case DType::Int16: return "<i2";
    case DType::Uint16: return "<u2";
    case DType::Int32: return "<i4";
    case DType::Uint32: return "<u4";
    case DType::Int64: return "<i8";
    case DType::Uint64: return "<u8";
    default: return "";
  }
}

Expected<Tensor> tensorFromNpyBytes(const std::string& bytes, const std::string& what) {
  DNNC_ASSIGN(NpyHeader h, parseNpyHeader(bytes, what));
  DNNC_ASSIGN(int64_t n, checkedNumel(h.dims, what));
  uint64_t need = static_cast<uint64_t>(n) * dtypeSize(h.dtype);
  if (bytes.size() - h.data_offset < need)
    return Error(Exit::Input, what, ": truncated: dims ", n, " x ", dtypeName(h.dtype), " need ", need, " bytes, the file has ",
                 bytes.size() - h.data_offset);
  Tensor t(h.dtype, h.dims);
  if (need) std::memcpy(t.rawData(), bytes.data() + h.data_offset, need);
  return t;
}

}  // namespace

Expected<NpyHeader> parseNpyHeader(const std::string& bytes, const std::string& what) {
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0)
    return Error(Exit::Input, what, ": not a .npy file (no \\x93NUMPY magic)");
  int major = static_cast<uint8_t>(bytes[6]);
  uint64_t header_len, start;
  if (major == 1) {
    header_len = le16(bytes.data() + 8);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return Error(Exit::Input, what, ": truncated .npy header");
    header_len = le32(bytes.data() + 8);
    start = 12;
  } else {
    return Error(Exit::Input, what, ": .npy format version ", major, " is not supported (1, 2, 3)");
  }
  if (bytes.size() < start + header_len) return Error(Exit::Input, what, ": truncated .npy header");
  std::string h = bytes.substr(start, header_len);
  NpyHeader out;
  out.data_offset = start + header_len;
  std::string descr = dictValue(h, "descr"), fortran = dictValue(h, "fortran_order"), shape = dictValue(h, "shape");
  if (descr.empty() || fortran.empty() || shape.empty())
    return Error(Exit::Input, what, ": malformed .npy header '", h, "'");
  if (fortran.find("True") != std::string::npos)
    return Error(Exit::Input, what, ": Fortran-order arrays are not supported")
        .withHint("save a C-order copy: np.save(path, np.ascontiguousarray(x))");
  DNNC_ASSIGN(out.dtype, dtypeFromDescr(descr, what));
  // "(10000, 1, 28, 28)", "(5,)", "()"
  std::string inner = shape.substr(1, shape.size() - 2);
  std::stringstream ss(inner);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t s = item.find_first_not_of(" L");
    if (s == std::string::npos) continue;
    size_t e = item.find_last_not_of(" L");
    std::string num = item.substr(s, e - s + 1);
    char* end = nullptr;
    long long v = std::strtoll(num.c_str(), &end, 10);
    if (num.empty() || *end != '\0' || v < 0) return Error(Exit::Input, what, ": bad shape '", shape, "'");
    out.dims.push_back(v);
  }
  DNNC_TRY(checkedNumel(out.dims, what));
  return out;
}

std::string npyHeader(DType dtype, const std::vector<int64_t>& dims) {
  std::string shape = "(";
  for (size_t i = 0; i < dims.size(); ++i) shape += std::to_string(dims[i]) + (dims.size() == 1 ? "," : i + 1 < dims.size() ? ", " : "");
  shape += ")";
  std::string dict = "{'descr': '" + descrOf(dtype) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + dict.size() + 1;
  bool v2 = total > 65535;
  if (v2) total += 2;
  size_t padded = (total + 63) / 64 * 64;
  dict.append(padded - total, ' ');
  dict += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(v2 ? 2 : 1);
  out += '\0';
  if (v2) put32(out, static_cast<uint32_t>(dict.size()));
  else put16(out, static_cast<uint16_t>(dict.size()));
  return out + dict;
}

Expected<Tensor> readNpy(const std::string& path) {
  DNNC_ASSIGN(std::string bytes, readAll(path));
  return tensorFromNpyBytes(bytes, "'" + path + "'");
}

Status writeNpy(const std::string& path, const Tensor& t) {
  if (descrOf(t.dtype()).empty()) return Error(Exit::Output, "cannot write ", dtypeName(t.dtype()), " to .npy");
  std::ofstream out(path, std::ios::binary);
  std::string h = npyHeader(t.dtype(), t.dims());
  out.write(h.data(), static_cast<std::streamsize>(h.size()));
  out.write(reinterpret_cast<const char*>(t.rawData()), static_cast<std::streamsize>(t.sizeBytes()));
  out.close();
  if (!out) return Error(Exit::Output, "cannot write '", path, "': ", std::strerror(errno));
  return {};
}

Expected<std::vector<ZipEntry>> listZip(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(Exit::Input, "cannot open '", path, "': ", std::strerror(errno));
  in.seekg(0, std::ios::end);
  const uint64_t size = static_cast<uint64_t>(in.tellg());
  auto bad = [&](const std::string& why) { return Error(Exit::Input, "'", path, "': not a valid .npz (zip) file: ", why); };
  auto readAt = [&](uint64_t off, size_t n) -> std::string {
    std::string s(n, '\0');
    in.clear();
    in.seekg(static_cast<std::streamoff>(off));
    in.read(s.data(), static_cast<std::streamsize>(n));
    s.resize(static_cast<size_t>(in.gcount()));
    return s;
  };
  // End of central directory: in the last 64 KiB + 22 bytes.
  uint64_t tail = std::min<uint64_t>(size, 65536 + 22);
  std::string t = readAt(size - tail, tail);
  size_t eocd = std::string::npos;
  for (size_t i = t.size() >= 22 ? t.size() - 22 + 1 : 0; i-- > 0;)
    if (le32(t.data() + i) == 0x06054b50u) {
      eocd = i;
      break;
    }
  if (eocd == std::string::npos) return bad("no end-of-central-directory record");
  uint64_t entries = le16(t.data() + eocd + 10);
  uint64_t cd_size = le32(t.data() + eocd + 12), cd_off = le32(t.data() + eocd + 16);
  if ((cd_off == 0xffffffffu || entries == 0xffff) && eocd >= 20 && le32(t.data() + eocd - 20) == 0x07064b50u) {
    uint64_t z64 = le64(t.data() + eocd - 20 + 8);
    std::string r = readAt(z64, 56);
    if (r.size() < 56 || le32(r.data()) != 0x06064b50u) return bad("bad zip64 end record");
    entries = le64(r.data() + 32);
    cd_size = le64(r.data() + 40);
    cd_off = le64(r.data() + 48);
  }
  if (cd_off + cd_size > size) return bad("central directory past the end of the file");
  std::string cd = readAt(cd_off, cd_size);
  std::vector<ZipEntry> out;
  size_t p = 0;
  for (uint64_t i = 0; i < entries; ++i) {
    if (p + 46 > cd.size() || le32(cd.data() + p) != 0x02014b50u) return bad("corrupt central directory");
    ZipEntry e;
    uint16_t flags = le16(cd.data() + p + 8);
    e.method = le16(cd.data() + p + 10);
    e.crc = le32(cd.data() + p + 16);
    e.compressed_size = le32(cd.data() + p + 20);
    e.size = le32(cd.data() + p + 24);
    uint16_t name_len = le16(cd.data() + p + 28), extra_len = le16(cd.data() + p + 30), comment_len = le16(cd.data() + p + 32);
    uint64_t local = le32(cd.data() + p + 42);
    if (p + 46 + name_len + extra_len > cd.size()) return bad("corrupt central directory");
    e.name = cd.substr(p + 46, name_len);
    // Zip64 extra field: the 0xffffffff fields, in order.
    for (size_t x = p + 46 + name_len; x + 4 <= p + 46 + name_len + extra_len;) {
      uint16_t id = le16(cd.data() + x), len = le16(cd.data() + x + 2);
      if (id == 0x0001) {
        size_t q = x + 4;
        if (e.size == 0xffffffffu && q + 8 <= x + 4 + len) { e.size = le64(cd.data() + q); q += 8; }
        if (e.compressed_size == 0xffffffffu && q + 8 <= x + 4 + len) { e.compressed_size = le64(cd.data() + q); q += 8; }
        if (local == 0xffffffffu && q + 8 <= x + 4 + len) { local = le64(cd.data() + q); q += 8; }
      }
      x += 4 + len;
    }
    if (flags & 1) return bad("encrypted member '" + e.name + "'");
    std::string lh = readAt(local, 30);
    if (lh.size() < 30 || le32(lh.data()) != 0x04034b50u) return bad("bad local header for '" + e.name + "'");
    e.data_offset = local + 30 + le16(lh.data() + 26) + le16(lh.data() + 28);
    if (e.data_offset + e.compressed_size > size) return bad("member '" + e.name + "' runs past the end of the file");
    out.push_back(std::move(e));
    p += 46 + name_len + extra_len + comment_len;
  }
  return out;
}

Expected<std::vector<std::pair<std::string, Tensor>>> readNpz(const std::string& path) {
  DNNC_ASSIGN(auto entries, listZip(path));
  std::ifstream in(path, std::ios::binary);
  std::vector<std::pair<std::string, Tensor>> out;
  for (const auto& e : entries) {
    std::string what = "'" + path + "' member '" + e.name + "'";
    if (e.method != 0 && e.method != 8)
      return Error(Exit::Input, what, ": compression method ", e.method, " is not supported (stored, deflate)");
    std::string raw(e.compressed_size, '\0');
    in.seekg(static_cast<std::streamoff>(e.data_offset));
    in.read(raw.data(), static_cast<std::streamsize>(raw.size()));
    if (!in) return Error(Exit::Input, what, ": cannot read");
    std::string bytes;
    if (e.method == 8) {
      auto inflated = inflateRaw(std::as_bytes(std::span(raw.data(), raw.size())), e.size);
      if (!inflated) return std::move(inflated).error().context(what + ": ");
      bytes.assign(reinterpret_cast<const char*>(inflated->data()), inflated->size());
    } else {
      bytes = std::move(raw);
    }
    if (crc32(std::as_bytes(std::span(bytes.data(), bytes.size()))) != e.crc)
      return Error(Exit::Input, what, ": CRC-32 mismatch (corrupt file)");
    DNNC_ASSIGN(Tensor t, tensorFromNpyBytes(bytes, what));
    std::string name = e.name.size() > 4 && e.name.ends_with(".npy") ? e.name.substr(0, e.name.size() - 4) : e.name;
    out.emplace_back(std::move(name), std::move(t));
  }
  return out;
}

Expected<std::string> npzBytes(const std::vector<std::pair<std::string, Tensor>>& arrays) {
  std::string out, central;
  uint64_t offset = 0;
  for (const auto& [name, t] : arrays) {
    if (descrOf(t.dtype()).empty()) return Error(Exit::Output, "cannot write ", dtypeName(t.dtype()), " array '", name, "' to .npz");
    std::string header = npyHeader(t.dtype(), t.dims());
    uint64_t size = header.size() + t.sizeBytes();
    if (size >= 0xffffffffu || offset + size >= 0xffffffffu)
      return Error(Exit::Output, "array '", name, "' makes the .npz larger than 4 GiB (zip64 is not written)");
    uint32_t crc = crc32(std::as_bytes(std::span(header.data(), header.size())));
    crc = crc32(std::span(t.rawData(), t.sizeBytes()), crc);
    std::string fname = name + ".npy";
    std::string local;
    put32(local, 0x04034b50u);
    put16(local, 20);    // version needed
    put16(local, 0);     // flags
    put16(local, 0);     // stored
    put16(local, 0);     // time
    put16(local, 0x21);  // date: 1980-01-01
    put32(local, crc);
    put32(local, static_cast<uint32_t>(size));
    put32(local, static_cast<uint32_t>(size));
    put16(local, static_cast<uint16_t>(fname.size()));
    put16(local, 0);
    local += fname;
    std::string cd;
    put32(cd, 0x02014b50u);
    put16(cd, 20);
    put16(cd, 20);
    put16(cd, 0);
    put16(cd, 0);
    put16(cd, 0);
    put16(cd, 0x21);
    put32(cd, crc);
    put32(cd, static_cast<uint32_t>(size));
    put32(cd, static_cast<uint32_t>(size));
    put16(cd, static_cast<uint16_t>(fname.size()));
    put16(cd, 0);  // extra
    put16(cd, 0);  // comment
    put16(cd, 0);  // disk
    put16(cd, 0);  // internal attributes
    put32(cd, 0);  // external attributes
    put32(cd, static_cast<uint32_t>(offset));
    cd += fname;
    central += cd;
    out += local;
    out += header;
    out.append(reinterpret_cast<const char*>(t.rawData()), t.sizeBytes());
    offset += local.size() + size;
  }
  std::string end;
  put32(end, 0x06054b50u);
  put16(end, 0);
  put16(end, 0);
  put16(end, static_cast<uint16_t>(arrays.size()));
  put16(end, static_cast<uint16_t>(arrays.size()));
  put32(end, static_cast<uint32_t>(central.size()));
  put32(end, static_cast<uint32_t>(offset));
  put16(end, 0);
  return out + central + end;
}

Status writeNpz(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& arrays) {
  DNNC_ASSIGN(std::string bytes, npzBytes(arrays));
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return Error(Exit::Output, "cannot write '", path, "': ", std::strerror(errno));
  return {};
}

}  // namespace dnnc
