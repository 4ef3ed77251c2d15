// What the data-parallel solvers (distributed/distributed.hpp) ask of a
// transport, and an in-process transport that simulates P ranks.
//
// A communicator is one rank's handle on a group of `size()` ranks. Every
// collective is called by all ranks in the same order (SPMD), and its result
// must not depend on message timing: allreduce_sum adds the ranks'
// contributions in rank order 0, 1, ..., P-1, so every rank gets the same
// bits, and the in-process simulation and an MPI run (distributed/mpi.hpp)
// get the same bits too. Counters record the payload this rank handed to
// collectives (what an experiment reports as bytes communicated); how many
// bytes the network then carries depends on the collective's algorithm
// (solvers/distributed/README.md gives the ring model).
//
// in_process_group runs P ranks as P std::threads of one process, meeting at
// a std::barrier inside each collective: the "single-process run" an MPI run
// is compared with, and the way to test and debug the algorithm without
// mpirun. Synchronisation is by barrier only, so it is ThreadSanitizer-clean.
#ifndef LOWP_DISTRIBUTED_COMMUNICATOR_HPP
#define LOWP_DISTRIBUTED_COMMUNICATOR_HPP

#include <algorithm>
#include <atomic>
#include <barrier>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace lowp {
namespace distributed {

// Payload this rank handed to collectives, cumulative (0 in a one-rank group).
struct comm_counters {
  std::uint64_t bytes_sent = 0;   // allreduce: 8 n; allgather: its block; broadcast: n bytes at the root only
  std::uint64_t collectives = 0;  // calls
};

template <class C>
concept communicator = requires(C& c, double* p, std::size_t n, int root, std::span<const std::byte> in,
                                std::span<std::byte> out) {
  { c.rank() } -> std::convertible_to<int>;
  { c.size() } -> std::convertible_to<int>;
  c.allreduce_sum(p, n);    // in place; sum in rank order, identical bits on every rank
  c.allreduce_max(p, n);    // in place
  c.broadcast(p, n, root);  // in place, from `root`
  c.allgather(in, out);     // out = the ranks' equal-sized blocks in rank order (size() * in.size() bytes)
  { c.counters() } -> std::convertible_to<comm_counters>;
};

// Thrown on the other ranks of an in-process group when one rank failed, so
// that nobody waits forever at a barrier; the group rethrows the original.
struct group_aborted : std::runtime_error {
  group_aborted() : std::runtime_error("lowp::distributed: another rank of the group failed") {}
};

class in_process_group;

class in_process_communicator {
 public:
  int rank() const noexcept { return rank_; }
  int size() const noexcept;
  void allreduce_sum(double* p, std::size_t n);
  void allreduce_max(double* p, std::size_t n);
  void broadcast(double* p, std::size_t n, int root);
  void allgather(std::span<const std::byte> in, std::span<std::byte> out);
  comm_counters counters() const noexcept { return counters_; }

 private:
  friend class in_process_group;
  in_process_communicator(in_process_group* g, int r) : group_(g), rank_(r) {}
  template <class Combine>
  void exchange(const void* in, std::size_t bytes, Combine&& combine);
  in_process_group* group_;
  int rank_;
  comm_counters counters_;
};

class in_process_group {
 public:
  explicit in_process_group(int size) : size_(size) {
    if (size < 1) throw std::invalid_argument("lowp::distributed::in_process_group: size must be >= 1");
  }
  int size() const noexcept { return size_; }

  // Runs body(communicator&) for ranks 0..size-1 on size threads (rank 0 on
  // the calling thread) and waits for all of them. If a rank throws, the
  // others stop at their next collective and the first exception is rethrown.
  template <class Body>
  void run(Body&& body) {
    slots_.assign(static_cast<std::size_t>(size_), nullptr);
    aborted_.store(false);
    std::barrier<> sync(size_);
    sync_ = &sync;
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(size_));
    auto one = [&](int r) {
      in_process_communicator c(this, r);
      try {
        body(c);
      } catch (const group_aborted&) {
        sync.arrive_and_drop();
      } catch (...) {
        errors[static_cast<std::size_t>(r)] = std::current_exception();
        aborted_.store(true);
        sync.arrive_and_drop();
      }
    };
    {
      std::vector<std::jthread> threads;
      threads.reserve(static_cast<std::size_t>(size_ - 1));
      for (int r = 1; r < size_; ++r) threads.emplace_back(one, r);
      one(0);
    }
    sync_ = nullptr;
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
  }

