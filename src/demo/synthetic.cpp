#include "demo/synthetic.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <boost/json/array.hpp>
#include <cstdio>
#include <iterator>

namespace praxis::demo {

namespace {

const char* const kSurnames[] = {"Müller",
                                 "Schmidt",
                                 "Schneider",
                                 "Fischer",
                                 "Weber",
                                 "Meyer",
                                 "Wagner",
                                 "Becker",
                                 "Schulz",
                                 "Hoffmann",
                                 "Schäfer",
                                 "Koch",
                                 "Bauer",
                                 "Richter",
                                 "Klein",
                                 "Wolf",
                                 "Schröder",
                                 "Neumann",
                                 "Schwarz",
                                 "Zimmermann",
                                 "Braun",
                                 "Krüger",
                                 "Hofmann",
                                 "Hartmann",
                                 "Lange",
                                 "Schmitt",
                                 "Werner",
                                 "Schmitz",
                                 "Krause",
                                 "Meier",
                                 "Lehmann",
                                 "Schmid",
                                 "Schulze",
                                 "Maier",
                                 "Köhler",
                                 "Herrmann",
                                 "König",
                                 "Walter",
                                 "Mayer",
                                 "Huber",
                                 "Kaiser",
                                 "Fuchs",
                                 "Peters",
                                 "Lang",
                                 "Scholz",
                                 "Möller",
                                 "Weiß",
                                 "Jung",
                                 "Hahn",
                                 "Schubert",
                                 "Vogel",
                                 "Friedrich",
                                 "Keller",
                                 "Günther",
                                 "Frank",
                                 "Berger",
                                 "Winkler",
                                 "Roth",
                                 "Beck",
                                 "Lorenz",
                                 "Baumann",
                                 "Franke",
                                 "Albrecht",
                                 "Schuster",
                                 "Simon",
                                 "Ludwig",
                                 "Böhm",
                                 "Winter",
                                 "Kraus",
                                 "Martin",
                                 "Schumacher",
                                 "Krämer",
                                 "Vogt",
                                 "Stein",
                                 "Jäger",
                                 "Otto",
                                 "Sommer",
                                 "Groß",
                                 "Seidel",
                                 "Heinrich",
                                 "Brandt",
                                 "Haas",
                                 "Schreiber",
                                 "Graf",
                                 "Schulte",
                                 "Dietrich",
                                 "Ziegler",
                                 "Kuhn",
                                 "Kühn",
                                 "Pohl",
                                 "Engel",
                                 "Horn",
                                 "Busch",
                                 "Bergmann",
                                 "Thomas",
                                 "Voigt",
                                 "Sauer",
                                 "Arnold",
                                 "Wolff",
                                 "Pfeiffer",
                                 "Müller-Lüdenscheidt",
                                 "Yılmaz",
                                 "Kowalski",
                                 "Nowak",
                                 "Popović",
                                 "Nguyen"};
const char* const kGiven[] = {"Anna",      "Lena",       "Marie",   "Sophie", "Lea",     "Mia",
                              "Emma",      "Hannah",     "Leonie",  "Lara",   "Jörg",    "Jürgen",
                              "Uwe",       "Peter",      "Michael", "Thomas", "Andreas", "Stefan",
                              "Frank",     "Markus",     "Ben",     "Paul",   "Jonas",   "Elias",
                              "Leon",      "Finn",       "Noah",    "Luis",   "Felix",   "Lukas",
                              "Anna-Lena", "Karl Heinz", "Renée",   "Zoë",    "Ömer",    "Ayşe"};
const char* const kCities[] = {"Berlin",    "Hamburg",   "München",    "Köln",
                               "Frankfurt", "Stuttgart", "Düsseldorf", "Leipzig",
                               "Dortmund",  "Essen",     "Bremen",     "Dresden"};

}  // namespace

std::span<const char* const> surnames() { return kSurnames; }

std::string kvnr(std::mt19937_64& rng) {
  const char letter = static_cast<char>('A' + rng() % 26);
  std::string digits;
  for (int i = 0; i < 8; ++i) digits += static_cast<char>('0' + rng() % 10);
  const int l = letter - 'A' + 1;
  int d[10] = {l / 10, l % 10};
  for (int i = 0; i < 8; ++i) d[i + 2] = digits[static_cast<std::size_t>(i)] - '0';
  int sum = 0;
  for (int i = 0; i < 10; ++i) {
    const int p = d[i] * (i % 2 == 0 ? 1 : 2);
    sum += p / 10 + p % 10;
  }
  return std::string(1, letter) + digits + static_cast<char>('0' + sum % 10);
}

boost::json::object person(std::mt19937_64& rng, std::size_t n) {
  const std::string family = kSurnames[rng() % std::size(kSurnames)];
  const std::string given = kGiven[rng() % std::size(kGiven)];
  std::array<char, 16> born{};
  const int written =
      std::snprintf(born.data(), born.size(), "%04d-%02d-%02d", 1930 + static_cast<int>(rng() % 90),
                    1 + static_cast<int>(rng() % 12), 1 + static_cast<int>(rng() % 28));
  const std::string birth_date(born.data(), written == 10 ? 10U : 0U);
  boost::json::object o{
      {"family_name", family},
      {"given_names", given},
      {"birth_date", birth_date},
      {"sex", (rng() % 2) ? "w" : "m"},
      {"address",
       {{"street", "Hauptstraße " + std::to_string(1 + rng() % 200)},
        {"postcode", std::to_string(10000 + rng() % 89999)},
        {"city", kCities[rng() % std::size(kCities)]}}},
      {"phones", boost::json::array{boost::json::object{
                     {"kind", "mobile"}, {"number", "0151 " + std::to_string(10000000 + n)}}}},
      {"email", "p" + std::to_string(n) + "@example.org"},
      {"insurance", {{"kind", (rng() % 10) ? "GKV" : "PKV"}, {"kvnr", kvnr(rng)}}}};
  return o;
}

std::vector<std::size_t> practice_sizes(std::size_t total, std::size_t practices, std::size_t big,
                                        std::size_t big_size, std::uint64_t seed) {
  constexpr std::size_t kSmallest = 500;
  constexpr std::size_t kLargest = 3000;
  std::vector<std::size_t> sizes;
  if (practices == 0) return sizes;
  big = std::min(big, practices);
  // The big ones take at most half of the patients (all of them when alone).
  const std::size_t big_share = practices == big ? total : total / 2;
  if (big > 0) big_size = std::min(big_size, big_share / big);
  for (std::size_t i = 0; i < big; ++i) sizes.push_back(big_size);
  std::size_t rest = total - big * big_size;
  const std::size_t others = practices - big;
  if (others == 0) {
    if (!sizes.empty()) sizes.back() += rest;  // what integer division left over
    return sizes;
  }
  // Log-uniform between 500 and 3,000: small practices are the common ones, and the
  // mean (about 1,395) is what 3.1 million patients over 2,000 practices leave each.
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> draw(std::log(static_cast<double>(kSmallest)),
                                              std::log(static_cast<double>(kLargest)));
  std::vector<double> weights(others);
  double weight_sum = 0;
  for (auto& w : weights) weight_sum += (w = std::exp(draw(rng)));
  std::size_t given = 0;
  for (std::size_t i = 0; i < others; ++i) {
    const auto share = static_cast<std::size_t>(static_cast<double>(rest) * weights[i] / weight_sum);
    sizes.push_back(share);
    given += share;
  }
  // Rounding leaves a few patients over: one more each for the first practices.
  for (std::size_t i = 0; given < rest; ++i, ++given) ++sizes[big + i % others];
  return sizes;
}

}  // namespace praxis::demo
