#pragma once
// Creating and reading practices (tenants). A practice is created together with its
// practice key (random, wrapped by the master key) in one transaction, so there is
// never a practice without a key or a key without a practice.
// Thread-safe (the store and key ring are).

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "audit/trail.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "crypto/key_ring.hpp"
#include "store/store.hpp"

namespace praxis::practices {

inline constexpr const char* kKinds[] = {"arztpraxis", "zahnarztpraxis", "psychotherapie"};

struct NewPractice {
  std::string name;
  std::string slug;
  std::string kind = "arztpraxis";
  std::string state;  // Bundesland code
  std::optional<std::string> bsnr;
  std::string street;
  std::string postcode;
  std::string city;
};

// Every problem with `input` as a field error (empty: valid). Names are trimmed first.
std::vector<core::FieldError> validate(const NewPractice& input);

// A partial change of a practice's data (PATCH /api/v1/practice); absent fields stay.
struct PracticeChange {
  std::optional<std::string> name;
  std::optional<std::string> kind;
  std::optional<std::string> state;
  std::optional<std::string> street;
  std::optional<std::string> postcode;
  std::optional<std::string> city;
  std::optional<std::optional<std::string>> bsnr;  // set, or clear with an inner nullopt
  std::optional<bool> reception_second_factor_optional;
  std::optional<std::int64_t> expected_version;  // refuse (412) if the practice changed since
};

class PracticeService {
 public:
  // Creating and changing a practice is recorded in `trail` (issue #8).
  PracticeService(store::Store& store, crypto::KeyRing& keys, audit::Trail& trail,
                  core::Clock& clock, core::Random& random);

  // Work that must commit or fail together with the new practice (e.g. inviting its
  // owner); runs in the same transaction after the practice row exists.
  using AlsoInTransaction =
      std::function<core::Result<void>(store::Transaction&, const store::PracticeRow&)>;

  // invalid_input with every field error; conflict (field "slug") if the slug is taken.
  [[nodiscard]] core::Result<store::PracticeRow> create(const audit::Context& context,
                                                        const NewPractice& input,
                                                        const AlsoInTransaction& also = {});
  [[nodiscard]] core::Result<std::vector<store::PracticeRow>> list();
  // not_found for an unknown id.
  [[nodiscard]] core::Result<store::PracticeRow> find(std::string_view id);
  // invalid_input with every field error; precondition_failed for a stale version.
  [[nodiscard]] core::Result<store::PracticeRow> update(const audit::Context& context,
                                                        std::string_view id,
                                                        const PracticeChange& change);

 private:
  store::Store& store_;
  crypto::KeyRing& keys_;
  audit::Trail& trail_;
  core::Clock& clock_;
  core::Random& random_;
};

}  // namespace praxis::practices
