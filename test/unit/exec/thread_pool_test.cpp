// The executor's thread pool (lib/exec/thread_pool.h): every task runs exactly once on a slot below the
// requested count, across many jobs in a row (workers that wake late must not run a later job's tasks
// with an earlier one's), from two calling threads at once, and from inside a task.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "lib/exec/thread_pool.h"

using namespace dnnc;

namespace {

// Runs `jobs` jobs of varying task counts on `slots` slots; checks each task ran once with its own job's
// function and a slot in range.
void checkJobs(int slots, int jobs, int seed) {
  for (int j = 0; j < jobs; ++j) {
    const int64_t tasks = 1 + (j * 7 + seed) % 23;
    std::vector<std::atomic<int>> ran(static_cast<size_t>(tasks));
    std::atomic<int> bad_slot{0};
    const int tag = j + seed * 1000;
    std::vector<int> tag_seen(static_cast<size_t>(tasks), -1);
    parallelTasks(slots, tasks, [&](int64_t t, int slot) {
      ran[t].fetch_add(1);
      tag_seen[t] = tag;  // one writer per task: a second run would race here and fail the count below
      if (slot < 0 || slot >= slots) bad_slot.fetch_add(1);
    });
    int once = 0;
    for (int64_t t = 0; t < tasks; ++t) once += ran[t].load() == 1 && tag_seen[t] == tag;
    REQUIRE(once == tasks);
    REQUIRE(bad_slot.load() == 0);
  }
}

}  // namespace

TEST_CASE("parallelTasks runs every task once on a slot below the count", "[exec][pool]") {
  for (int slots : {1, 2, 3, 4}) checkJobs(slots, 500, slots);
}

TEST_CASE("parallelTasks from two threads at once, and nested in a task, still runs every task once",
          "[exec][pool]") {
  std::thread other([] { checkJobs(2, 300, 7); });
  checkJobs(3, 300, 11);
  other.join();

  std::vector<std::atomic<int>> ran(64);
  parallelTasks(2, 8, [&](int64_t outer, int) {
    parallelTasks(2, 8, [&](int64_t inner, int slot) {
      CHECK(slot == 0);  // nested: on the calling thread alone
      ran[outer * 8 + inner].fetch_add(1);
    });
  });
  for (auto& r : ran) CHECK(r.load() == 1);
}

TEST_CASE("parallelTasks after pauses of every length: workers spinning, falling asleep, asleep", "[exec][pool]") {
  std::atomic<int> count{0};
  for (int rep = 0; rep < 50; ++rep) {
    count = 0;
    parallelTasks(2, 2, [&](int64_t, int) { count.fetch_add(1); });
    REQUIRE(count.load() == 2);
    std::this_thread::sleep_for(std::chrono::microseconds(rep * 20));  // workers spinning, then asleep
  }
}
