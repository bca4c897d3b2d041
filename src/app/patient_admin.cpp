#include "app/patient_admin.hpp"

#include "app/config.hpp"
#include "app/store_factory.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"
#include "crypto/key_ring.hpp"

namespace praxis::app {

core::Result<patients::ImportSummary> import_patients(const DataDir& dir,
                                                      std::string_view practice_slug,
                                                      const std::filesystem::path& file,
                                                      const patients::ImportOptions& options,
                                                      const PassphraseSource& passphrase,
                                                      const patients::ImportProgress& progress) {
  auto config = load_config(dir.config());
  if (!config) return tl::unexpected(config.error());
  auto masters = load_master_keys(dir, passphrase);
  if (!masters) return tl::unexpected(masters.error());
  crypto::KeyRing keys(std::move(*masters));
  auto store = open_store(*config, dir);
  if (!store) return tl::unexpected(store.error());
  std::optional<store::PracticeRow> practice;
  auto found = store::with_transaction(**store, store::TxMode::read_only,
                                       [&](store::Transaction& tx) -> core::Result<void> {
                                         auto p = tx.practices().find_by_slug(practice_slug);
                                         if (!p) return tl::unexpected(p.error());
                                         practice = *p;
                                         return {};
                                       });
  if (!found) return tl::unexpected(found.error());
  if (!practice) {
    return core::fail(core::ErrorCode::not_found,
                      "no practice with the address /book/" + std::string(practice_slug));
  }
  core::SystemClock clock;
  core::SystemRandom random;
  patients::PatientService service(**store, keys, clock, random);
  return patients::import_csv(service, practice->id, file, options, progress);
}

}  // namespace praxis::app
