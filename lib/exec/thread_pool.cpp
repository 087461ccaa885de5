// The executor's thread pool (thread_pool.h).
//
// A job's tasks are dealt out in equal ranges, one per slot, and each range has its own claim word: the
// job's generation in the high half, the range's next unclaimed task in the low half. A thread claims
// from its own range first, so that slot s runs the same share of every layer's work in every run (its
// part of the weights and of the maps stays in its core's cache: ONNX Runtime's static split ran
// MnasNet's 5 MB classifier 2.3x faster on two threads than on one, dnnc's first-come claims 1.2x), then
// takes what is left of the others' ranges (a worker the OS has descheduled holds up nothing). Claims are
// compare-exchanges on a whole word, so a worker holding a stale view (an earlier generation) can never
// claim a task of a later job. Before writing the next job's fields the caller closes every range of the
// finished job with an exchange, so a worker that read the old fields cannot claim against the new ones
// either.
#include "lib/exec/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace dnnc {
namespace {

constexpr uint64_t kClosed = 0xFFFFFFFFu;
constexpr int kMaxSlots = 256;  // a job runs on at most this many slots (run() caps the count)
// How long a worker keeps polling for the next job before it sleeps, and how long the caller polls for
// a started task before it yields its core (to a worker that shares it).
constexpr auto kWorkerSpin = std::chrono::microseconds(300);
constexpr auto kCallerSpin = std::chrono::microseconds(50);

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

thread_local bool in_task = false;  // this thread is running a pool task (nested calls run inline)

class Pool {
 public:
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(sleep_mutex_);
      stop_.store(true);
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
  }

  bool tryBegin() { return !busy_.exchange(true); }
  void end() { busy_.store(false); }

  // The caller holds the job (tryBegin).
  void run(int slots, int64_t tasks, detail::TaskFn fn, const void* ctx) {
    slots = std::min(slots, kMaxSlots);
    while (static_cast<int>(workers_.size()) < slots - 1) {
      const int id = static_cast<int>(workers_.size()) + 1;
      workers_.emplace_back([this, id] { work(id); });
    }
    // Close the last job's ranges (all their tasks are done), then write this one's fields, open its
    // ranges and publish it.
    const uint64_t closed = (uint64_t{generation_} << 32) | kClosed;
    for (int r = 0; r < open_; ++r) range_[r].claim.exchange(closed);
    ++generation_;
    fn_.store(fn);
    ctx_.store(ctx);
    slots_.store(slots);
    done_.store(0);
    for (int r = 0; r < slots; ++r) {
      range_[r].end.store(tasks * (r + 1) / slots);
      range_[r].claim.store((uint64_t{generation_} << 32) | static_cast<uint64_t>(tasks * r / slots));
    }
    open_ = slots;
    published_.store(generation_);
    if (sleepers_.load() > 0) {
      { std::lock_guard<std::mutex> lock(sleep_mutex_); }
      wake_.notify_all();
    }
    runTasks(generation_, 0, fn, ctx, slots);
    // Tasks workers started are still running: wait for them only.
    const auto start = std::chrono::steady_clock::now();
    for (unsigned spins = 0; done_.load() < tasks; ++spins) {
      if ((spins & 63) == 0 && std::chrono::steady_clock::now() - start > kCallerSpin) std::this_thread::yield();
      else cpuRelax();
    }
  }

 private:
  // Claims and runs tasks of job `gen` until none is left (or the job is no longer current): its own
  // range first, then the others' in turn.
  void runTasks(uint32_t gen, int slot, detail::TaskFn fn, const void* ctx, int ranges) {
    for (int i = 0; i < ranges; ++i) {
      Range& r = range_[(slot + i) % ranges];
      uint64_t s = r.claim.load();
      for (;;) {
        if ((s >> 32) != gen) return;
        const int64_t t = static_cast<int64_t>(s & 0xFFFFFFFFu);
        if (t >= r.end.load()) break;
        if (!r.claim.compare_exchange_weak(s, s + 1)) continue;  // s now holds the current word
        in_task = true;
        fn(ctx, t, slot);
        in_task = false;
        done_.fetch_add(1);
        s = r.claim.load();
      }
    }
  }

  void work(int id) {
    uint32_t seen = 0;
    for (;;) {
      uint32_t g = published_.load();
      if (g == seen) {
        const auto start = std::chrono::steady_clock::now();
        for (unsigned spins = 0; g == seen && !stop_.load(); ++spins) {
          if ((spins & 255) == 0 && std::chrono::steady_clock::now() - start > kWorkerSpin) {
            std::unique_lock<std::mutex> lock(sleep_mutex_);
            sleepers_.fetch_add(1);
            wake_.wait(lock, [&] { return published_.load() != seen || stop_.load(); });
            sleepers_.fetch_sub(1);
          } else {
            cpuRelax();
          }
          g = published_.load();
        }
      }
      if (stop_.load()) return;
      seen = g;
      // The fields below belong to job `g` or a later one; runTasks claims only while `g` is current,
      // and the caller writes a later job's fields only after closing this one's ranges (see the top).
      const int slots = slots_.load();
      if (id >= slots) continue;
      runTasks(g, id, fn_.load(), ctx_.load(), slots);
    }
  }

  struct alignas(64) Range {  // one slot's share of a job, on its own cache line
    std::atomic<uint64_t> claim{kClosed};  // generation << 32 | next unclaimed task
    std::atomic<int64_t> end{0};           // one past the range's last task
  };

  std::vector<std::thread> workers_;  // worker i has slot i + 1
  uint32_t generation_ = 0;           // written by the caller holding the job only
  std::atomic<bool> busy_{false};
  Range range_[kMaxSlots];
  int open_ = 0;                       // ranges of the last job (written by the caller holding the job)
  std::atomic<uint32_t> published_{0};  // the current job's generation
  std::atomic<detail::TaskFn> fn_{nullptr};
  std::atomic<const void*> ctx_{nullptr};
  std::atomic<int> slots_{0};
  std::atomic<int64_t> done_{0};
  std::atomic<bool> stop_{false};
  std::atomic<int> sleepers_{0};
  std::mutex sleep_mutex_;
  std::condition_variable wake_;
};

Pool& pool() {
  static Pool p;
  return p;
}

}  // namespace

namespace detail {

void runParallel(int slots, int64_t tasks, TaskFn fn, const void* ctx) {
  Pool& p = pool();
  if (in_task || tasks >= static_cast<int64_t>(kClosed) || !p.tryBegin()) {
    for (int64_t t = 0; t < tasks; ++t) fn(ctx, t, 0);
    return;
  }
  p.run(slots, tasks, fn, ctx);
  p.end();
}

}  // namespace detail
}  // namespace dnnc
