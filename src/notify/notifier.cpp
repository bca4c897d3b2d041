#include "notify/notifier.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/validation.hpp"
#include "notify/ics.hpp"

namespace praxis::notify {

namespace json = boost::json;
using core::ErrorCode;
using store::OutboxRow;
using store::Transaction;
using store::TxMode;

namespace {

constexpr std::string_view kSettingsId = "settings";
constexpr std::int64_t kMaxReminderHours = 336;  // two weeks
constexpr auto kHousekeeping = std::chrono::seconds(60);

std::int64_t epoch_seconds(core::Instant t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string text_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t int_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : 0;
}

std::string address_of(const store::PracticeRow& p) {
  std::string out = p.street;
  if (!p.postcode.empty() || !p.city.empty()) {
    if (!out.empty()) out += ", ";
    out += p.postcode;
    if (!p.postcode.empty() && !p.city.empty()) out += ' ';
    out += p.city;
  }
  return out;
}

std::string type_name(const json::object& payload, std::string_view language) {
  const auto* t = payload.if_contains("type");
  if (!t || !t->is_object()) return {};
  auto name = text_of(t->as_object(), language);
  return name.empty() ? text_of(t->as_object(), "de") : name;
}

core::Error not_found(std::string what) {
  return core::Error::make(ErrorCode::not_found, std::move(what));
}

// The values a message's placeholders may take, from its payload.
Values values_of(const json::object& p, std::string_view language) {
  Values v;
  v["practice"] = text_of(p, "practice");
  v["address"] = text_of(p, "address");
  v["reference"] = text_of(p, "reference");
  v["manage_link"] = text_of(p, "manage_link");
  v["inbox_link"] = text_of(p, "inbox_link");
  v["type"] = type_name(p, language);
  if (const auto* i = p.if_contains("instructions"); i && i->is_object()) {
    auto text = text_of(i->as_object(), language);
    v["instructions"] = text.empty() ? text_of(i->as_object(), "de") : text;
  }
  const auto start = int_of(p, "start");
  v["date"] = local_date(start, language);
  v["time"] = local_time(start, language);
  return v;
}

}  // namespace

struct Notifier::Recipient {
  std::string channel;  // email, sms
  std::string to;
  std::string language;
  bool reminder_consent = false;
};

json::object to_json(const OutboxRow& row) {
  json::object o{{"id", row.id},       {"kind", row.kind},         {"channel", row.channel},
                 {"state", row.state}, {"attempts", row.attempts}, {"created_at", row.created_at}};
  o["appointment_id"] = row.appointment_id ? json::value(*row.appointment_id) : json::value();
  o["next_attempt_at"] =
      row.state == "pending"
          ? json::value(core::to_iso8601(core::Instant(std::chrono::seconds(row.next_attempt_at))))
          : json::value();
  o["last_error"] = row.last_error ? json::value(*row.last_error) : json::value();
  o["finished_at"] = row.finished_at ? json::value(*row.finished_at) : json::value();
  return o;
}

Notifier::Notifier(store::Store& store, audit::Trail& trail, core::Clock& clock,
                   core::Random& random, core::Logger& log, std::unique_ptr<Mailer> mailer,
                   std::unique_ptr<SmsGateway> sms, NotifierOptions options)
    : store_(store),
      trail_(trail),
      clock_(clock),
      random_(random),
      log_(log),
      mailer_(std::move(mailer)),
      sms_(std::move(sms)),
      options_(std::move(options)) {}

Notifier::~Notifier() { stop(); }

std::string Notifier::message_host() const {
  // The sender's domain, as mail software expects of a Message-ID; else the server's.
  if (mailer_) {
    const auto& from = mailer_->settings().from_address;
    if (auto at = from.rfind('@'); at != std::string::npos && at + 1 < from.size()) {
      return from.substr(at + 1);
    }
  }
  auto host = options_.base_url();
  if (auto at = host.find("://"); at != std::string::npos) host = host.substr(at + 3);
  if (auto at = host.find_first_of(":/"); at != std::string::npos) host.resize(at);
  return host.empty() ? "praxis.invalid" : host;
}

// ---- writing messages ----

std::optional<Notifier::Recipient> Notifier::recipient(const Contact& c) const {
  Recipient r;
  r.language = c.language == "en" ? "en" : "de";
  r.reminder_consent = c.reminder_consent;
  if (!c.email.empty() && mailer_) {
    r.channel = "email";
    r.to = c.email;
  } else if (!c.phone.empty() && sms_) {
    r.channel = "sms";
    r.to = c.phone;
  } else {
    return std::nullopt;
  }
  return r;
}

core::Result<std::optional<Notifier::Recipient>> Notifier::recipient(Transaction& tx,
                                                                     const AppointmentFacts& f) {
  if (!f.appointment.details) return std::optional<Recipient>();
  auto text =
      trail_.open(tx, f.practice.id, "appointments", f.appointment.id, *f.appointment.details);
  if (!text) return tl::unexpected(text.error());
  boost::system::error_code ec;
  auto doc = json::parse(*text, ec);
  if (ec || !doc.is_object()) return std::optional<Recipient>();
  const auto& d = doc.as_object();
  const auto* consent = d.if_contains("reminder_consent");
  return recipient(Contact{text_of(d, "email"), text_of(d, "phone"), text_of(d, "language"),
                           consent && consent->is_bool() && consent->as_bool()});
}

core::Result<void> Notifier::add(Transaction& tx, std::vector<OutboxRow>& out,
                                 const AppointmentFacts& f, std::string_view kind,
                                 const Recipient& to, std::int64_t due) {
  OutboxRow row;
  row.practice_id = f.practice.id;
  row.id = core::random_hex(random_, 16);
  row.kind = std::string(kind);
  row.channel = to.channel;
  row.appointment_id = f.appointment.id;
  row.next_attempt_at = due;
  row.created_at = core::to_iso8601(clock_.now());
  json::object payload{
      {"to", to.to},
      {"language", to.language},
      {"practice", f.practice.name},
      {"address", address_of(f.practice)},
      {"type", json::object{{"de", f.type.name_de},
                            {"en", f.type.name_en.empty() ? f.type.name_de : f.type.name_en}}},
      {"instructions",
       json::object{{"de", f.type.instructions_de}, {"en", f.type.instructions_en}}},
      {"start", f.appointment.starts_at},
      {"end", f.appointment.ends_at},
      {"sequence", f.appointment.version},
      {"reference", f.reference}};
  if (!f.manage_token.empty()) {
    payload["manage_link"] =
        options_.base_url() + "/book/" + f.practice.slug + "/manage#" + f.manage_token;
  }
  if (kind == "practice_notice") {
    // The practice's notice names no patient: type, time, reference and a link.
    payload.erase("instructions");
    payload.erase("manage_link");
    payload["inbox_link"] = options_.base_url() + "/app/#/inbox";
  }
  auto sealed = trail_.seal(tx, f.practice.id, "outbox", row.id, json::serialize(payload));
  if (!sealed) return tl::unexpected(sealed.error());
  row.payload = std::move(*sealed);
  out.push_back(std::move(row));
  return {};
}

core::Result<std::shared_ptr<const Notifier::Audience>> Notifier::audience(
    Transaction& tx, std::string_view practice_id) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    if (auto it = audiences_.find(practice_id);
        it != audiences_.end() && now - it->second->read_at < kAudienceTtl) {
      return it->second;
    }
  }
  auto s = settings(tx, practice_id);
  if (!s) return tl::unexpected(s.error());
  auto made = std::make_shared<Audience>();
  made->settings = std::move(*s);
  made->read_at = now;
  if (!made->settings.practice_email.empty()) {
    made->notice_to.push_back(made->settings.practice_email);
  } else {
    auto users = tx.users().list(practice_id);
    if (!users) return tl::unexpected(users.error());
    for (const auto& u : *users) {
      if (u.role == "owner" && u.status == "active") made->notice_to.push_back(u.email);
    }
  }
  std::lock_guard lock(mutex_);
  if (audiences_.size() > kMaxAudiences) audiences_.clear();
  audiences_.insert_or_assign(std::string(practice_id), made);
  return made;
}

