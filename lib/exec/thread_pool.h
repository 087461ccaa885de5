// The executor's worker threads: a kernel's tasks run on the calling thread and on pool workers that
// claim them one at a time, each from its own equal share of the tasks first and then from what is left
// of the others' (thread_pool.cpp), and a call returns as soon as every task has finished.
//
// Why not an OpenMP parallel loop: its region ends in a barrier that every thread of the team must reach,
// so a worker the OS has descheduled (another process on its core: a 2-vCPU VM shared with a build)
// stalls every parallel region until it runs again, even when the caller could have done all the work
// in the meantime. Measured on ResNet-50 and GoogLeNet at batch 1 on two threads with the other core busy:
// 430-510 ms a run against 35-50 ms for ONNX Runtime, whose pool works like this one. Here a worker that
// wakes late finds the tasks taken and goes back to waiting; the caller waits only for tasks a worker
// has started. Workers spin for a short while after a job (the next node's job usually follows within
// microseconds), then sleep on a condition variable.
//
// One job runs at a time: a call made while another thread's job runs, or from inside a task, runs its
// tasks on the calling thread alone.
#pragma once
#include <cstdint>

namespace dnnc {

namespace detail {
using TaskFn = void (*)(const void* ctx, int64_t task, int slot);
void runParallel(int slots, int64_t tasks, TaskFn fn, const void* ctx);
}  // namespace detail

// task(t, slot) for every t in [0, tasks), on up to `slots` threads: the caller (slot 0) and pool
// workers (slots 1 .. slots - 1), each task once, in no set order; slot < slots always, so a task may
// index per-thread scratch by it. Returns after every task has run.
template <class Task>
void parallelTasks(int slots, int64_t tasks, const Task& task) {
  if (slots <= 1 || tasks <= 1) {
    for (int64_t t = 0; t < tasks; ++t) task(t, 0);
    return;
  }
  detail::runParallel(slots, tasks,
                      [](const void* ctx, int64_t t, int slot) { (*static_cast<const Task*>(ctx))(t, slot); }, &task);
}

}  // namespace dnnc
