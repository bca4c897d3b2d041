#include "app/audit_admin.hpp"

#include "app/installation.hpp"

namespace praxis::app {

core::Result<std::vector<PracticeAudit>> verify_audit(const DataDir& dir,
                                                      const PassphraseSource& passphrase) {
  auto installation = Installation::open(dir, &passphrase, StoreUse::scan);
  if (!installation) return tl::unexpected(installation.error());
  return verify_every_practice((*installation)->store(), (*installation)->trail());
}

core::Result<std::vector<PracticeAudit>> verify_every_practice(store::Store& store,
                                                               audit::Trail& trail) {
  std::vector<store::PracticeRow> practices;
  auto listed = store::with_transaction(store, store::TxMode::read_only,
                                        [&](store::Transaction& tx) -> core::Result<void> {
                                          auto list = tx.practices().list();
                                          if (!list) return tl::unexpected(list.error());
                                          practices = std::move(*list);
                                          return {};
                                        });
  if (!listed) return tl::unexpected(listed.error());
  std::vector<PracticeAudit> out;
  for (const auto& p : practices) {
    auto r = audit::verify_practice(store, trail, p.id);
    if (!r) return tl::unexpected(r.error());
    out.push_back({p.slug, std::move(*r)});
  }
  return out;
}

}  // namespace praxis::app