core::Result<void> Notifier::add_reminder(Transaction& tx, std::vector<OutboxRow>& out,
                                          const AppointmentFacts& f, const Recipient& to) {
  if (!to.reminder_consent) return {};
  auto a = audience(tx, f.practice.id);
  if (!a) return tl::unexpected(a.error());
  const auto hours = (*a)->settings.reminder_hours.value_or(options_.default_reminder_hours);
  if (hours <= 0) return {};
  const auto due = f.appointment.starts_at - hours * 3600;
  // Booked closer than the lead time: the confirmation just went out.
  if (due <= epoch_seconds(clock_.now())) return {};
  return add(tx, out, f, "reminder", to, due);
}

core::Result<void> Notifier::add_practice_notice(Transaction& tx, std::vector<OutboxRow>& out,
                                                 const AppointmentFacts& f) {
  if (!mailer_) return {};
  auto a = audience(tx, f.practice.id);
  if (!a) return tl::unexpected(a.error());
  const auto now = epoch_seconds(clock_.now());
  for (const auto& address : (*a)->notice_to) {
    auto r = add(tx, out, f, "practice_notice", Recipient{"email", address, "de", false}, now);
    if (!r) return r;
  }
  return {};
}

core::Result<std::vector<OutboxRow>> Notifier::prepare_booked(const AppointmentFacts& f,
                                                              const Contact& contact) {
  std::vector<OutboxRow> out;
  if (!enabled()) return out;
  auto r = store::with_transaction(store_, TxMode::read_only,
                                   [&](Transaction& tx) -> core::Result<void> {
                                     out.clear();
                                     if (auto to = recipient(contact)) {
                                       const auto now = epoch_seconds(clock_.now());
                                       if (auto a = add(tx, out, f, "confirmation", *to, now); !a) {
                                         return a;
                                       }
                                       if (auto a = add_reminder(tx, out, f, *to); !a) return a;
                                     }
                                     return add_practice_notice(tx, out, f);
                                   });
  if (!r) return tl::unexpected(r.error());
  return out;
}

