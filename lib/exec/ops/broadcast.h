// Multidirectional (numpy) broadcasting for binary elementwise ops: dims are collapsed so the inner loop
// runs over a contiguous run with stride 0 or 1 per operand.
#pragma once
#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "lib/exec/ops/common.h"

namespace dnnc::ops {

struct BroadcastPlan {
  std::vector<int64_t> out_dims;
  std::vector<int64_t> dims, sa, sb;  // collapsed dims and element strides of a and b (0: broadcast)
  int64_t numel = 1;
};

// The broadcast shape of a and b, or false when they do not broadcast.
inline bool broadcastDims(std::span<const int64_t> a, std::span<const int64_t> b, std::vector<int64_t>& out) {
  size_t r = std::max(a.size(), b.size());
  out.assign(r, 1);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da == db || db == 1) out[i] = da;
    else if (da == 1) out[i] = db;
    else return false;
  }
  return true;
}

inline BroadcastPlan planBroadcast(std::span<const int64_t> a, std::span<const int64_t> b,
                                   std::span<const int64_t> out) {
  BroadcastPlan p;
  p.out_dims.assign(out.begin(), out.end());
  size_t r = out.size();
  std::vector<int64_t> da(r, 1), db(r, 1);
  for (size_t i = 0; i < a.size(); ++i) da[r - a.size() + i] = a[i];
  for (size_t i = 0; i < b.size(); ++i) db[r - b.size() + i] = b[i];
  auto stA = contiguousStrides(da), stB = contiguousStrides(db);
  for (size_t i = 0; i < r; ++i) {
    p.numel *= out[i];
    if (out[i] == 1) continue;
    int64_t sa = da[i] == 1 ? 0 : stA[i], sb = db[i] == 1 ? 0 : stB[i];
    if (!p.dims.empty() && p.sa.back() == sa * out[i] && p.sb.back() == sb * out[i]) {
      p.dims.back() *= out[i];
      p.sa.back() = sa;
      p.sb.back() = sb;
    } else {
      p.dims.push_back(out[i]);
      p.sa.push_back(sa);
      p.sb.push_back(sb);
    }
  }
  return p;
}

// Elements per thread below which an elementwise op stays on one thread.
constexpr int64_t kMinElementsPerThread = int64_t{1} << 17;

// out[i] = f(a[.], b[.]) over the broadcast shape.
template <class A, class B, class R, class F>
void broadcastApply(const BroadcastPlan& p, const A* a, const B* b, R* out, int threads, F f) {
  if (p.numel == 0) return;
  if (p.dims.empty()) {
    out[0] = f(a[0], b[0]);
    return;
  }
  const int rank = static_cast<int>(p.dims.size());
  const int64_t inner = p.dims.back(), ia = p.sa.back(), ib = p.sb.back();
  const int64_t outer = p.numel / inner;
  // Elements [i0, i1) of inner run o.
  auto span = [&](int64_t o, int64_t offa, int64_t offb, int64_t i0, int64_t i1) {
    R* y = out + o * inner;
    const A* pa = a + offa;
    const B* pb = b + offb;
    if (ia == 1 && ib == 1) {
      for (int64_t i = i0; i < i1; ++i) y[i] = f(pa[i], pb[i]);
    } else if (ia == 1) {
      const B vb = *pb;
      for (int64_t i = i0; i < i1; ++i) y[i] = f(pa[i], vb);
    } else if (ib == 1) {
      const A va = *pa;
      for (int64_t i = i0; i < i1; ++i) y[i] = f(va, pb[i]);
    } else {
      const R v = f(*pa, *pb);
      for (int64_t i = i0; i < i1; ++i) y[i] = v;
    }
  };
  // The operands' offsets of inner run o.
  auto offsets = [&](int64_t o, std::vector<int64_t>& idx, int64_t& offa, int64_t& offb) {
    offa = offb = 0;
    for (int d = rank - 2; d >= 0; --d) {
      idx[d] = o % p.dims[d];
      o /= p.dims[d];
      offa += idx[d] * p.sa[d];
      offb += idx[d] * p.sb[d];
    }
  };
  if (outer < threads && inner >= 2 * kMinElementsPerThread) {
    // Fewer runs than threads (same-shape operands collapse to one run, a scalar operand too): each run
    // is split among the threads instead.
    std::vector<int64_t> idx(rank, 0);
    for (int64_t o = 0; o < outer; ++o) {
      int64_t offa, offb;
      offsets(o, idx, offa, offb);
      parallelFor(inner, threads, kMinElementsPerThread, [&](int64_t i0, int64_t i1) { span(o, offa, offb, i0, i1); });
    }
    return;
  }
  parallelFor(outer, threads, std::max<int64_t>(1, kMinElementsPerThread / std::max<int64_t>(inner, 1)),
              [&](int64_t ob, int64_t oe) {
    std::vector<int64_t> idx(rank, 0);
    int64_t offa, offb;
    offsets(ob, idx, offa, offb);
    for (int64_t o = ob; o < oe; ++o) {
      span(o, offa, offb, 0, inner);
      for (int d = rank - 2; d >= 0; --d) {  // advance the outer index
        offa += p.sa[d];
        offb += p.sb[d];
        if (++idx[d] < p.dims[d]) break;
        offa -= p.sa[d] * p.dims[d];
        offb -= p.sb[d] * p.dims[d];
        idx[d] = 0;
      }
    }
  });
}

// A binary arithmetic op over numeric types with broadcasting; Op::apply<T>(a, b).
template <class Op>
Status binaryArith(KernelContext& ctx) {
  const Value& a = ctx.input(0);
  const Value& b = ctx.input(1);
  if (a.dtype != b.dtype)
    return ctx.error("inputs differ in type: ", dtypeName(a.dtype), " and ", dtypeName(b.dtype));
  std::vector<int64_t> dims;
  if (!broadcastDims(a.dims, b.dims, dims))
    return ctx.error("shapes ", dimsToString(a.dims), " and ", dimsToString(b.dims), " do not broadcast");
  BroadcastPlan plan = planBroadcast(a.dims, b.dims, dims);
  // In place over a when it has the output's shape (a is read at the same index it is written).
  Value& y = a.dims == dims ? ctx.outputInPlace(0, 0, a.dtype, dims)
             : b.dims == dims ? ctx.outputInPlace(0, 1, a.dtype, dims)
                              : ctx.output(0, a.dtype, dims);
#define DNNC_BIN(T) \
  broadcastApply(plan, a.as<T>(), b.as<T>(), y.as<T>(), ctx.threads(), [](T x, T z) { return Op::template apply<T>(x, z); })
  DNNC_DISPATCH_NUMERIC(a.dtype, DNNC_BIN, return ctx.error("unsupported type ", dtypeName(a.dtype)))
#undef DNNC_BIN
  return {};
}

}  // namespace dnnc::ops
