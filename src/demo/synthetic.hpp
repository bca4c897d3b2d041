#pragma once
// Deterministic, realistic German patient data for the demo practice and the benchmarks
// (issues #7, #12): frequent surnames with umlauts and double names, given names,
// addresses, mobile numbers, e-mail addresses, KVNRs with valid check digits, birth
// dates 1930–2019, a GKV/PKV mix. Same seed, same people. Invented names only.

#include <boost/json/object.hpp>
#include <cstddef>
#include <random>
#include <span>
#include <string>

namespace praxis::demo {

// The surnames people are drawn from (for search benchmarks that type them).
std::span<const char* const> surnames();

// A KVNR with a valid check digit (german-domain.md §1).
std::string kvnr(std::mt19937_64& rng);

// The n-th synthetic person as patient JSON (DESIGN.md §5); n makes phone and e-mail
// unique.
boost::json::object person(std::mt19937_64& rng, std::size_t n);

}  // namespace praxis::demo
