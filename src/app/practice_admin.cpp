#include "app/practice_admin.hpp"

#include "app/config.hpp"
#include "app/store_factory.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"

namespace praxis::app {

core::Result<store::PracticeRow> create_practice(const DataDir& dir, practices::NewPractice input,
                                                 const PassphraseSource& passphrase) {
  auto config = load_config(dir.config());
  if (!config) return tl::unexpected(config.error());
  auto masters = load_master_keys(dir, passphrase);
  if (!masters) return tl::unexpected(masters.error());
  crypto::KeyRing keys(std::move(*masters));
  auto store = open_store(*config, dir);
  if (!store) return tl::unexpected(store.error());
  core::SystemClock clock;
  core::SystemRandom random;
  practices::PracticeService service(**store, keys, clock, random);
  return service.create(std::move(input));
}

std::string booking_url(const DataDir& dir, const store::PracticeRow& practice) {
  auto config = load_config(dir.config());
  if (!config) return "/book/" + practice.slug;
  const auto& s = config->server;
  const bool v6 = s.host.find(':') != std::string::npos;
  return std::string(s.tls_certificate.empty() ? "http" : "https") + "://" +
         (v6 ? "[" + s.host + "]" : s.host) + ":" + std::to_string(s.port) + "/book/" +
         practice.slug;
}

}  // namespace praxis::app
