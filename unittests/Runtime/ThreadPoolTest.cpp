//===- ThreadPoolTest.cpp - The runtime's thread pool ---------------------===//
//
// Part of quantc.
//
// Every index of every loop runs exactly once, for many sizes and thread
// counts; nested loops run serially instead of deadlocking; loops from
// several outside threads on one pool, pools created and destroyed in
// quick succession, and jobs that find the workers asleep all work.
//
//===----------------------------------------------------------------------===//

#include "quantc/runtime.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

import quantc.runtime;

using quantc::runtime::ThreadPool;

namespace {

/// Counts how often each index of [0, n) ran and checks the chunk bounds.
struct Coverage {
  explicit Coverage(int64_t n) : n(n), counts(static_cast<size_t>(n)) {}

  static void body(void *env, int64_t begin, int64_t end) {
    auto *self = static_cast<Coverage *>(env);
    if (begin < 0 || end > self->n || begin >= end)
      self->badChunks.fetch_add(1);
    for (int64_t i = begin; i < end; ++i)
      self->counts[static_cast<size_t>(i)].fetch_add(1, std::memory_order_relaxed);
    self->chunks.fetch_add(1);
  }

  void expectEachOnce(const char *what) {
    EXPECT_EQ(badChunks.load(), 0) << what;
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(counts[static_cast<size_t>(i)].load(), 1) << what << ": index " << i;
  }

  int64_t n;
  std::vector<std::atomic<int>> counts;
  std::atomic<int> badChunks{0};
  std::atomic<int> chunks{0};
};

TEST(RuntimeThreadPool, CoversEveryIndexOnce) {
  for (int32_t threads : {1, 2, 3, 4, 8, 13}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.numThreads(), threads);
    for (int64_t n : {0, 1, 2, 3, 5, 7, 8, 12, 13, 31, 32, 33, 63, 64, 65, 100, 1000, 4097,
                      100003}) {
      Coverage coverage(n);
      pool.parallelFor(n, &Coverage::body, &coverage);
      std::string what = std::to_string(threads) + " threads, n = " + std::to_string(n);
      coverage.expectEachOnce(what.c_str());
      EXPECT_LE(coverage.chunks.load(), ThreadPool::kChunksPerThread * threads) << what;
    }
  }
}

TEST(RuntimeThreadPool, ManyConsecutiveSmallLoops) {
  // Back-to-back jobs: a worker late for one must never run a chunk of the
  // next with the old body.
  ThreadPool pool(4);
  for (int iteration = 0; iteration < 3000; ++iteration) {
    int64_t n = 1 + iteration % 17;
    Coverage coverage(n);
    pool.parallelFor(n, &Coverage::body, &coverage);
    coverage.expectEachOnce("small loop");
    if (HasFatalFailure())
      return;
  }
}

TEST(RuntimeThreadPool, NegativeSizeDoesNothing) {
  ThreadPool pool(2);
  Coverage coverage(0);
  pool.parallelFor(-5, &Coverage::body, &coverage);
  EXPECT_EQ(coverage.chunks.load(), 0);
}

/// An outer loop whose chunks each run an inner loop on the same pool.
struct Nested {
  ThreadPool *pool;
  std::atomic<int> innerCalls{0};
  std::atomic<int> innerNotSerial{0};
  std::atomic<int64_t> innerSum{0};
  std::atomic<int> outerNotInRegion{0};

  static void inner(void *env, int64_t begin, int64_t end) {
    auto *self = static_cast<Nested *>(env);
    self->innerCalls.fetch_add(1);
    if (begin != 0 || end != 100)
      self->innerNotSerial.fetch_add(1);
    for (int64_t i = begin; i < end; ++i)
      self->innerSum.fetch_add(i);
  }
  static void outer(void *env, int64_t begin, int64_t end) {
    auto *self = static_cast<Nested *>(env);
    if (!ThreadPool::inParallelRegion())
      self->outerNotInRegion.fetch_add(1);
    for (int64_t i = begin; i < end; ++i)
      self->pool->parallelFor(100, &Nested::inner, self);
  }
};

