#include "app/installation.hpp"

#include "app/store_factory.hpp"

namespace praxis::app {

core::Result<std::unique_ptr<Installation>> Installation::open(const DataDir& dir,
                                                               const PassphraseSource* passphrase) {
  std::unique_ptr<Installation> out(new Installation());
  auto config = load_config(dir.config());
  if (!config) return tl::unexpected(config.error());
  out->config_ = std::move(*config);
  if (passphrase) {
    auto masters = load_master_keys(dir, *passphrase);
    if (!masters) return tl::unexpected(masters.error());
    out->keys_ = std::make_unique<crypto::KeyRing>(std::move(*masters));
  }
  auto store = open_store(out->config_, dir);
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