core::Result<void> Notifier::queue(Transaction& tx, const std::vector<OutboxRow>& rows) {
  for (const auto& row : rows) {
    if (auto r = tx.outbox().insert(row); !r) return r;
  }
  return {};
}

core::Result<void> Notifier::changed(Transaction& tx, const AppointmentFacts& f,
                                     std::string_view kind) {
  // Whatever comes next, the reminder for the old time must not go out.
  const auto at = core::to_iso8601(clock_.now());
  if (auto r = tx.outbox().make_obsolete(f.practice.id, f.appointment.id, "reminder", at); !r) {
    return tl::unexpected(r.error());
  }
  if (!enabled()) return {};
  auto to = recipient(tx, f);
  if (!to) return tl::unexpected(to.error());
  if (!*to) return {};
  std::vector<OutboxRow> rows;
  if (auto r = add(tx, rows, f, kind, **to, epoch_seconds(clock_.now())); !r) return r;
  if (kind == "reschedule") {
    if (auto r = add_reminder(tx, rows, f, **to); !r) return r;
  }
  return queue(tx, rows);
}

core::Result<void> Notifier::cancelled(Transaction& tx, const AppointmentFacts& f) {
  return changed(tx, f, "cancellation");
}

core::Result<void> Notifier::moved(Transaction& tx, const AppointmentFacts& f) {
  return changed(tx, f, "reschedule");
}

// ---- the worker ----

core::Result<std::int64_t> Notifier::release_claims() {
  std::int64_t n = 0;
  auto r = store::with_transaction(store_, TxMode::read_write,
                                   [&](Transaction& tx) -> core::Result<void> {
                                     auto released = tx.outbox().release_claims();
                                     if (!released)
                                       return core::Result<void>(tl::unexpected(released.error()));
                                     n = *released;
                                     return core::Result<void>();
                                   });
  if (!r) return tl::unexpected(r.error());
  return n;
}

void Notifier::start() {
  if (!enabled() || worker_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  abort_ = false;
  worker_ = std::thread([this] {
    auto next_housekeeping = std::chrono::steady_clock::now();
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      auto handled = run_once();
      if (!handled) {
        log_.warn("notifications_claim_failed",
                  {{"code", std::string(core::error_code_name(handled.error().code))}});
      }
      if (std::chrono::steady_clock::now() >= next_housekeeping) {
        const auto cutoff = core::to_iso8601(clock_.now() - date::days(options_.keep_days));
        auto purged = store::with_transaction(
            store_, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
              auto n = tx.outbox().purge_finished(cutoff);
              if (!n) return core::Result<void>(tl::unexpected(n.error()));
              return core::Result<void>();
            });
        if (!purged) log_.warn("notifications_purge_failed", {});
        refresh_counts();
        next_housekeeping = std::chrono::steady_clock::now() + kHousekeeping;
      }
      lock.lock();
      // A full batch: more may be due at once.
      if (handled && *handled >= options_.batch) continue;
      wake_.wait_for(lock, options_.poll, [this] { return stopping_; });
    }
  });
}

