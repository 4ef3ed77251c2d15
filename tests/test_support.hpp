// Test-wide seed: every random test input flows from it, so a failure can be
// replayed with --lowp-seed=N (or LOWP_TEST_SEED=N).
#ifndef LOWP_TESTS_TEST_SUPPORT_HPP
#define LOWP_TESTS_TEST_SUPPORT_HPP
#include <cstdint>
namespace lowp_test {
std::uint64_t seed() noexcept;
}
#endif
