// Errors are values: library code returns Expected<T>; only cli/ turns an Error into a message and exit code.
#pragma once
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <variant>

namespace dnnc {

// Exit codes of the CLI contract (below 100: CLI11 uses 100-127).
enum class Exit : int {
  Ok = 0,
  Internal = 1,  // a bug in dnnc
  Usage = 2,     // bad flags, bad pipeline text
  Input = 3,     // invalid model, data or accelerator spec
  Target = 4,    // sparsity, energy or accuracy target not reachable
  Output = 5,    // cannot write output
};

// Concatenates anything streamable; g++ 12 has no <format>.
template <class... Args>
std::string strCat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

class Error {
 public:
  template <class... Args>
  Error(Exit code, const Args&... args) : code_(code), message_(strCat(args...)) {}

  Exit code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& hint() const { return hint_; }
  Error& withHint(std::string hint) & { hint_ = std::move(hint); return *this; }
  Error&& withHint(std::string hint) && { hint_ = std::move(hint); return std::move(*this); }
  // Prefixes context, e.g. "cannot load 'x.onnx': " + message.
  Error&& context(const std::string& prefix) && { message_ = prefix + message_; return std::move(*this); }

 private:
  Exit code_;
  std::string message_;
  std::string hint_;
};

template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}
  Expected(Error error) : v_(std::move(error)) {}

  explicit operator bool() const { return v_.index() == 0; }
  bool ok() const { return v_.index() == 0; }
  T& operator*() & { return std::get<0>(v_); }
  T&& operator*() && { return std::get<0>(std::move(v_)); }
  const T& operator*() const& { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Expected<void> {
 public:
  Expected() = default;
  Expected(Error error) : e_(std::move(error)) {}
  explicit operator bool() const { return !e_; }
  bool ok() const { return !e_; }
  const Error& error() const& { return *e_; }
  Error&& error() && { return std::move(*e_); }

 private:
  std::optional<Error> e_;
};

using Status = Expected<void>;

}  // namespace dnnc

#define DNNC_CONCAT_INNER(a, b) a##b
#define DNNC_CONCAT(a, b) DNNC_CONCAT_INNER(a, b)

// DNNC_TRY(expr): returns the error of a failed Status/Expected from the enclosing function.
#define DNNC_TRY(expr)                                               \
  do {                                                               \
    auto&& dnnc_try_result = (expr);                                 \
    if (!dnnc_try_result) return std::move(dnnc_try_result).error(); \
  } while (0)

// DNNC_ASSIGN(decl, expr): `DNNC_ASSIGN(auto model, loadModel(path));`
#define DNNC_ASSIGN(decl, expr) DNNC_ASSIGN_IMPL(DNNC_CONCAT(dnnc_assign_, __LINE__), decl, expr)
#define DNNC_ASSIGN_IMPL(tmp, decl, expr)            \
  auto tmp = (expr);                                 \
  if (!tmp) return std::move(tmp).error();           \
  decl = std::move(*tmp)
