// A process-wide request to stop long work early: SIGINT in `dnnc compress` (set from its signal handler)
// or a deadline (its --time-budget). Loops that can run for minutes (a training epoch) poll it between
// batches and return an error; the command that asked knows why and keeps what it had. Nothing sets it
// in other commands, so there it never fires.
#pragma once
#include <atomic>
#include <chrono>

namespace dnnc {

namespace cancellation_detail {
inline std::atomic<bool> requested{false};
inline std::atomic<double> deadline{0};  // steady-clock seconds; 0: none
}  // namespace cancellation_detail

// Seconds on the steady clock, the clock of setCancelDeadline.
inline double steadySeconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// Async-signal-safe: a lock-free atomic store.
inline void requestCancel() { cancellation_detail::requested.store(true); }
inline void setCancelDeadline(double steady_seconds) { cancellation_detail::deadline.store(steady_seconds); }
inline void clearCancel() {
  cancellation_detail::requested.store(false);
  cancellation_detail::deadline.store(0);
}

inline bool cancelRequested() {
  if (cancellation_detail::requested.load()) return true;
  const double d = cancellation_detail::deadline.load();
  return d > 0 && steadySeconds() >= d;
}

}  // namespace dnnc