void Notifier::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  abort_ = true;
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void Notifier::refresh_counts() {
  auto r = store::with_transaction(store_, TxMode::read_only,
                                   [&](Transaction& tx) -> core::Result<void> {
                                     auto counts = tx.outbox().count_by_state();
                                     if (!counts)
                                       return core::Result<void>(tl::unexpected(counts.error()));
                                     std::int64_t dead = 0;
                                     std::int64_t pending = 0;
                                     for (const auto& [state, n] : *counts) {
                                       if (state == "dead") dead = n;
                                       if (state == "pending" || state == "sending") pending += n;
                                     }
                                     dead_ = dead;
                                     pending_ = pending;
                                     return core::Result<void>();
                                   });
  (void)r;
}

core::Result<std::int64_t> Notifier::run_once() {
  const auto now = epoch_seconds(clock_.now());
  std::vector<OutboxRow> claimed;
  auto r = store::with_transaction(
      store_, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        auto rows = tx.outbox().claim(now, now + options_.lease.count(), options_.batch);
        if (!rows) return core::Result<void>(tl::unexpected(rows.error()));
        claimed = std::move(*rows);
        return core::Result<void>();
      });
  if (!r) return tl::unexpected(r.error());
  for (auto& row : claimed) {
    if (abort_) {
      // Shutting down: what is not sent yet is due again at once for the next start.
      row.state = "pending";
      row.next_attempt_at = now;
      row.last_error = "shutdown";
      if (auto s = settle(row); !s) log_.warn("notification_settle_failed", {{"id", row.id}});
      continue;
    }
    // Slow sends earlier in the batch used up this message's lease: another worker may
    // have taken it by now, so it is left alone (it is claimed again once free).
    if (row.lease_until && epoch_seconds(clock_.now()) >= *row.lease_until) {
      log_.warn("notification_lease_expired", {{"id", row.id}});
      continue;
    }
    handle(std::move(row));
  }
  if (!claimed.empty()) refresh_counts();
  return static_cast<std::int64_t>(claimed.size());
}

core::Result<void> Notifier::settle(OutboxRow row) {
  return store::with_transaction(store_, TxMode::read_write,
                                 [&](Transaction& tx) -> core::Result<void> {
                                   auto settled = tx.outbox().settle(row);
                                   if (!settled)
                                     return core::Result<void>(tl::unexpected(settled.error()));
                                   if (!*settled)
                                     log_.warn("notification_claim_lost", {{"id", row.id}});
                                   return core::Result<void>();
                                 });
}

