//===- ThreadPool.cppm - Persistent workers for parallel loops --*- C++ -*-===//
//
// Part of quantc.
//
// The thread pool behind qc_rt_parallel_for. A pool of N threads is the
// calling thread plus N - 1 persistent workers. `parallelFor(n, fn, env)`
// cuts [0, n) into at most kChunksPerThread * N contiguous chunks that the
// caller and the workers claim one at a time (dynamic scheduling, so a slow
// thread does not hold the others up), and returns when every chunk has run.
//
// Idle workers spin briefly on the job generation, then sleep on it with
// std::atomic::wait (a futex on Linux); a job only pays for a wake-up system
// call when some worker is actually asleep, and a worker that finishes the
// last chunk only pays for one when the caller is.
//
// A parallelFor called from inside a chunk (on a worker, or on the caller
// while its own loop runs) runs serially on the calling thread: nesting
// cannot deadlock and never oversubscribes. Loops from two outside threads
// on one pool take turns.
//
//===----------------------------------------------------------------------===//

module;

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

export module quantc.runtime:threadpool;

export namespace quantc::runtime {

/// The body of a parallel loop: runs the indices [begin, end).
using ParallelForFn = void (*)(void *env, int64_t begin, int64_t end);

class ThreadPool {
public:
  /// Chunks per thread: enough to balance uneven chunks, few enough that
  /// claiming them costs nothing next to the work.
  static constexpr int64_t kChunksPerThread = 4;
  /// The most threads a pool may have.
  static constexpr int32_t kMaxThreads = 1024;

  /// Starts `numThreads - 1` workers (`numThreads` is clamped to
  /// [1, kMaxThreads]). Throws std::system_error when a thread cannot be
  /// started (the workers already started are stopped first).
  explicit ThreadPool(int32_t numThreads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  /// The threads a loop uses, the caller's included.
  int32_t numThreads() const { return static_cast<int32_t>(workers.size()) + 1; }

  /// Runs fn(env, begin, end) over chunks covering [0, n) exactly once and
  /// returns when all have run. Does nothing when n <= 0. `fn` must not
  /// throw.
  void parallelFor(int64_t n, ParallelForFn fn, void *env);

  /// One thread per core the process may run on (at least 1).
  static int32_t defaultNumThreads();
  /// Whether the calling thread is a pool worker or is inside a parallelFor
  /// of any pool (where a nested parallelFor runs serially).
  static bool inParallelRegion();

private:
  void workerMain();
  /// Stops and joins the workers.
  void stop();
  /// Claims and runs chunks of job `generation` until none are left.
  void runChunks(uint32_t generation);

  // The job. `state` packs the generation (high 32 bits) and the number of
  // chunks not yet claimed (low 32 bits); a chunk is claimed by decrementing
  // it with a compare-exchange that also checks the generation, so a late
  // worker can never claim a chunk of a newer job. The job fields are written
  // before `state` is released and are read only by a thread holding an
  // unfinished chunk, so they cannot change under it.
  alignas(64) std::atomic<uint64_t> state{0};
  ParallelForFn jobFn = nullptr;
  void *jobEnv = nullptr;
  int64_t jobSize = 0;
  int64_t jobChunkSize = 0;
  uint32_t jobChunks = 0;

  /// Chunks of the current job that have finished.
  alignas(64) std::atomic<uint32_t> done{0};
  /// Whether the caller sleeps on `done`.
  std::atomic<uint32_t> callerSleeping{0};

  /// The latest generation (workers spin and sleep on it); bumped once more
  /// to stop them.
  alignas(64) std::atomic<uint32_t> wakeWord{0};
  /// Workers asleep on `wakeWord`.
  std::atomic<uint32_t> sleepers{0};
  std::atomic<bool> stopping{false};

  /// Held by the thread running a job; loops from outside threads queue.
  std::mutex jobMutex;
  uint32_t generation = 0;
  std::vector<std::thread> workers;
};

} // namespace quantc::runtime