 private:
  friend class in_process_communicator;
  int size_;
  std::vector<const void*> slots_;  // each rank's contribution during a collective
  std::barrier<>* sync_ = nullptr;
  std::atomic<bool> aborted_{false};
};

inline int in_process_communicator::size() const noexcept { return group_->size(); }

// Publish `in`, wait for everyone, let `combine` read all contributions in
// rank order (into the caller's own result), wait again so no rank's input
// is overwritten or freed while another still reads it.
template <class Combine>
void in_process_communicator::exchange(const void* in, std::size_t bytes, Combine&& combine) {
  ++counters_.collectives;
  if (size() > 1) counters_.bytes_sent += bytes;  // one rank sends nothing
  in_process_group& g = *group_;
  g.slots_[static_cast<std::size_t>(rank_)] = in;
  g.sync_->arrive_and_wait();
  if (g.aborted_.load()) throw group_aborted();
  combine(g.slots_);
  g.sync_->arrive_and_wait();
  if (g.aborted_.load()) throw group_aborted();
}

inline void in_process_communicator::allreduce_sum(double* p, std::size_t n) {
  const std::vector<double> mine(p, p + n);
  std::vector<double> sum(n);
  exchange(mine.data(), n * sizeof(double), [&](const std::vector<const void*>& slots) {
    std::memcpy(sum.data(), slots[0], n * sizeof(double));
    for (std::size_t r = 1; r < slots.size(); ++r) {
      const double* x = static_cast<const double*>(slots[r]);
      for (std::size_t j = 0; j < n; ++j) sum[j] += x[j];
    }
  });
  std::copy(sum.begin(), sum.end(), p);
}

inline void in_process_communicator::allreduce_max(double* p, std::size_t n) {
  const std::vector<double> mine(p, p + n);
  std::vector<double> out(n);
  exchange(mine.data(), n * sizeof(double), [&](const std::vector<const void*>& slots) {
    std::memcpy(out.data(), slots[0], n * sizeof(double));
    for (std::size_t r = 1; r < slots.size(); ++r) {
      const double* x = static_cast<const double*>(slots[r]);
      for (std::size_t j = 0; j < n; ++j) out[j] = std::max(out[j], x[j]);
    }
  });
  std::copy(out.begin(), out.end(), p);
}

inline void in_process_communicator::broadcast(double* p, std::size_t n, int root) {
  if (root < 0 || root >= size()) throw std::invalid_argument("lowp::distributed: broadcast root out of range");
  const std::vector<double> mine(p, p + n);
  std::vector<double> out(n);
  exchange(mine.data(), rank_ == root ? n * sizeof(double) : 0, [&](const std::vector<const void*>& slots) {
    std::memcpy(out.data(), slots[static_cast<std::size_t>(root)], n * sizeof(double));
  });
  std::copy(out.begin(), out.end(), p);
}

inline void in_process_communicator::allgather(std::span<const std::byte> in, std::span<std::byte> out) {
  const std::size_t m = in.size();
  if (out.size() != m * static_cast<std::size_t>(size()))
    throw std::invalid_argument("lowp::distributed: allgather output must hold size() blocks of the input's size");
  exchange(in.data(), m, [&](const std::vector<const void*>& slots) {
    for (std::size_t r = 0; r < slots.size(); ++r) std::memcpy(out.data() + r * m, slots[r], m);
  });
}

static_assert(communicator<in_process_communicator>);

}  // namespace distributed
}  // namespace lowp
#endif