void Notifier::handle(OutboxRow row) {
  const auto now = clock_.now();
  auto finish = [&](std::string state, std::optional<std::string> code) {
    row.state = std::move(state);
    row.last_error = std::move(code);
    row.finished_at = core::to_iso8601(now);
    if (auto s = settle(row); !s) log_.warn("notification_settle_failed", {{"id", row.id}});
  };

  // What to send: the sealed payload, the practice's template, and for a reminder
  // whether the appointment still is as it was.
  json::object payload;
  Template tmpl;
  bool obsolete = false;
  auto read = store::with_transaction(
      store_, TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
        if (!row.payload) return core::fail(ErrorCode::internal, "", "outbox row without payload");
        auto text = trail_.open(tx, row.practice_id, "outbox", row.id, *row.payload);
        if (!text) return core::Result<void>(tl::unexpected(text.error()));
        boost::system::error_code ec;
        auto doc = json::parse(*text, ec);
        if (ec || !doc.is_object()) return core::fail(ErrorCode::internal, "", "outbox payload");
        payload = std::move(doc.as_object());
        if (row.kind == "reminder" && row.appointment_id) {
          auto a = tx.scheduling().find_appointment(row.practice_id, *row.appointment_id);
          if (!a) return core::Result<void>(tl::unexpected(a.error()));
          obsolete = !*a || (*a)->status != "booked" || (*a)->starts_at != int_of(payload, "start");
        }
        auto t = template_for(tx, row.practice_id, row.kind, text_of(payload, "language"));
        if (!t) return core::Result<void>(tl::unexpected(t.error()));
        tmpl = std::move(*t);
        return core::Result<void>();
      });
  if (!read) {
    // The payload cannot be read (a shredded practice key, a damaged row): no attempt
    // will do better.
    log_.error("notification_unreadable", {{"id", row.id}, {"kind", row.kind}});
    failures_.fetch_add(1);
    finish("dead", "payload");
    return;
  }
  if (obsolete) {
    log_.info("notification_obsolete", {{"id", row.id}, {"kind", row.kind}});
    finish("obsolete", std::nullopt);
    return;
  }

  const std::string language = text_of(payload, "language") == "en" ? "en" : "de";
  const auto values = values_of(payload, language);
  const auto to = text_of(payload, "to");
  SendResult sent;
  if (row.channel == "email") {
    if (!mailer_) {
      sent = tl::unexpected(SendFailure{false, "not_configured"});
    } else {
      Mail mail;
      mail.to = to;
      mail.subject = render(tmpl.subject, values);
      mail.text = render(tmpl.text, values);
      mail.html = html_body(mail.text, language);
      mail.message_id = row.id + "@" + message_host();
      mail.date = epoch_seconds(now);
      mail.language = language;
      if (row.kind == "confirmation" || row.kind == "reschedule" || row.kind == "cancellation") {
        CalendarEvent e;
        e.method = row.kind == "cancellation" ? CalendarEvent::Method::cancel
                                              : CalendarEvent::Method::request;
        e.uid = row.appointment_id.value_or(row.id) + "@" + message_host();
        e.sequence = int_of(payload, "sequence");
        e.stamp = epoch_seconds(now);
        e.start = int_of(payload, "start");
        e.end = int_of(payload, "end");
        e.summary = values.at("type") + " – " + values.at("practice");
        e.location = values.at("address");
        e.description = values.at("manage_link");
        e.organizer_name = values.at("practice");
        e.organizer_email = mailer_->settings().from_address;
        e.attendee_email = to;
        const char* method = e.method == CalendarEvent::Method::cancel ? "CANCEL" : "REQUEST";
        mail.attachment =
            Attachment{std::string("text/calendar; charset=utf-8; method=") + method,
                       row.kind == "cancellation" ? "absage.ics" : "termin.ics", calendar_file(e)};
      }
      sent = mailer_->send(mail, &abort_);
    }
  } else {
    if (!sms_) {
      sent = tl::unexpected(SendFailure{false, "not_configured"});
    } else {
      auto text = tmpl.sms.empty() ? default_template(row.kind, language).sms : tmpl.sms;
      sent = sms_->send(to, render(text, values), row.id, &abort_);
    }
  }

  if (sent) {
    sent_.fetch_add(1);
    log_.info(
        "notification_sent",
        {{"id", row.id}, {"kind", row.kind}, {"channel", row.channel}, {"attempt", row.attempts}});
    finish("sent", std::nullopt);
    return;
  }
  const auto& f = sent.error();
  if (f.code == "aborted") {
    row.state = "pending";
    row.next_attempt_at = epoch_seconds(now);
    row.last_error = f.code;
    if (auto s = settle(row); !s) log_.warn("notification_settle_failed", {{"id", row.id}});
    return;
  }
  failures_.fetch_add(1);
  if (f.permanent || row.attempts >= options_.max_attempts) {
    log_.warn("notification_dead", {{"id", row.id},
                                    {"kind", row.kind},
                                    {"channel", row.channel},
                                    {"code", f.code},
                                    {"attempt", row.attempts}});
    finish("dead", f.code);
    return;
  }
  // Exponential back-off with up to 10 % jitter, so a relay that comes back is not hit by
  // every message in the same second.
  auto delay = options_.first_retry.count();
  for (std::int64_t i = 1; i < row.attempts && delay < options_.max_retry.count(); ++i) delay *= 2;
  delay = std::min<std::int64_t>(delay, options_.max_retry.count());
  std::array<std::uint8_t, 2> noise{};
  random_.fill(noise);
  delay += delay * ((noise[0] << 8 | noise[1]) % 100) / 1000;
  row.state = "pending";
  row.last_error = f.code;
  row.next_attempt_at = epoch_seconds(now) + std::max<std::int64_t>(delay, 1);
  log_.warn("notification_retry", {{"id", row.id},
                                   {"kind", row.kind},
                                   {"channel", row.channel},
                                   {"code", f.code},
                                   {"attempt", row.attempts},
                                   {"delay_seconds", delay}});
  if (auto s = settle(row); !s) log_.warn("notification_settle_failed", {{"id", row.id}});
}

