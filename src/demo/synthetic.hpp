#pragma once
// Deterministic, realistic German patient data for the demo practice and the benchmarks
// (issues #7, #12): frequent surnames with umlauts and double names, given names,
// addresses, mobile numbers, e-mail addresses, KVNRs with valid check digits, birth
// dates 1930–2019, a GKV/PKV mix. Same seed, same people. Invented names only.

#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace praxis::demo {

// The surnames people are drawn from (for search benchmarks that type them).
std::span<const char* const> surnames();

// A KVNR with a valid check digit (german-domain.md §1).
std::string kvnr(std::mt19937_64& rng);

// The n-th synthetic person as patient JSON (DESIGN.md §5); n makes phone and e-mail
// unique.
boost::json::object person(std::mt19937_64& rng, std::size_t n);

// How `total` patients spread over `practices` practices (issue #12): the first `big`
// get `big_size` each (fewer when that would take more than half of the total), the
// others sizes drawn log-uniformly between 500 and 3,000 by `seed` and scaled so that all
// add up to `total` exactly. Same arguments, same sizes.
std::vector<std::size_t> practice_sizes(std::size_t total, std::size_t practices, std::size_t big,
                                        std::size_t big_size, std::uint64_t seed);

}  // namespace praxis::demo
