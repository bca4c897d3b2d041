#pragma once
// Reading the audit trail (issue #8): the auditor's search, a patient's access report
// (Art. 15 GDPR), the latest signed checkpoint and proofs against it. Looking at the
// trail is itself recorded (audit.search, patient.access_log).

#include <optional>
#include <string>
#include <vector>

#include "audit/trail.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "store/store.hpp"

namespace praxis::audit {

struct EntryView {
  store::AuditEntryRow entry;
  std::string actor_name;  // the staff member's display name or the API token's name
};

struct EntryPage {
  std::vector<EntryView> entries;
  std::optional<std::int64_t> next_before;  // pass as before_seq for the next page
};

struct CheckpointView {
  store::AuditCheckpointRow row;
  std::string origin;  // also the signature's key name
  crypto::PublicKey public_key{};
};

struct BreakGlassView {
  store::BreakGlassRow row;
  std::string reason;
  std::string user_name;
  std::string user_role;
};

struct InclusionView {
  store::AuditEntryRow entry;
  std::uint64_t size = 0;
  std::vector<Hash> proof;
};

class AuditService {
 public:
  AuditService(store::Store& store, Trail& trail, core::Clock& clock, core::Random& random,
               std::chrono::minutes break_glass = std::chrono::minutes(30))
      : store_(store), trail_(trail), clock_(clock), random_(random), break_glass_(break_glass) {}

  // Break-glass: the caller opens restricted record `patient_id` for `reason` (10–500
  // characters, sealed with the practice key) for the configured time; the grant and
  // every access under it are flagged entries. conflict if the record is not restricted.
  [[nodiscard]] core::Result<store::BreakGlassRow> break_glass(const Context& context,
                                                               std::string_view practice_id,
                                                               std::string_view patient_id,
                                                               std::string_view reason);
  // For owners: grants with their reasons, newest first (only unreviewed ones if asked).
  [[nodiscard]] core::Result<std::vector<BreakGlassView>> break_glass_list(
      std::string_view practice_id, bool unreviewed_only);
  // not_found unless there is such an unreviewed grant.
  [[nodiscard]] core::Result<void> review(const Context& context, std::string_view practice_id,
                                          std::string_view id);

  [[nodiscard]] core::Result<EntryPage> search(const Context& context, std::string_view practice_id,
                                               const store::AuditQuery& query);
  // Every entry about the patient, newest first.
  [[nodiscard]] core::Result<EntryPage> access_log(const Context& context,
                                                   std::string_view practice_id,
                                                   std::string_view patient_id,
                                                   std::optional<std::int64_t> before_seq,
                                                   std::int64_t limit);
  // The latest checkpoint, signed now if entries were added since (not_found for an
  // empty trail).
  [[nodiscard]] core::Result<CheckpointView> checkpoint(std::string_view practice_id);
  // Entry `index` and its inclusion proof in the tree of `size` entries (default: the
  // latest checkpoint's size, so the proof checks against a signed root).
  [[nodiscard]] core::Result<InclusionView> inclusion(std::string_view practice_id,
                                                      std::uint64_t index,
                                                      std::optional<std::uint64_t> size);
  [[nodiscard]] core::Result<std::vector<Hash>> consistency(std::string_view practice_id,
                                                            std::uint64_t from, std::uint64_t to);

 private:
  core::Result<EntryPage> page(const Context& context, std::string_view practice_id,
                               const store::AuditQuery& query, const Event& access);

  store::Store& store_;
  Trail& trail_;
  core::Clock& clock_;
  core::Random& random_;
  std::chrono::minutes break_glass_;
};

}  // namespace praxis::audit
