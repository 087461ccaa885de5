// Invariants: a failed DNNC_CHECK is a bug in dnnc, never a user error. It throws InternalError,
// which the CLI reports as "internal error" with exit code 1.
#pragma once
#include <stdexcept>
#include <string>

#include "lib/support/error.h"

namespace dnnc {

struct InternalError : std::logic_error {
  using std::logic_error::logic_error;
};

[[noreturn]] inline void checkFailed(const char* cond, const char* file, int line, const std::string& msg) {
  throw InternalError(strCat(file, ":", line, ": check failed: ", cond, msg.empty() ? "" : ": ", msg));
}

}  // namespace dnnc

#define DNNC_CHECK(cond, ...) \
  do { if (!(cond)) ::dnnc::checkFailed(#cond, __FILE__, __LINE__, ::dnnc::strCat("" __VA_OPT__(,) __VA_ARGS__)); } while (0)
