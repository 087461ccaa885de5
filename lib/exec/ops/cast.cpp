// Cast: converts between the numeric types, bool, float16 and bfloat16 (float -> bfloat16 truncates, as
// the ONNX reference does). Strings are not supported.
#include <cmath>

#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {

// Every element read as double (exact for all but int64/uint64 beyond 2^53, which take the integer path).
double load(DType t, const std::byte* p, int64_t i) {
  switch (t) {
    case DType::Float: return reinterpret_cast<const float*>(p)[i];
    case DType::Double: return reinterpret_cast<const double*>(p)[i];
    case DType::Int8: return reinterpret_cast<const int8_t*>(p)[i];
    case DType::Uint8: return reinterpret_cast<const uint8_t*>(p)[i];
    case DType::Bool: return reinterpret_cast<const uint8_t*>(p)[i] != 0;
    case DType::Int16: return reinterpret_cast<const int16_t*>(p)[i];
    case DType::Uint16: return reinterpret_cast<const uint16_t*>(p)[i];
    case DType::Int32: return reinterpret_cast<const int32_t*>(p)[i];
    case DType::Uint32: return reinterpret_cast<const uint32_t*>(p)[i];
    case DType::Int64: return static_cast<double>(reinterpret_cast<const int64_t*>(p)[i]);
    case DType::Uint64: return static_cast<double>(reinterpret_cast<const uint64_t*>(p)[i]);
    case DType::Float16: return halfToFloat(reinterpret_cast<const uint16_t*>(p)[i]);
    case DType::Bfloat16: return bfloat16ToFloat(reinterpret_cast<const uint16_t*>(p)[i]);
    default: return 0;
  }
}

template <class T>
T toInt(double v) {
  if (std::isnan(v)) return 0;
  return static_cast<T>(static_cast<int64_t>(v));  // truncation toward zero, wrapping like numpy
}

void store(DType t, std::byte* p, int64_t i, double v) {
  switch (t) {
    case DType::Float: reinterpret_cast<float*>(p)[i] = static_cast<float>(v); break;
    case DType::Double: reinterpret_cast<double*>(p)[i] = v; break;
    case DType::Int8: reinterpret_cast<int8_t*>(p)[i] = toInt<int8_t>(v); break;
    case DType::Uint8: reinterpret_cast<uint8_t*>(p)[i] = toInt<uint8_t>(v); break;
    case DType::Bool: reinterpret_cast<uint8_t*>(p)[i] = v != 0; break;
    case DType::Int16: reinterpret_cast<int16_t*>(p)[i] = toInt<int16_t>(v); break;
    case DType::Uint16: reinterpret_cast<uint16_t*>(p)[i] = toInt<uint16_t>(v); break;
    case DType::Int32: reinterpret_cast<int32_t*>(p)[i] = toInt<int32_t>(v); break;
    case DType::Uint32: reinterpret_cast<uint32_t*>(p)[i] = toInt<uint32_t>(v); break;
    case DType::Int64: reinterpret_cast<int64_t*>(p)[i] = toInt<int64_t>(v); break;
    case DType::Uint64: reinterpret_cast<uint64_t*>(p)[i] = v < 0 ? toInt<uint64_t>(v) : static_cast<uint64_t>(v); break;
    case DType::Float16: reinterpret_cast<uint16_t*>(p)[i] = floatToHalf(static_cast<float>(v)); break;
    case DType::Bfloat16: reinterpret_cast<uint16_t*>(p)[i] = floatToBfloat16Truncated(static_cast<float>(v)); break;
    default: break;
  }
}

bool isWideInt(DType t) { return t == DType::Int64 || t == DType::Uint64; }

struct CastKernel {
  DType to = DType::Undefined;
  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    if (dtypeSize(x.dtype) == 0) return ctx.error("cannot cast from ", dtypeName(x.dtype));
    if (x.dtype == to) {
      ctx.outputAlias(0, 0, x.dims);
      return {};
    }
    Value& y = ctx.output(0, to, x.dims);
    const auto* src = static_cast<const std::byte*>(x.data);
    auto* dst = static_cast<std::byte*>(y.data);
    const int64_t n = x.numel();
    if (isWideInt(x.dtype) && (isWideInt(to) || to == DType::Int32 || to == DType::Int8 || to == DType::Uint8 ||
                               to == DType::Int16 || to == DType::Uint16 || to == DType::Uint32)) {
      // Integer to integer without the double round trip: exact, wrapping.
      for (int64_t i = 0; i < n; ++i) {
        uint64_t v;
        std::memcpy(&v, src + i * 8, 8);
        std::memcpy(dst + i * dtypeSize(to), &v, dtypeSize(to));  // little-endian truncation
      }
      return {};
    }
    if (to == DType::Float && x.dtype == DType::Float16) {  // the common one, without the switch per element
      const auto* h = reinterpret_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) y.as<float>()[i] = halfToFloat(h[i]);
      return {};
    }
    for (int64_t i = 0; i < n; ++i) store(to, dst, i, load(x.dtype, src, i));
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeCast(const NodeInfo& info) {
  if (!info.hasAttr("to")) return info.error("missing the 'to' attribute");
  DType to = dtypeFromOnnx(static_cast<int>(info.attrInt("to", 0)));
  if (to == DType::Undefined || dtypeSize(to) == 0)
    return info.error("casting to ONNX type ", info.attrInt("to", 0), " is not supported (strings, complex)");
  return makeKernel(CastKernel{to});
}

}  // namespace dnnc
