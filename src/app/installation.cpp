#include "app/installation.hpp"

#include "app/store_factory.hpp"

namespace praxis::app {

audit::TrailOptions trail_options(const Config& config) {
  audit::TrailOptions o;
  o.checkpoint_every = static_cast<std::uint64_t>(config.audit.checkpoint_every);
  o.checkpoint_interval = std::chrono::seconds(config.audit.checkpoint_interval_seconds);
  return o;
}

core::Result<std::unique_ptr<Installation>> Installation::open(const DataDir& dir,
                                                               const PassphraseSource* passphrase,
                                                               StoreUse use) {
  std::unique_ptr<Installation> out(new Installation());
  auto config = load_config(dir.config());
  if (!config) return tl::unexpected(config.error());
  out->config_ = std::move(*config);
  if (passphrase) {
    auto masters = load_master_keys(dir, *passphrase);
    if (!masters) return tl::unexpected(masters.error());
    out->keys_ = std::make_unique<crypto::KeyRing>(std::move(*masters));
    out->trail_ =
        std::make_unique<audit::Trail>(*out->keys_, out->clock_, trail_options(out->config_));
  }
  if (!out->trail_) {
    out->trail_ = std::make_unique<audit::Trail>(out->clock_, trail_options(out->config_));
  }
  auto store = open_store(out->config_, dir, use);
  if (!store) return tl::unexpected(store.error());
  out->store_ = std::move(*store);
  return out;
}

core::Result<store::PracticeRow> Installation::practice_by_slug(std::string_view slug) {
  std::optional<store::PracticeRow> practice;
  auto r = store::with_transaction(*store_, store::TxMode::read_only,
                                   [&](store::Transaction& tx) -> core::Result<void> {
                                     auto p = tx.practices().find_by_slug(slug);
                                     if (!p) return tl::unexpected(p.error());
                                     practice = std::move(*p);
                                     return {};
                                   });
  if (!r) return tl::unexpected(r.error());
  if (!practice) {
    return core::fail(core::ErrorCode::not_found,
                      "no practice with the address /book/" + std::string(slug));
  }
  return std::move(*practice);
}

}  // namespace praxis::app
