-- Row-level security (issue #13): every practice-owned row is visible only to a
-- transaction scoped to its practice. The adapter starts every transaction with
-- praxis.practice = '*' (server-wide work: sign-in by e-mail, the notification sender,
-- the practice list) and Transaction::scope() narrows it to one practice for the rest of
-- the transaction (SET LOCAL). A connection that never set it sees and writes nothing.
-- FORCE applies the policies to the tables' owner as well; praxis itself connects as a
-- role that neither owns the tables nor has BYPASSRLS (PgStore::open checks).
CREATE FUNCTION praxis_visible(practice TEXT) RETURNS BOOLEAN
  LANGUAGE sql STABLE PARALLEL SAFE
  RETURN current_setting('praxis.practice', true) = '*'
      OR practice = current_setting('praxis.practice', true);

ALTER TABLE practices ENABLE ROW LEVEL SECURITY;
ALTER TABLE practices FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON practices USING (praxis_visible(id)) WITH CHECK (praxis_visible(id));
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON users USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE enrolment_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE enrolment_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON enrolment_tokens USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE recovery_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE recovery_codes FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON recovery_codes USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON sessions USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE api_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON api_tokens USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE patients ENABLE ROW LEVEL SECURITY;
ALTER TABLE patients FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON patients USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE patient_index ENABLE ROW LEVEL SECURITY;
ALTER TABLE patient_index FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON patient_index USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE audit_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_heads FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON audit_heads USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE audit_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON audit_entries USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE audit_nodes ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_nodes FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON audit_nodes USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE audit_checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_checkpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON audit_checkpoints USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE break_glass ENABLE ROW LEVEL SECURITY;
ALTER TABLE break_glass FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON break_glass USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE practitioners ENABLE ROW LEVEL SECURITY;
ALTER TABLE practitioners FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON practitioners USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE resources ENABLE ROW LEVEL SECURITY;
ALTER TABLE resources FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON resources USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE appointment_types ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointment_types FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON appointment_types USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE working_plans ENABLE ROW LEVEL SECURITY;
ALTER TABLE working_plans FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON working_plans USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE scheduling_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE scheduling_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON scheduling_settings USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE absences ENABLE ROW LEVEL SECURITY;
ALTER TABLE absences FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON absences USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE appointments ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointments FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON appointments USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE appointment_resources ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointment_resources FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON appointment_resources USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE online_bookings ENABLE ROW LEVEL SECURITY;
ALTER TABLE online_bookings FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON online_bookings USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON idempotency_keys USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE used_challenges ENABLE ROW LEVEL SECURITY;
ALTER TABLE used_challenges FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON used_challenges USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON outbox USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
ALTER TABLE notification_templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification_templates FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON notification_templates USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