// ---- templates and settings ----

core::Result<Template> Notifier::template_for(Transaction& tx, std::string_view practice_id,
                                              std::string_view kind, std::string_view language) {
  const std::string lang = known_language(language) ? std::string(language) : "de";
  auto row = tx.scheduling().find_config(store::ConfigKind::notification_template, practice_id,
                                         std::string(kind) + "." + lang);
  if (!row) return tl::unexpected(row.error());
  if (!*row || !(*row)->active) return default_template(kind, lang);
  boost::system::error_code ec;
  auto doc = json::parse((*row)->data, ec);
  if (ec || !doc.is_object()) return default_template(kind, lang);
  auto t = parse_template(kind, doc.as_object());
  if (!t) return default_template(kind, lang);
  return *t;
}

core::Result<PracticeSettings> Notifier::settings(Transaction& tx, std::string_view practice_id) {
  auto row = tx.scheduling().find_config(store::ConfigKind::notification_template, practice_id,
                                         kSettingsId);
  if (!row) return tl::unexpected(row.error());
  PracticeSettings s;
  if (!*row) return s;
  boost::system::error_code ec;
  auto doc = json::parse((*row)->data, ec);
  if (ec || !doc.is_object()) return s;
  s.practice_email = text_of(doc.as_object(), "practice_email");
  if (const auto* h = doc.as_object().if_contains("reminder_hours"); h && h->is_int64()) {
    s.reminder_hours = h->as_int64();
  }
  return s;
}

core::Result<PracticeSettings> Notifier::settings(std::string_view practice_id) {
  PracticeSettings out;
  auto r = store::with_transaction(store_, TxMode::read_only,
                                   [&](Transaction& tx) -> core::Result<void> {
                                     auto s = settings(tx, practice_id);
                                     if (!s) return core::Result<void>(tl::unexpected(s.error()));
                                     out = std::move(*s);
                                     return core::Result<void>();
                                   });
  if (!r) return tl::unexpected(r.error());
  return out;
}

namespace {

// Writes a document of the practice's notification configuration: created, or replaced
// when `expected` (If-Match) is the stored version or absent.
core::Result<store::ConfigRow> put_doc(Transaction& tx, std::string_view practice_id,
                                       const std::string& id, std::string data,
                                       std::optional<std::int64_t> expected,
                                       const std::string& now) {
  auto current =
      tx.scheduling().find_config(store::ConfigKind::notification_template, practice_id, id);
  if (!current) return tl::unexpected(current.error());
  store::ConfigRow row;
  if (!*current) {
    if (expected) {
      return core::fail(ErrorCode::precondition_failed,
                        "Die Vorlage wurde inzwischen geändert; bitte neu laden. / The template "
                        "was changed meanwhile; please reload.");
    }
    row = store::ConfigRow{std::string(practice_id), id, std::move(data), true, now, now, 1};
    if (auto r = tx.scheduling().insert_config(store::ConfigKind::notification_template, row); !r) {
      return tl::unexpected(r.error());
    }
    return row;
  }
  row = **current;
  row.data = std::move(data);
  row.active = true;
  row.updated_at = now;
  if (expected) row.version = *expected;
  if (auto r = tx.scheduling().update_config(store::ConfigKind::notification_template, row); !r) {
    return tl::unexpected(r.error());
  }
  ++row.version;
  return row;
}

}  // namespace

