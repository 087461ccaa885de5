// A one-line progress indicator on stderr, drawn only on a TTY and never with --quiet, at most ten
// times a second, so long runs show they are alive without cluttering logs.
#pragma once
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <string>

#include "cli/command.h"

namespace dnnc::cli {

class ProgressLine {
 public:
  ProgressLine(const CommonOptions& o, std::string what) : on_(!o.quiet && isatty(2)), what_(std::move(what)) {}
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  // extra: appended after the count (e.g. "loss 0.31, acc 91.2 %").
  void update(int64_t done, int64_t total, const std::string& extra = "") {
    using Clock = std::chrono::steady_clock;
    if (!on_ || (done < total && Clock::now() - last_ < std::chrono::milliseconds(100))) return;
    last_ = Clock::now();
    std::cerr << "\r" << what_ << ": " << done << "/" << total << " samples" << (extra.empty() ? "" : ", " + extra)
              << "\033[K" << std::flush;
    drawn_ = true;
  }
  // A pass's progress: "<label>: done/total", the label saying what is being done.
  void step(int64_t done, int64_t total, const std::string& label) {
    if (!on_) return;
    std::cerr << "\r" << label << ": " << done << "/" << total << "\033[K" << std::flush;
    drawn_ = true;
  }
  ~ProgressLine() {
    if (drawn_) std::cerr << "\n";
  }

 private:
  bool on_, drawn_ = false;
  std::string what_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace dnnc::cli