TEST(RuntimeThreadPool, NestedLoopsRunSerially) {
  for (int32_t threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    Nested nested;
    nested.pool = &pool;
    EXPECT_FALSE(ThreadPool::inParallelRegion());
    pool.parallelFor(40, &Nested::outer, &nested);
    EXPECT_FALSE(ThreadPool::inParallelRegion());
    EXPECT_EQ(nested.innerCalls.load(), 40);
    EXPECT_EQ(nested.innerNotSerial.load(), 0);
    EXPECT_EQ(nested.innerSum.load(), 40 * 4950);
    if (threads > 1)
      EXPECT_EQ(nested.outerNotInRegion.load(), 0);
  }
}

TEST(RuntimeThreadPool, NestedAcrossPools) {
  // A loop on pool B inside a chunk of pool A also runs serially.
  ThreadPool a(3), b(3);
  Nested nested;
  nested.pool = &b;
  a.parallelFor(20, &Nested::outer, &nested);
  EXPECT_EQ(nested.innerCalls.load(), 20);
  EXPECT_EQ(nested.innerNotSerial.load(), 0);
}

/// Records which threads ran chunks; each chunk takes a while.
struct Threads {
  std::mutex mutex;
  std::set<std::thread::id> ids;
  static void body(void *env, int64_t, int64_t) {
    auto *self = static_cast<Threads *>(env);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::lock_guard<std::mutex> lock(self->mutex);
    self->ids.insert(std::this_thread::get_id());
  }
};

TEST(RuntimeThreadPool, WorkersTakePart) {
  ThreadPool pool(4);
  // Let the workers fall asleep first, so this also covers the wake-up.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Threads threads;
  pool.parallelFor(16, &Threads::body, &threads);
  EXPECT_GE(threads.ids.size(), 2u);
  EXPECT_TRUE(threads.ids.count(std::this_thread::get_id()));
}

TEST(RuntimeThreadPool, LoopsAfterIdlePeriods) {
  ThreadPool pool(3);
  for (int round = 0; round < 5; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    Coverage coverage(777);
    pool.parallelFor(777, &Coverage::body, &coverage);
    coverage.expectEachOnce("after idling");
  }
}

TEST(RuntimeThreadPool, ConcurrentCallersTakeTurns) {
  ThreadPool pool(3);
  std::vector<std::thread> callers;
  std::atomic<int> failures{0};
  for (int c = 0; c < 3; ++c)
    callers.emplace_back([&, c] {
      for (int i = 0; i < 200; ++i) {
        int64_t n = 1 + (i * 7 + c) % 300;
        Coverage coverage(n);
        pool.parallelFor(n, &Coverage::body, &coverage);
        for (int64_t k = 0; k < n; ++k)
          if (coverage.counts[static_cast<size_t>(k)].load() != 1)
            failures.fetch_add(1);
      }
    });
  for (std::thread &t : callers)
    t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(RuntimeThreadPool, CreateAndDestroyRepeatedly) {
  for (int i = 0; i < 100; ++i) {
    auto pool = std::make_unique<ThreadPool>(1 + i % 5);
    if (i % 2 == 0) {
      Coverage coverage(50);
      pool->parallelFor(50, &Coverage::body, &coverage);
      coverage.expectEachOnce("fresh pool");
    }
  }
}

TEST(RuntimeThreadPool, ThreadCountsAreClamped) {
  EXPECT_EQ(ThreadPool(0).numThreads(), 1);
  EXPECT_EQ(ThreadPool(-3).numThreads(), 1);
  EXPECT_GE(ThreadPool::defaultNumThreads(), 1);
  EXPECT_LE(ThreadPool::defaultNumThreads(), ThreadPool::kMaxThreads);
}

TEST(RuntimeThreadPool, CEntryPointsWithoutAContext) {
  // Compiled code may be handed a null qc_rt (e.g. by a test harness): the
  // loop then runs serially.
  Coverage coverage(10);
  qc_rt_parallel_for(nullptr, 10, &Coverage::body, &coverage);
  coverage.expectEachOnce("null rt");
  EXPECT_EQ(coverage.chunks.load(), 1);
  EXPECT_EQ(qc_rt_num_threads(nullptr), 1);
}

} // namespace