core::Result<PracticeSettings> Notifier::put_settings(const audit::Context& context,
                                                      std::string_view practice_id,
                                                      const json::object& body) {
  auto e = core::Error::make(ErrorCode::invalid_input,
                             "Die Einstellungen sind fehlerhaft. / The settings are invalid.");
  PracticeSettings s;
  for (const auto& [key, v] : body) {
    if (key == "practice_email") {
      if (v.is_null() || (v.is_string() && v.as_string().empty())) continue;
      if (!v.is_string() || !core::valid_email(v.as_string())) {
        e.fields.push_back({"practice_email", "invalid", "E-Mail-Adresse / e-mail address"});
      } else {
        s.practice_email = std::string(v.as_string());
      }
    } else if (key == "reminder_hours") {
      if (v.is_null()) continue;
      if (!v.is_int64() || v.as_int64() < 0 || v.as_int64() > kMaxReminderHours) {
        e.fields.push_back({"reminder_hours", "range", "0–336"});
      } else {
        s.reminder_hours = v.as_int64();
      }
    } else {
      e.fields.push_back({std::string(key), "unknown", "Unbekanntes Feld. / Unknown field."});
    }
  }
  if (!e.fields.empty()) return tl::unexpected(e);
  json::object doc{{"practice_email", s.practice_email}};
  if (s.reminder_hours) doc["reminder_hours"] = *s.reminder_hours;
  auto r = store::with_transaction(
      store_, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        auto row = put_doc(tx, practice_id, std::string(kSettingsId), json::serialize(doc),
                           std::nullopt, core::to_iso8601(clock_.now()));
        if (!row) return core::Result<void>(tl::unexpected(row.error()));
        auto a =
            trail_.record(tx, practice_id, context,
                          {"config.update", "notification_settings", std::string(kSettingsId)});
        if (!a) return core::Result<void>(tl::unexpected(a.error()));
        return core::Result<void>();
      });
  if (!r) return tl::unexpected(r.error());
  std::lock_guard lock(mutex_);
  audiences_.erase(std::string(practice_id));
  return s;
}

core::Result<json::array> Notifier::templates(std::string_view practice_id) {
  json::array out;
  auto r = store::with_transaction(
      store_, TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
        out.clear();
        for (auto kind : kinds()) {
          for (std::string_view language : {"de", "en"}) {
            const std::string id = std::string(kind) + "." + std::string(language);
            auto row = tx.scheduling().find_config(store::ConfigKind::notification_template,
                                                   practice_id, id);
            if (!row) return core::Result<void>(tl::unexpected(row.error()));
            auto t = template_for(tx, practice_id, kind, language);
            if (!t) return core::Result<void>(tl::unexpected(t.error()));
            json::object o{{"kind", kind},
                           {"language", language},
                           {"custom", *row && (*row)->active},
                           {"version", *row ? (*row)->version : 0}};
            for (auto& [k, v] : to_json(*t)) o[k] = v;
            json::array allowed;
            for (auto p : placeholders(kind)) allowed.emplace_back(p);
            o["placeholders"] = std::move(allowed);
            out.push_back(std::move(o));
          }
        }
        return core::Result<void>();
      });
  if (!r) return tl::unexpected(r.error());
  return out;
}

core::Result<json::object> Notifier::put_template(const audit::Context& context,
                                                  std::string_view practice_id,
                                                  std::string_view kind, std::string_view language,
                                                  std::optional<std::int64_t> expected_version,
                                                  const json::object& body) {
  if (!known_kind(kind) || !known_language(language)) {
    return tl::unexpected(not_found("Keine solche Vorlage. / No such template."));
  }
  auto t = parse_template(kind, body);
  if (!t) return tl::unexpected(t.error());
  json::object out;
  auto r = store::with_transaction(
      store_, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        const std::string id = std::string(kind) + "." + std::string(language);
        auto row = put_doc(tx, practice_id, id, json::serialize(to_json(*t)), expected_version,
                           core::to_iso8601(clock_.now()));
        if (!row) return core::Result<void>(tl::unexpected(row.error()));
        auto a =
            trail_.record(tx, practice_id, context, {"config.update", "notification_template", id});
        if (!a) return core::Result<void>(tl::unexpected(a.error()));
        out = to_json(*t);
        out["kind"] = kind;
        out["language"] = language;
        out["custom"] = true;
        out["version"] = row->version;
        return core::Result<void>();
      });
  if (!r) return tl::unexpected(r.error());
  return out;
}

core::Result<void> Notifier::reset_template(const audit::Context& context,
                                            std::string_view practice_id, std::string_view kind,
                                            std::string_view language) {
  if (!known_kind(kind) || !known_language(language)) {
    return tl::unexpected(not_found("Keine solche Vorlage. / No such template."));
  }
  return store::with_transaction(
      store_, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        const std::string id = std::string(kind) + "." + std::string(language);
        auto row =
            tx.scheduling().find_config(store::ConfigKind::notification_template, practice_id, id);
        if (!row) return core::Result<void>(tl::unexpected(row.error()));
        if (!*row || !(*row)->active) return core::Result<void>();
        auto off = **row;
        off.active = false;
        off.updated_at = core::to_iso8601(clock_.now());
        if (auto u = tx.scheduling().update_config(store::ConfigKind::notification_template, off);
            !u) {
          return u;
        }
        auto a =
            trail_.record(tx, practice_id, context, {"config.update", "notification_template", id});
        if (!a) return core::Result<void>(tl::unexpected(a.error()));
        return core::Result<void>();
      });
}

