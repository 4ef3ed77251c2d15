// Largest single heap allocation since the last reset: the fuzz test uses it
// to show that a lying header or count never triggers an allocation the
// input bytes cannot justify. Counts operator new only (zlib's own state is
// malloc'ed and bounded by zlib).
#ifndef LOWP_TESTS_DATASETS_ALLOC_TRACKER_HPP
#define LOWP_TESTS_DATASETS_ALLOC_TRACKER_HPP

#include <cstddef>

namespace lowp_test {
void reset_largest_allocation() noexcept;
std::size_t largest_allocation() noexcept;
}  // namespace lowp_test

#endif
