#include "app/patient_admin.hpp"

#include "app/installation.hpp"

namespace praxis::app {

core::Result<patients::ImportSummary> import_patients(const DataDir& dir,
                                                      std::string_view practice_slug,
                                                      const std::filesystem::path& file,
                                                      const patients::ImportOptions& options,
                                                      const PassphraseSource& passphrase,
                                                      const patients::ImportProgress& progress) {
  auto installation = Installation::open(dir, &passphrase);
  if (!installation) return tl::unexpected(installation.error());
  auto& in = **installation;
  auto practice = in.practice_by_slug(practice_slug);
  if (!practice) return tl::unexpected(practice.error());
  patients::PatientService service(in.store(), in.keys(), in.trail(), in.clock(), in.random());
  auto summary = patients::import_csv(service, audit::Context::system("praxis patients import"),
                                      practice->id, file, options, progress);
  // What the import recorded is signed before the command ends, as at server shutdown.
  if (auto signed_now = in.trail().checkpoint(in.store(), practice->id, true); !signed_now) {
    return tl::unexpected(signed_now.error());
  }
  return summary;
}

}  // namespace praxis::app
