// The MPI transport of the data-parallel solvers (distributed/distributed.hpp).
// The only lowp header that includes <mpi.h>; lowp::lowp does not link MPI:
// a program that includes this header links MPI::MPI_CXX (CMake:
// find_package(MPI COMPONENTS CXX)) and brackets its work with
// MPI_Init / MPI_Finalize (or uses mpi_session).
//
// allreduce_sum is implemented as an allgather followed by a sum in rank
// order (reduction::ordered, the default), so every rank, every run and the
// in-process simulation (in_process_group) get the same bits whatever
// algorithm the MPI library picks. For large models reduction::native uses
// MPI_Allreduce instead (about 2 d doubles per rank on a ring instead of
// P d; results then agree with the simulation to rounding, ~1e-16 relative).
#ifndef LOWP_DISTRIBUTED_MPI_HPP
#define LOWP_DISTRIBUTED_MPI_HPP

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "lowp/distributed/communicator.hpp"

namespace lowp {
namespace distributed {

inline void mpi_check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    throw std::runtime_error(std::string("lowp::distributed: ") + what + " failed: " + std::string(text, static_cast<std::size_t>(len)));
  }
}

// MPI_Init on construction (if nobody has yet), MPI_Finalize on destruction.
class mpi_session {
 public:
  mpi_session(int* argc, char*** argv) {
    int done = 0;
    MPI_Initialized(&done);
    if (!done) {
      mpi_check(MPI_Init(argc, argv), "MPI_Init");
      owner_ = true;
    }
  }
  ~mpi_session() {
    int fin = 0;
    MPI_Finalized(&fin);
    if (owner_ && !fin) MPI_Finalize();
  }
  mpi_session(const mpi_session&) = delete;
  mpi_session& operator=(const mpi_session&) = delete;

 private:
  bool owner_ = false;
};

class mpi_communicator {
 public:
  enum class reduction { ordered, native };
  explicit mpi_communicator(MPI_Comm comm = MPI_COMM_WORLD, reduction red = reduction::ordered)
      : comm_(comm), red_(red) {
    mpi_check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    mpi_check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  }
  int rank() const noexcept { return rank_; }
  int size() const noexcept { return size_; }
  comm_counters counters() const noexcept { return counters_; }

  void allreduce_sum(double* p, std::size_t n) {
    count(n * sizeof(double));
    if (red_ == reduction::native) {
      mpi_check(MPI_Allreduce(MPI_IN_PLACE, p, to_int(n), MPI_DOUBLE, MPI_SUM, comm_), "MPI_Allreduce");
      return;
    }
    std::vector<double> all(n * static_cast<std::size_t>(size_));
    mpi_check(MPI_Allgather(p, to_int(n), MPI_DOUBLE, all.data(), to_int(n), MPI_DOUBLE, comm_), "MPI_Allgather");
    for (std::size_t j = 0; j < n; ++j) {
      double s = all[j];
      for (int r = 1; r < size_; ++r) s += all[static_cast<std::size_t>(r) * n + j];
      p[j] = s;
    }
  }
  void allreduce_max(double* p, std::size_t n) {
    count(n * sizeof(double));
    mpi_check(MPI_Allreduce(MPI_IN_PLACE, p, to_int(n), MPI_DOUBLE, MPI_MAX, comm_), "MPI_Allreduce(max)");
  }
  void broadcast(double* p, std::size_t n, int root) {
    if (root < 0 || root >= size_) throw std::invalid_argument("lowp::distributed: broadcast root out of range");
    if (rank_ == root) count(n * sizeof(double));
    else ++counters_.collectives;
    mpi_check(MPI_Bcast(p, to_int(n), MPI_DOUBLE, root, comm_), "MPI_Bcast");
  }
  void allgather(std::span<const std::byte> in, std::span<std::byte> out) {
    if (out.size() != in.size() * static_cast<std::size_t>(size_))
      throw std::invalid_argument("lowp::distributed: allgather output must hold size() blocks of the input's size");
    count(in.size());
    mpi_check(MPI_Allgather(in.data(), to_int(in.size()), MPI_BYTE, out.data(), to_int(in.size()), MPI_BYTE, comm_),
              "MPI_Allgather");
  }

 private:
  static int to_int(std::size_t n) {
    if (n > static_cast<std::size_t>(INT_MAX)) throw std::length_error("lowp::distributed: message too long for MPI");
    return static_cast<int>(n);
  }
  void count(std::size_t bytes) {
    ++counters_.collectives;
    if (size_ > 1) counters_.bytes_sent += bytes;
  }
  MPI_Comm comm_;
  reduction red_;
  int rank_ = 0, size_ = 1;
  comm_counters counters_;
};

static_assert(communicator<mpi_communicator>);

}  // namespace distributed
}  // namespace lowp
#endif