core::Result<json::object> Notifier::preview(std::string_view practice_id, std::string_view kind,
                                             std::string_view language, const json::object* body) {
  if (!known_kind(kind) || !known_language(language)) {
    return tl::unexpected(not_found("Keine solche Vorlage. / No such template."));
  }
  Template t;
  std::optional<store::PracticeRow> practice;
  auto r = store::with_transaction(store_, TxMode::read_only,
                                   [&](Transaction& tx) -> core::Result<void> {
                                     auto p = tx.practices().find(practice_id);
                                     if (!p) return core::Result<void>(tl::unexpected(p.error()));
                                     practice = std::move(*p);
                                     if (body) return core::Result<void>();
                                     auto stored = template_for(tx, practice_id, kind, language);
                                     if (!stored)
                                       return core::Result<void>(tl::unexpected(stored.error()));
                                     t = std::move(*stored);
                                     return core::Result<void>();
                                   });
  if (!r) return tl::unexpected(r.error());
  if (!practice) return tl::unexpected(not_found("Praxis nicht gefunden. / Practice not found."));
  if (body) {
    auto parsed = parse_template(kind, *body);
    if (!parsed) return tl::unexpected(parsed.error());
    t = std::move(*parsed);
  }
  // Sample values: the practice's own name and address, a time next week.
  const auto start = (epoch_seconds(clock_.now()) / 3600 + std::int64_t{168}) * 3600;
  json::object sample{
      {"practice", practice->name},
      {"address", address_of(*practice)},
      {"type", json::object{{"de", "Kontrolluntersuchung"}, {"en", "Check-up"}}},
      {"instructions", json::object{{"de", "Bitte bringen Sie Ihre Versichertenkarte mit."},
                                    {"en", "Please bring your health insurance card."}}},
      {"start", start},
      {"reference", "ABCD-2345"},
      {"manage_link", options_.base_url() + "/book/" + practice->slug + "/manage#…"},
      {"inbox_link", options_.base_url() + "/app/#/inbox"}};
  const auto values = values_of(sample, language);
  const auto text = render(t.text, values);
  const auto sms = t.sms.empty() ? default_template(kind, language).sms : t.sms;
  return json::object{{"subject", render(t.subject, values)},
                      {"text", text},
                      {"html", html_body(text, language)},
                      {"sms", render(sms, values)}};
}

// ---- staff view of the outbox ----

core::Result<std::vector<OutboxRow>> Notifier::list(
    std::string_view practice_id, std::string_view state,
    std::optional<std::pair<std::string, std::string>> before, std::int64_t limit) {
  std::vector<OutboxRow> out;
  auto r = store::with_transaction(
      store_, TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
        auto rows = tx.outbox().list(practice_id, state, before, limit);
        if (!rows) return core::Result<void>(tl::unexpected(rows.error()));
        out = std::move(*rows);
        return core::Result<void>();
      });
  if (!r) return tl::unexpected(r.error());
  return out;
}

core::Result<void> Notifier::retry(const audit::Context& context, std::string_view practice_id,
                                   std::string_view id) {
  auto r = store::with_transaction(
      store_, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        auto revived = tx.outbox().revive(practice_id, id, epoch_seconds(clock_.now()));
        if (!revived) return core::Result<void>(tl::unexpected(revived.error()));
        if (!*revived) {
          return core::Result<void>(tl::unexpected(
              not_found("Keine unzustellbare Nachricht mit dieser Id. / No dead message with "
                        "this id.")));
        }
        auto a = trail_.record(tx, practice_id, context,
                               {"notification.retry", "notification", std::string(id)});
        if (!a) return core::Result<void>(tl::unexpected(a.error()));
        return core::Result<void>();
      });
  if (!r) return r;
  wake_.notify_all();
  return {};
}

}  // namespace praxis::notify
