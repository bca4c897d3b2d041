#pragma once
// Creating and reading practices (tenants). A practice is created together with its
// practice key (random, wrapped by the master key) in one transaction, so there is
// never a practice without a key or a key without a practice.
// Thread-safe (the store and key ring are).

#include <functional>
#include <optional>
#include <string>
#include <vector>

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

class PracticeService {
 public:
  PracticeService(store::Store& store, crypto::KeyRing& keys, core::Clock& clock,
                  core::Random& random);

  // Work that must commit or fail together with the new practice (e.g. inviting its
  // owner); runs in the same transaction after the practice row exists.
  using AlsoInTransaction =
      std::function<core::Result<void>(store::Transaction&, const store::PracticeRow&)>;

  // invalid_input with every field error; conflict (field "slug") if the slug is taken.
  [[nodiscard]] core::Result<store::PracticeRow> create(const NewPractice& input,
                                                        const AlsoInTransaction& also = {});
  [[nodiscard]] core::Result<std::vector<store::PracticeRow>> list();

 private:
  store::Store& store_;
  crypto::KeyRing& keys_;
  core::Clock& clock_;
  core::Random& random_;
};

}  // namespace praxis::practices
