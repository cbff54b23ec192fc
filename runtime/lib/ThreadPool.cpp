//===- ThreadPool.cpp - Persistent workers for parallel loops -------------===//
//
// Part of quantc.
//
// Memory ordering: the job fields are published by the release store of
// `state` and read after an acquire of it. The two sleep/wake handshakes
// (workers on `wakeWord`, the caller on `done`) are Dekker-style: each side
// writes its flag and then reads the other's with sequential consistency, so
// either the sleeper sees the new value or the waker sees the sleeper.
//
//===----------------------------------------------------------------------===//

module;

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include <sched.h>

module quantc.runtime;

namespace quantc::runtime {
namespace {

/// Polls before a thread goes to sleep (about 50-100 microseconds).
constexpr int kSpinIterations = 2000;

/// Set on workers, and on a caller for the duration of its loop.
thread_local bool tlsInParallelRegion = false;

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

/// Marks the calling thread as inside a loop until destroyed.
class RegionGuard {
public:
  RegionGuard() { tlsInParallelRegion = true; }
  ~RegionGuard() { tlsInParallelRegion = false; }
};

} // namespace

int32_t ThreadPool::defaultNumThreads() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int count = CPU_COUNT(&set);
    if (count > 0)
      return std::min<int32_t>(count, kMaxThreads);
  }
  unsigned hardware = std::thread::hardware_concurrency();
  return hardware == 0 ? 1 : std::min<int32_t>(static_cast<int32_t>(hardware), kMaxThreads);
}

bool ThreadPool::inParallelRegion() { return tlsInParallelRegion; }

ThreadPool::ThreadPool(int32_t numThreads) {
  numThreads = std::clamp<int32_t>(numThreads, 1, kMaxThreads);
  workers.reserve(static_cast<size_t>(numThreads - 1));
  try {
    for (int32_t i = 1; i < numThreads; ++i)
      workers.emplace_back([this] { workerMain(); });
  } catch (...) {
    stop();
    throw;
  }
}

ThreadPool::~ThreadPool() { stop(); }

void ThreadPool::stop() {
  if (workers.empty())
    return;
  stopping.store(true, std::memory_order_seq_cst);
  wakeWord.fetch_add(1, std::memory_order_seq_cst);
  wakeWord.notify_all();
  for (std::thread &worker : workers)
    worker.join();
  workers.clear();
}

void ThreadPool::workerMain() {
  tlsInParallelRegion = true;
  uint32_t seen = 0;
  for (;;) {
    uint32_t word = wakeWord.load(std::memory_order_acquire);
    for (int spin = 0; word == seen; ++spin) {
      if (spin < kSpinIterations) {
        cpuRelax();
      } else {
        sleepers.fetch_add(1, std::memory_order_seq_cst);
        wakeWord.wait(seen, std::memory_order_seq_cst);
        sleepers.fetch_sub(1, std::memory_order_relaxed);
        spin = 0;
      }
      word = wakeWord.load(std::memory_order_acquire);
    }
    if (stopping.load(std::memory_order_acquire))
      return;
    seen = word;
    runChunks(word);
  }
}

void ThreadPool::runChunks(uint32_t gen) {
  uint32_t ran = 0;
  uint32_t total = 0;
  uint64_t s = state.load(std::memory_order_acquire);
  for (;;) {
    if (static_cast<uint32_t>(s >> 32) != gen)
      break;
    uint32_t remaining = static_cast<uint32_t>(s);
    if (remaining == 0)
      break;
    if (!state.compare_exchange_weak(s, s - 1, std::memory_order_acq_rel,
                                     std::memory_order_acquire))
      continue;
    // Chunk `remaining - 1` is ours; the job stays unfinished (its fields
    // stable) until we count it done.
    int64_t begin = static_cast<int64_t>(remaining - 1) * jobChunkSize;
    int64_t end = std::min(jobSize, begin + jobChunkSize);
    total = jobChunks;
    jobFn(jobEnv, begin, end);
    ++ran;
    s = state.load(std::memory_order_acquire);
  }
  if (ran == 0)
    return;
  if (done.fetch_add(ran, std::memory_order_seq_cst) + ran == total &&
      callerSleeping.load(std::memory_order_seq_cst))
    done.notify_all();
}

void ThreadPool::parallelFor(int64_t n, ParallelForFn fn, void *env) {
  if (n <= 0)
    return;
  if (workers.empty() || n == 1 || tlsInParallelRegion) {
    fn(env, 0, n);
    return;
  }
  std::lock_guard<std::mutex> lock(jobMutex);
  RegionGuard region;

  int64_t maxChunks = std::min<int64_t>(n, kChunksPerThread * numThreads());
  int64_t chunkSize = (n + maxChunks - 1) / maxChunks;
  uint32_t chunks = static_cast<uint32_t>((n + chunkSize - 1) / chunkSize);
  jobFn = fn;
  jobEnv = env;
  jobSize = n;
  jobChunkSize = chunkSize;
  jobChunks = chunks;
  done.store(0, std::memory_order_relaxed);
  uint32_t gen = ++generation;
  state.store((static_cast<uint64_t>(gen) << 32) | chunks, std::memory_order_release);
  wakeWord.store(gen, std::memory_order_seq_cst);
  if (sleepers.load(std::memory_order_seq_cst) != 0)
    wakeWord.notify_all();

  runChunks(gen);

  uint32_t finished = done.load(std::memory_order_acquire);
  for (int spin = 0; finished != chunks; ++spin) {
    if (spin < kSpinIterations) {
      cpuRelax();
    } else {
      callerSleeping.store(1, std::memory_order_seq_cst);
      finished = done.load(std::memory_order_seq_cst);
      if (finished != chunks)
        done.wait(finished, std::memory_order_seq_cst);
      callerSleeping.store(0, std::memory_order_relaxed);
      spin = 0;
    }
    finished = done.load(std::memory_order_acquire);
  }
}

} // namespace quantc::runtime
