"""End-to-end tests of the praxis binary, run the way an operator runs it.

PRAXIS_BIN names the binary under test (ctest sets it).
"""
import base64
import hashlib
import hmac
import json
import os
import pty
import re
import signal
import stat
import struct
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

BIN = os.environ.get("PRAXIS_BIN", "build/release/bin/praxis")
SUPPORT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support")
# The helpers need Debian's Python and its packages (python3-aiosmtpd, python3-icalendar).
DEBIAN_PYTHON = "/usr/bin/python3"


def helper(*args):
    """A test helper from tests/support that prints "port N" once it listens."""
    proc = subprocess.Popen([DEBIAN_PYTHON, os.path.join(SUPPORT, args[0]), *args[1:]],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if not line.startswith("port "):
        proc.kill()
        raise AssertionError("helper %s did not start: %r" % (args[0], line))
    return proc, int(line.split()[1])


def run(*args, env=None, timeout=60, stdin_text=""):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout,
                          env=full_env, input=stdin_text)


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def totp(secret_b32, at=None):
    """RFC 6238 code (SHA-1, 30 s, 6 digits), as an authenticator app computes it."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 15
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (value % 1000000)


def http_json(method, url, body=None, headers=None, timeout=10):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            text = r.read().decode()
            return r.status, dict(r.headers), json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        return e.code, dict(e.headers), json.loads(text) if text else None


def http_get(url, timeout=10):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


class Serving:
    """praxis serve on a free loopback port; the URL is read from its banner."""

    def __init__(self, data, *extra, env=None, stdin_text=""):
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen([BIN, "serve", "--data", data, "--listen", "127.0.0.1:0", *extra],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=full_env)
        self.proc.stdin.write(stdin_text)
        self.proc.stdin.close()
        line = self.proc.stdout.readline()
        match = re.search(r"serves (http://127\.0\.0\.1:\d+)/", line)
        if not match:
            self.proc.kill()
            raise AssertionError("no banner: %r %r" % (line, self.proc.stderr.read()))
        self.url = match.group(1)

    def kill(self):
        """As a power cut or the OOM killer ends it: SIGKILL, nothing runs afterwards."""
        self.proc.kill()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()
        self.proc.stderr.close()

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        out = self.proc.stdout.read()
        err = self.proc.stderr.read()
        self.proc.wait(timeout=30)
        return self.proc.returncode, out, err


class CliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.data = os.path.join(self.tmp.name, "var")

    def tearDown(self):
        self.tmp.cleanup()

    def init(self):
        r = run("init", "--data", self.data)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def write_config(self, text):
        with open(os.path.join(self.data, "praxis.toml"), "w") as f:
            f.write(text)

    def test_version_and_help(self):
        r = run("version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^praxis \d+\.\d+\.\d+ \(")
        for sub in ("init", "serve", "doctor", "version"):
            h = run(sub, "--help")
            self.assertEqual(h.returncode, 0, sub)
            self.assertIn("Usage", h.stdout, sub)

    def test_wrong_flags_give_one_line_and_exit_2(self):
        for args in (["serve", "--bogus"], ["init"], ["frobnicate"], []):
            r = run(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, (args, r.stderr))
            self.assertTrue(r.stderr.startswith("praxis: "), r.stderr)

    def test_init_creates_private_data_directory_once(self):
        r = self.init()
        self.assertIn("praxis serve --data", r.stdout)
        self.assertEqual(stat.S_IMODE(os.stat(self.data).st_mode), 0o700)
        for name in ("master.key", "praxis.toml", "praxis.db"):
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(self.data, name)).st_mode), 0o600, name)
        before = read_bytes(os.path.join(self.data, "master.key"))
        again = run("init", "--data", self.data)
        self.assertEqual(again.returncode, 73)
        self.assertIn("not empty", again.stderr)
        self.assertEqual(before, read_bytes(os.path.join(self.data, "master.key")))

    def test_serve_answers_health_and_stops_gracefully(self):
        self.init()
        server = Serving(self.data)
        try:
            status, headers, body = http_get(server.url + "/healthz")
            self.assertEqual(status, 200)
            self.assertEqual(json.loads(body), {"status": "ok"})
            self.assertEqual(len(headers["X-Request-Id"]), 32)
            self.assertNotIn("Server", headers)
            status, _, _ = http_get(server.url + "/readyz")
            self.assertEqual(status, 200)
            status, headers, body = http_get(server.url + "/metrics")
            self.assertEqual(status, 200)
            self.assertIn('praxis_http_requests_total{method="GET",route="/healthz",status="200"} 1', body)
            status, headers, body = http_get(server.url + "/does-not-exist")
            self.assertEqual(status, 404)
            self.assertEqual(headers["Content-Type"], "application/problem+json")
        finally:
            code, out, err = server.stop()
        self.assertEqual(code, 0, err)
        self.assertIn("praxis stopped", out)
        events = [json.loads(line)["event"] for line in err.splitlines() if line.startswith("{")]
        self.assertIn("signal_received", events)
        self.assertIn("shutdown_finished", events)
        self.assertIn("request", events)

    def test_client_libraries_load_only_for_what_is_configured(self):
        # libpq and libcurl (and the GnuTLS, Kerberos and LDAP libraries they pull in) are
        # opened on first use: a practice server on SQLite without mail maps neither
        # (issue #2's idle memory); one with mail set up opens libcurl when it starts.
        def mapped(server):
            with open("/proc/%d/maps" % server.proc.pid) as f:
                return {os.path.basename(line.split()[-1]).split(".so")[0]
                        for line in f if ".so" in line}
        self.init()
        server = Serving(self.data)
        try:
            self.assertEqual(http_get(server.url + "/healthz")[0], 200)
            libraries = mapped(server)
            self.assertIn("libsqlite3", libraries)  # the check reads the right thing
            self.assertEqual(libraries & {"libpq", "libcurl", "libgnutls", "libldap-2.5"}, set())
        finally:
            server.stop()
        server = Serving(self.data, env={"PRAXIS_MAIL_URL": "smtp://127.0.0.1:9",
                                         "PRAXIS_MAIL_FROM": "termine@demo.example"})
        try:
            self.assertEqual(http_get(server.url + "/healthz")[0], 200)
            libraries = mapped(server)
            self.assertIn("libcurl", libraries)
            self.assertNotIn("libpq", libraries)
        finally:
            server.stop()

    def test_sigint_also_stops_cleanly(self):
        self.init()
        server = Serving(self.data)
        code, _, err = server.stop(signal.SIGINT)
        self.assertEqual(code, 0, err)

    def test_readyz_fails_when_database_is_wiped(self):
        self.init()
        server = Serving(self.data)
        try:
            os.remove(os.path.join(self.data, "praxis.db"))
            status, _, body = http_get(server.url + "/readyz")
            self.assertEqual(status, 503)
            self.assertNotIn(self.data, body)
        finally:
            server.stop()

    def test_config_errors_exit_78_naming_key_and_line(self):
        self.init()
        self.write_config("[server]\nlisten = \"127.0.0.1:0\"\nthreads = 4\n")
        r = run("serve", "--data", self.data)
        self.assertEqual(r.returncode, 78)
        self.assertIn("praxis.toml:3", r.stderr)
        self.assertIn("threads", r.stderr)

        self.write_config("[server]\nmax_connections = -5\n")
        r = run("serve", "--data", self.data)
        self.assertEqual(r.returncode, 78)
        self.assertIn("max_connections", r.stderr)

        self.write_config("")
        r = run("serve", "--data", self.data, env={"PRAXIS_SERVER_IO_THREADS": "many"})
        self.assertEqual(r.returncode, 78)
        self.assertIn("PRAXIS_SERVER_IO_THREADS", r.stderr)

    def test_environment_overrides_config(self):
        self.init()
        server = Serving(self.data, env={"PRAXIS_LOG_ACCESS_LOG": "false"})
        try:
            self.assertEqual(http_get(server.url + "/healthz")[0], 200)
        finally:
            _, _, err = server.stop()
        events = [json.loads(line)["event"] for line in err.splitlines() if line.startswith("{")]
        self.assertNotIn("request", events)

    def test_refuses_public_listener_without_tls(self):
        self.init()
        r = run("serve", "--data", self.data, "--listen", "0.0.0.0:0")
        self.assertEqual(r.returncode, 78)
        self.assertIn("TLS", r.stderr)
        self.assertIn("tls_certificate", r.stderr)

    def test_refuses_readable_master_key(self):
        self.init()
        key = os.path.join(self.data, "master.key")
        os.chmod(key, 0o644)
        r = run("serve", "--data", self.data, "--listen", "127.0.0.1:0")
        self.assertEqual(r.returncode, 78)
        self.assertIn("chmod 600", r.stderr)
        d = run("doctor", "--data", self.data)
        self.assertEqual(d.returncode, 1)
        self.assertIn("FAIL  master_key", d.stdout)

    def test_doctor_passes_on_fresh_installation(self):
        self.init()
        d = run("doctor", "--data", self.data)
        self.assertEqual(d.returncode, 0, d.stdout)
        self.assertIn("0 failed", d.stdout)
        j = run("doctor", "--data", self.data, "--json")
        self.assertEqual(j.returncode, 0, j.stderr)
        findings = json.loads(j.stdout)
        warnings = {f["check"] for f in findings if f["severity"] != "ok"}
        # Only: backups inside the data directory by default, no e-mail set up yet, and
        # root in CI containers.
        expected = ({"backup.same_filesystem", "notifications.transport"}
                    | ({"process.root"} if os.geteuid() == 0 else set()))
        self.assertEqual(warnings, expected)
        checks = {f["check"] for f in findings}
        for check in ["data_dir.permissions", "master_key", "database.permissions",
                      "server.listener", "database.integrity", "database.synchronous",
                      "auth.users_second_factor", "auth.enrolment_links", "backup.recovery_key",
                      "backup.age", "audit.trail", "booking.proof_of_work", "process.root",
                      "web.assets"]:
            self.assertIn(check, checks)

    def test_doctor_warns_when_the_booking_page_is_missing(self):
        self.init()
        path = os.path.join(self.data, "praxis.toml")
        with open(path) as f:
            text = f.read()
        self.assertIn('#dir = ""', text)
        with open(path, "w") as f:
            f.write(text.replace('#dir = ""', 'dir = "%s"' % os.path.join(self.tmp.name, "no-web")))
        j = run("doctor", "--data", self.data, "--json")
        self.assertEqual(j.returncode, 0, j.stderr)
        found = [f for f in json.loads(j.stdout) if f["check"] == "web.assets"]
        self.assertEqual(len(found), 1)
        self.assertEqual(found[0]["severity"], "warn")
        self.assertIn("make build", found[0]["message"])
        # The server still starts (the API answers); the booking page is a 404.
        server = Serving(self.data)
        try:
            self.assertEqual(http_get(server.url + "/book/demo")[0], 404)
            self.assertEqual(http_get(server.url + "/readyz")[0], 200)
        finally:
            server.stop()

    def test_serve_refuses_what_doctor_finds_unsafe(self):
        self.init()
        os.chmod(self.data, 0o755)
        r = run("serve", "--data", self.data, "--listen", "127.0.0.1:0")
        self.assertEqual(r.returncode, 78)
        self.assertIn("refusing to start: data_dir.permissions", r.stderr)
        self.assertIn("chmod 700", r.stderr)
        d = run("doctor", "--data", self.data, "--json")
        self.assertEqual(d.returncode, 1)
        blocking = [f for f in json.loads(d.stdout) if f["blocks_start"]]
        self.assertEqual([f["check"] for f in blocking], ["data_dir.permissions"])

    def test_a_message_claimed_when_the_server_is_killed_is_sent_exactly_once(self):
        r = run("init", "--data", self.data, "--demo")
        self.assertEqual(r.returncode, 0, r.stderr)
        mail_dir = os.path.join(self.tmp.name, "mail")
        # A relay that accepts the connection and never answers: the notifier has claimed
        # the message and is in the middle of sending it when the server is killed.
        stalled, port = helper("smtp_sink.py", "--dir", mail_dir, "--stall")
        env = {"PRAXIS_MAIL_URL": "smtp://127.0.0.1:%d" % port,
               "PRAXIS_MAIL_FROM": "termine@demo.example",
               "PRAXIS_BOOKING_PROOF_OF_WORK": "false"}
        s = Serving(self.data, env=env)
        try:
            status, _, body = http_get(s.url + "/api/v1/public/practices/demo")
            self.assertEqual(status, 200, body)
            type_id = json.loads(body)["appointment_types"][0]["id"]
            today = time.strftime("%Y-%m-%d", time.gmtime())
            until = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 13 * 86400))
            status, _, body = http_get("%s/api/v1/public/practices/demo/availability?type=%s&from=%s&to=%s"
                                       % (s.url, type_id, today, until))
            self.assertEqual(status, 200, body)
            slot = json.loads(body)["slots"][-1]
            status, _, body = http_json("POST", s.url + "/api/v1/public/practices/demo/bookings", {
                "appointment_type": type_id, "start": slot["start"],
                "patient": {"family_name": "Kill", "given_names": "Test", "birth_date": "1980-01-01",
                            "email": "kill.test@example.org", "insurance_kind": "GKV",
                            "new_patient": True},
                "reminder_consent": False})
            self.assertEqual(status, 201, body)
            self.assertEqual(stalled.stdout.readline().strip(), "connection",
                             "the notifier took the message and connected")
            s.kill()
        finally:
            if s.proc.poll() is None:
                s.stop()
            stalled.kill()
            stalled.wait()
            stalled.stdout.close()
        self.assertEqual(os.listdir(mail_dir) if os.path.isdir(mail_dir) else [], [])

        # The relay is back on the same port; the restarted server sends the message once.
        sink, _ = helper("smtp_sink.py", "--dir", mail_dir, "--port", str(port))
        s = Serving(self.data, env=env)
        try:
            deadline = time.time() + 30
            while time.time() < deadline and not [f for f in os.listdir(mail_dir) if f.endswith(".eml")]:
                time.sleep(0.2)
            time.sleep(3)  # a second copy would have arrived by now
            mails = sorted(f for f in os.listdir(mail_dir) if f.endswith(".eml"))
            self.assertEqual(len(mails), 1, "delivered exactly once")
            summary = subprocess.run([DEBIAN_PYTHON, os.path.join(SUPPORT, "mail_summary.py"),
                                      os.path.join(mail_dir, mails[0])],
                                     capture_output=True, text=True, check=True)
            mail = json.loads(summary.stdout)
            self.assertEqual(mail["to"], "kill.test@example.org")
            self.assertTrue(mail["subject"].startswith("Terminbestätigung"), mail["subject"])
            self.assertEqual(mail["calendar_method"], "REQUEST")
            status, _, metrics = http_get(s.url + "/metrics")
            self.assertIn("praxis_notifications_sent_total 1", metrics)
            self.assertIn("praxis_notifications_dead 0", metrics)
        finally:
            s.stop()
            sink.kill()
            sink.wait()
            sink.stdout.close()

    def test_entries_in_the_audit_journal_when_the_server_is_killed_reach_the_trail(self):
        import sqlite3
        r = run("init", "--data", self.data, "--demo")
        self.assertEqual(r.returncode, 0, r.stderr)

        def failed_logins():
            db = sqlite3.connect(os.path.join(self.data, "praxis.db"))
            try:
                return db.execute("SELECT count(*) FROM audit_entries WHERE action = 'auth.login' "
                                  "AND outcome = 'failure'").fetchone()[0]
            finally:
                db.close()

        # Refused sign-ins are recorded through the journal; with a long delay they are
        # still there, not yet in the trail, when the server is killed.
        s = Serving(self.data, env={"PRAXIS_AUDIT_JOURNAL_DELAY_MS": "60000"})
        try:
            for _ in range(3):
                status, _, body = http_json("POST", s.url + "/api/v1/auth/login",
                                            {"email": "inhaber@demo.example",
                                             "password": "falsches Passwort 123"})
                self.assertEqual(status, 401, body)
            status, _, metrics = http_get(s.url + "/metrics")
            self.assertIn("praxis_audit_journal_pending 3", metrics)
            s.kill()
        finally:
            if s.proc.poll() is None:
                s.stop()
        self.assertGreater(os.path.getsize(os.path.join(self.data, "audit.journal")), 32)
        self.assertEqual(failed_logins(), 0, "killed before the move")

        s = Serving(self.data)
        code, _, err = s.stop()
        self.assertEqual(code, 0, err)
        self.assertIn("audit_journal_recovered", err)
        self.assertEqual(failed_logins(), 3, "moved into the trail by the next start, once")
        v = run("audit", "verify", "--data", self.data)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)

    def test_serve_refuses_mail_settings_that_would_send_in_the_clear(self):
        self.init()
        secret = os.path.join(self.data, "mail.password")
        with open(secret, "w") as f:
            f.write("relay-password\n")
        os.chmod(secret, 0o644)
        env = dict(os.environ, PRAXIS_MAIL_URL="smtp://mail.example.org:587",
                   PRAXIS_MAIL_FROM="termine@praxis.example", PRAXIS_MAIL_USERNAME="praxis",
                   PRAXIS_MAIL_PASSWORD_FILE="mail.password")
        r = run("serve", "--data", self.data, "--listen", "127.0.0.1:0", env=env)
        self.assertEqual(r.returncode, 78, r.stderr)
        self.assertIn("refusing to start: mail.settings", r.stderr)
        self.assertIn("chmod 600", r.stderr)
        self.assertNotIn("relay-password", r.stderr + r.stdout)
        os.chmod(secret, 0o600)
        d = run("doctor", "--data", self.data, "--json", env=env)
        checks = {f["check"]: f for f in json.loads(d.stdout)}
        self.assertEqual(checks["mail.settings"]["severity"], "ok")
        self.assertIn("TLS required", checks["mail.settings"]["message"])
        env["PRAXIS_MAIL_URL"] = "http://mail.example.org"
        r = run("serve", "--data", self.data, "--listen", "127.0.0.1:0", env=env)
        self.assertEqual(r.returncode, 78, r.stderr)
        self.assertIn("smtp:// or smtps://", r.stderr)

    def test_key_rotation_while_stopped_and_refused_while_serving(self):
        self.init()
        server = Serving(self.data)
        try:
            busy = run("keys", "rotate", "--data", self.data)
            self.assertEqual(busy.returncode, 1)
            self.assertIn("in use", busy.stderr)
            second = run("serve", "--data", self.data, "--listen", "127.0.0.1:0")
            self.assertEqual(second.returncode, 1, "one server per data directory")
        finally:
            server.stop()
        old_key = read_bytes(os.path.join(self.data, "master.key"))
        r = run("keys", "rotate", "--data", self.data)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("re-wrapped", r.stdout)
        self.assertNotEqual(old_key, read_bytes(os.path.join(self.data, "master.key")))
        self.assertEqual(old_key, read_bytes(os.path.join(self.data, "master.key.old")))
        d = run("doctor", "--data", self.data)
        self.assertIn("WARN  master_key.rotation", d.stdout)
        server = Serving(self.data)  # opens with the new key
        try:
            self.assertEqual(http_get(server.url + "/readyz")[0], 200)
        finally:
            server.stop()
        f = run("keys", "rotate", "--finish", "--data", self.data)
        self.assertEqual(f.returncode, 0, f.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.data, "master.key.old")))
        self.assertEqual(run("doctor", "--data", self.data).returncode, 0)

    def test_passphrase_mode_keeps_no_key_on_disk(self):
        secret = "Kaffeetasse auf dem Dach 42\n"
        r = run("init", "--data", self.data, "--passphrase", stdin_text=secret)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.data, "master.key")))
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(self.data, "master.salt")).st_mode), 0o600)
        server = Serving(self.data, stdin_text=secret)
        try:
            self.assertEqual(http_get(server.url + "/readyz")[0], 200)
        finally:
            self.assertEqual(server.stop()[0], 0)
        wrong = run("serve", "--data", self.data, "--listen", "127.0.0.1:0",
                    stdin_text="Kaffeetasse auf dem Dach 43\n")
        self.assertEqual(wrong.returncode, 78)
        self.assertIn("wrong passphrase", wrong.stderr)
        none = run("serve", "--data", self.data, "--listen", "127.0.0.1:0")
        self.assertEqual(none.returncode, 78)
        self.assertIn("no passphrase", none.stderr)
        short = run("init", "--data", os.path.join(self.tmp.name, "other"), "--passphrase",
                    stdin_text="kurz\n")
        self.assertEqual(short.returncode, 73)
        self.assertIn("12 characters", short.stderr)
        self.assertEqual(run("doctor", "--data", self.data).returncode, 0)
        new_secret = "Neue Kaffeetasse im Keller 7\n"
        rotated = run("keys", "rotate", "--data", self.data, stdin_text=secret + new_secret)
        self.assertEqual(rotated.returncode, 0, rotated.stderr)
        old_refused = run("serve", "--data", self.data, "--listen", "127.0.0.1:0", stdin_text=secret)
        self.assertEqual(old_refused.returncode, 78)
        self.assertIn("does not open", old_refused.stderr)
        server = Serving(self.data, stdin_text=new_secret)
        try:
            self.assertEqual(http_get(server.url + "/readyz")[0], 200)
        finally:
            server.stop()
        done = run("keys", "rotate", "--finish", "--data", self.data, stdin_text=new_secret)
        self.assertEqual(done.returncode, 0, done.stderr)

    def test_postgres_backend_serves_and_rotates(self):
        dsn, owner_dsn = self.pg_dsns()
        schema = "e2e_%d" % os.getpid()
        subprocess.run(["psql", owner_dsn, "-q", "-c", "CREATE SCHEMA " + schema], check=True)
        def pg_config(working, owner):
            return ('[store]\nbackend = "postgres"\n'
                    'postgres_dsn = "%s options=\'-csearch_path=%s\'"\n'
                    'postgres_owner_dsn = "%s options=\'-csearch_path=%s\'"\n'
                    % (working, schema, owner, schema))
        try:
            self.init()
            # The owning role as the working role: row-level security would not bind it.
            self.write_config(pg_config(owner_dsn, owner_dsn))
            refused = run("serve", "--data", self.data, "--listen", "127.0.0.1:0")
            self.assertNotEqual(refused.returncode, 0)
            self.assertIn("owns the tables", refused.stderr)
            self.write_config(pg_config(dsn, owner_dsn))
            server = Serving(self.data)
            try:
                self.assertEqual(http_get(server.url + "/readyz")[0], 200)
            finally:
                self.assertEqual(server.stop()[0], 0)
            tables = subprocess.run(["psql", dsn, "-tA", "-c",
                                     "SELECT owner FROM %s.master_wrapped_keys" % schema],
                                    capture_output=True, text=True, check=True).stdout.split()
            self.assertEqual(tables, ["signing:server"])
            # The whole staff stack on PostgreSQL: a practice and its owner, enrolment,
            # sign-in, a patient, search.
            created = run("practice", "create", "--data", self.data, "--json", "--practice-name",
                          "Praxis PG", "--practice-slug", "pg-praxis", "--practice-state", "HB",
                          "--owner-email", "owner@pg.example")
            self.assertEqual(created.returncode, 0, created.stderr)
            token = json.loads(created.stdout)["owner"]["enrolment_token"]
            server = Serving(self.data)
            try:
                password = "Hafen und Schiffe im Nebel"
                status, _, secrets = http_json("POST", server.url + "/api/v1/auth/enrol",
                                               {"token": token, "password": password})
                self.assertEqual(status, 200, secrets)
                status, _, body = http_json("POST", server.url + "/api/v1/auth/enrol/confirm",
                                            {"token": token, "totp": totp(secrets["totp_secret"])})
                self.assertEqual(status, 200, body)
                status, headers, login = http_json(
                    "POST", server.url + "/api/v1/auth/login",
                    {"email": "owner@pg.example", "password": password,
                     "recovery_code": secrets["recovery_codes"][0]})
                self.assertEqual(status, 200, login)
                auth = {"Cookie": headers["Set-Cookie"].split(";")[0],
                        "X-CSRF-Token": login["csrf_token"]}
                status, _, patient = http_json(
                    "POST", server.url + "/api/v1/patients",
                    {"family_name": "Müller", "given_names": "Anna", "birth_date": "1980-03-12",
                     "phones": [{"kind": "mobile", "number": "0151 12345678"}]}, headers=auth)
                self.assertEqual(status, 201, patient)
                for q in ["M%C3%BCller", "Mueller", "12.3.80", "0151%2012345678"]:
                    status, _, found = http_json("GET", server.url + "/api/v1/patients?q=" + q,
                                                 headers=auth)
                    self.assertEqual((status, len(found["patients"])), (200, 1), q)
                status, _, again = http_json(
                    "POST", server.url + "/api/v1/patients",
                    {"family_name": "Mueller", "given_names": "Anna", "birth_date": "1980-03-12"},
                    headers=auth)
                self.assertEqual(status, 409, again)
            finally:
                self.assertEqual(server.stop()[0], 0)
            def owner_sql(sql):
                return subprocess.run(["psql", owner_dsn, "-tA", "-c",
                                       "SET praxis.practice = '*'; " + sql],
                                      capture_output=True, text=True, check=True).stdout.split()[-1]
            self.assertEqual(owner_sql("SELECT count(*) FROM %s.patients" % schema), "1")
            leaked = owner_sql("SELECT count(*) FROM %s.patients WHERE "
                               "encode(record, 'escape') LIKE '%%M%%ller%%'" % schema)
            self.assertEqual(leaked, "0", "the record is ciphertext in PostgreSQL too")
            # Row-level security: the working role, outside praxis' transactions, sees no
            # patient at all.
            hidden = subprocess.run(["psql", dsn, "-tA", "-c",
                                     "SELECT count(*) FROM %s.patients" % schema],
                                    capture_output=True, text=True, check=True).stdout.strip()
            self.assertEqual(hidden, "0")
            r = run("keys", "rotate", "--data", self.data)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("2 keys re-wrapped", r.stdout)
            server = Serving(self.data)
            try:
                self.assertEqual(http_get(server.url + "/readyz")[0], 200)
            finally:
                server.stop()
            d = run("doctor", "--data", self.data)
            self.assertIn("OK    database.postgres", d.stdout)
            self.write_config('[store]\nbackend = "postgres"\npostgres_dsn = "host=db.example.org dbname=x"\n'
                              'postgres_owner_dsn = "host=db.example.org dbname=x user=owner"\n')
            refused = run("serve", "--data", self.data, "--listen", "127.0.0.1:0")
            self.assertEqual(refused.returncode, 78, refused.stderr)
            self.assertIn("verify-full", refused.stderr)
        finally:
            subprocess.run(["psql", owner_dsn, "-q", "-c", "DROP SCHEMA %s CASCADE" % schema])

    def test_init_with_a_practice_and_practice_create(self):
        r = run("init", "--data", self.data, "--json", "--practice-name", "Praxis Dr. Müller",
                "--practice-slug", "mueller", "--practice-state", "BY",
                "--owner-email", "Inhaberin@Praxis-Mueller.Example")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        owner = out["practice"]["owner"]
        self.assertEqual(owner["email"], "inhaberin@praxis-mueller.example")
        self.assertEqual(len(owner["enrolment_token"]), 43)
        self.assertEqual(owner["enrolment_url"],
                         "http://127.0.0.1:8080/app/enrol#token=" + owner["enrolment_token"])
        self.assertEqual(out["practice"]["slug"], "mueller")
        self.assertEqual(out["practice"]["booking_url"], "http://127.0.0.1:8080/book/mueller")
        self.assertEqual(len(out["practice"]["id"]), 32)
        c = run("practice", "create", "--data", self.data, "--json", "--practice-name", "Zahnarzt",
                "--practice-slug", "zahn", "--practice-state", "BE", "--practice-kind", "zahnarztpraxis")
        self.assertEqual(c.returncode, 0, c.stderr)
        self.assertEqual(json.loads(c.stdout)["slug"], "zahn")
        taken = run("practice", "create", "--data", self.data, "--practice-name", "Andere",
                    "--practice-slug", "zahn", "--practice-state", "BE")
        self.assertEqual(taken.returncode, 1)
        self.assertIn("slug:", taken.stderr)
        owner_taken = run("practice", "create", "--data", self.data, "--practice-name", "Dritte",
                          "--practice-slug", "dritte", "--practice-state", "BE",
                          "--owner-email", "inhaberin@praxis-mueller.example")
        self.assertEqual(owner_taken.returncode, 1)
        self.assertIn("email:", owner_taken.stderr)
        again = run("practice", "create", "--data", self.data, "--practice-name", "Dritte",
                    "--practice-slug", "dritte", "--practice-state", "BE")
        self.assertEqual(again.returncode, 0, "the refused practice was not half-created")
        invited = run("user", "invite", "--data", self.data, "--practice", "dritte", "--email",
                      "mfa@dritte.example", "--role", "reception", "--json")
        self.assertEqual(invited.returncode, 0, invited.stderr)
        self.assertEqual(json.loads(invited.stdout)["role"], "reception")
        reset = run("user", "reset", "--data", self.data, "--email", "MFA@dritte.example", "--json")
        self.assertEqual(reset.returncode, 0, reset.stderr)
        self.assertNotEqual(json.loads(reset.stdout)["enrolment_token"],
                            json.loads(invited.stdout)["enrolment_token"])
        unknown = run("user", "reset", "--data", self.data, "--email", "nobody@dritte.example")
        self.assertEqual(unknown.returncode, 1)
        self.assertIn("no account", unknown.stderr)
        self.assertIn("/app/enrol#token=", json.loads(invited.stdout)["enrolment_url"])
        nowhere = run("user", "invite", "--data", self.data, "--practice", "nowhere", "--email",
                      "x@y.example", "--role", "owner")
        self.assertEqual(nowhere.returncode, 1)
        self.assertIn("/book/nowhere", nowhere.stderr)
        bad_role = run("user", "invite", "--data", self.data, "--practice", "dritte", "--email",
                       "z@dritte.example", "--role", "admin")
        self.assertEqual(bad_role.returncode, 2)
        self.assertIn("role:", bad_role.stderr)
        bad = run("practice", "create", "--data", self.data, "--practice-name", "X",
                  "--practice-slug", "Zahn Arzt", "--practice-state", "Bayern")
        self.assertEqual(bad.returncode, 2)
        self.assertIn("slug:", bad.stderr)
        self.assertIn("state:", bad.stderr)
        other = os.path.join(self.tmp.name, "other")
        refused = run("init", "--data", other, "--practice-name", "X", "--practice-slug", "ok-slug",
                      "--practice-state", "XX")
        self.assertEqual(refused.returncode, 2)
        self.assertFalse(os.path.exists(other), "bad practice data creates nothing")

    def test_owner_enrols_from_the_init_link_and_doctor_reports_relaxed_second_factor(self):
        r = run("init", "--data", self.data, "--json", "--practice-name", "Praxis Berg",
                "--practice-slug", "berg", "--practice-state", "HH",
                "--owner-email", "inhaberin@berg.example")
        self.assertEqual(r.returncode, 0, r.stderr)
        token = json.loads(r.stdout)["practice"]["owner"]["enrolment_token"]
        password = "Morgens erst einmal Kaffee"
        server = Serving(self.data)
        try:
            status, _, secrets = http_json("POST", server.url + "/api/v1/auth/enrol",
                                           {"token": token, "password": password})
            self.assertEqual(status, 200, secrets)
            self.assertEqual(len(secrets["recovery_codes"]), 10)
            # The QR code scans to exactly the otpauth URI (rendered and decoded the way a
            # phone camera would see it).
            svg = os.path.join(self.tmp.name, "qr.svg")
            png = os.path.join(self.tmp.name, "qr.png")
            with open(svg, "w", encoding="utf-8") as f:
                f.write(secrets["qr_svg"])
            subprocess.run(["rsvg-convert", "-w", "400", "-h", "400", svg, "-o", png], check=True)
            decoded = subprocess.run(["zbarimg", "--quiet", "--raw", png], capture_output=True,
                                     text=True, check=True).stdout.strip()
            self.assertEqual(decoded, secrets["otpauth_uri"])
            self.assertIn("secret=" + secrets["totp_secret"], decoded)
            code = totp(secrets["totp_secret"])
            status, _, body = http_json("POST", server.url + "/api/v1/auth/enrol/confirm",
                                        {"token": token, "totp": code})
            self.assertEqual(status, 200, body)
            # The code just used is spent; the next login uses a recovery code.
            status, headers, login = http_json(
                "POST", server.url + "/api/v1/auth/login",
                {"email": "inhaberin@berg.example", "password": password,
                 "recovery_code": secrets["recovery_codes"][0]})
            self.assertEqual(status, 200, login)
            cookie = headers["Set-Cookie"].split(";")[0]
            self.assertTrue(cookie.startswith("__Host-praxis="))
            auth = {"Cookie": cookie, "X-CSRF-Token": login["csrf_token"]}
            status, _, me = http_json("GET", server.url + "/api/v1/auth/me", headers=auth)
            self.assertEqual((status, me["user"]["role"]), (200, "owner"))
            status, _, body = http_json("PATCH", server.url + "/api/v1/practice",
                                        {"reception_second_factor_optional": True}, headers=auth)
            self.assertEqual(status, 200, body)
        finally:
            server.stop()
        doctor = run("doctor", "--data", self.data)
        self.assertIn("auth.second_factor", doctor.stdout)
        self.assertIn("reception may sign in without a second factor in: berg", doctor.stdout)

    def test_init_asks_for_the_practice_on_a_terminal(self):
        primary, secondary = pty.openpty()
        proc = subprocess.Popen([BIN, "init", "--data", self.data], stdin=secondary,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        os.close(secondary)
        os.write(primary, "Praxis Dr. Müller\n\nBY\ninhaberin@mueller.example\n".encode())
        out, err = proc.communicate(timeout=60)
        os.close(primary)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("public address [praxis-dr-mueller]", err)
        self.assertIn("/book/praxis-dr-mueller", out)
        self.assertIn("inhaberin@mueller.example", out)
        self.assertIn("/app/enrol#token=", out)

    def test_patients_import_validates_reports_and_is_safe_to_rerun(self):
        r = run("init", "--data", self.data, "--practice-name", "Praxis Import",
                "--practice-slug", "import", "--practice-state", "NW")
        self.assertEqual(r.returncode, 0, r.stderr)
        csv_path = os.path.join(self.tmp.name, "altsystem.csv")
        text = ("family_name;given_names;birth_date;phone_mobile;email;kvnr;email_reminders\n"
                "Müller;Anna;12.03.1980;0151 12345678;anna@example.org;A123456780;ja\n"
                "Weiß;Jörg;1955-11-30;;;;nein\n"
                "\"Schmidt, geb. Meier\";Clara;1990-07-07;;;;\n"
                "Ohne;Datum;;;;;\n"
                "Kaputt;Telefon;2001-01-01;12;;;vielleicht\n"
                "Müller;Anna;12.03.1980;;;;\n")  # the same person again
        with open(csv_path, "wb") as f:
            f.write(text.encode("iso-8859-1"))
        first = run("patients", "import", "--data", self.data, "--practice", "import", csv_path)
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertIn("Imported 3 of 6 rows (ISO-8859-1): 1 already present, 2 rejected",
                      first.stdout)
        with open(csv_path + ".report.csv", encoding="utf-8") as f:
            report = f.read()
        self.assertIn("5;birth_date;required", report)
        self.assertIn("6;email_reminders;invalid", report)
        self.assertNotIn("Kaputt", report, "the report carries no patient values")
        again = run("patients", "import", "--data", self.data, "--practice", "import", csv_path)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertIn("Imported 0 of 6 rows (ISO-8859-1): 4 already present, 2 rejected",
                      again.stdout)
        bad = os.path.join(self.tmp.name, "bad.csv")
        with open(bad, "w", encoding="utf-8") as f:
            f.write("family_name,given_names,birth_date,blutgruppe\nA,B,2000-01-01,0\n")
        refused = run("patients", "import", "--data", self.data, "--practice", "import", bad)
        self.assertEqual(refused.returncode, 2)
        self.assertIn("unknown column(s): blutgruppe", refused.stderr)

    def test_audit_verify_passes_untouched_and_names_an_edited_entry(self):
        import sqlite3
        r = run("init", "--data", self.data, "--practice-name", "Praxis Audit",
                "--practice-slug", "audit", "--practice-state", "BE")
        self.assertEqual(r.returncode, 0, r.stderr)
        csv_path = os.path.join(self.tmp.name, "patients.csv")
        with open(csv_path, "w", encoding="utf-8") as f:
            f.write("family_name;given_names;birth_date\n"
                    "Adler;Anna;1980-01-01\nBerg;Bernd;1970-02-02\nCoban;Cem;1990-03-03\n")
        r = run("patients", "import", "--data", self.data, "--practice", "audit", csv_path)
        self.assertEqual(r.returncode, 0, r.stderr)
        ok = run("audit", "verify", "--data", self.data)
        self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
        self.assertIn("OK    audit: 4 entries, 1 checkpoints verified", ok.stdout)
        as_json = json.loads(run("audit", "verify", "--data", self.data, "--json").stdout)
        self.assertEqual(as_json[0]["entries"], 4)  # practice.create and 3 patients
        d = run("doctor", "--data", self.data)
        self.assertEqual(d.returncode, 0, d.stdout)
        self.assertIn("OK    audit.trail: audit trail verified: 1 practice(s), 4 entries",
                      d.stdout)
        # Someone with the database file edits who did what.
        db = sqlite3.connect(os.path.join(self.data, "praxis.db"))
        db.execute("DROP TRIGGER audit_entries_no_update")
        db.execute("UPDATE audit_entries SET actor_id = 'someone else' WHERE seq = 1")
        db.commit()
        db.close()
        bad = run("audit", "verify", "--data", self.data)
        self.assertEqual(bad.returncode, 1, bad.stdout)
        self.assertIn("FAIL  audit: first bad entry 1: entry 1 was changed", bad.stdout)
        d = run("doctor", "--data", self.data)
        self.assertEqual(d.returncode, 1, d.stdout)
        self.assertIn("FAIL  audit.trail: practice audit: the audit trail was changed", d.stdout)

    def test_demo_practice_shows_free_times_at_once(self):
        r = run("init", "--data", self.data, "--demo")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Demo data: 2 practitioners, 3 appointment types, 300 synthetic patients", r.stdout)
        self.assertIn("/book/demo", r.stdout)
        self.assertRegex(r.stdout, r"/app/enrol#token=[A-Za-z0-9_-]{43}")
        s = Serving(self.data)
        try:
            status, _, body = http_get(s.url + "/api/v1/public/practices/demo")
            self.assertEqual(status, 200, body)
            info = json.loads(body)
            self.assertEqual(info["name"], "Praxis Dr. Demo")
            self.assertEqual(len(info["appointment_types"]), 2, "two of three are bookable online")
            self.assertEqual(len(info["practitioners"]), 2)
            self.assertNotIn("Müller", body)
            found = 0
            for t in info["appointment_types"]:
                today = time.strftime("%Y-%m-%d", time.gmtime())
                status, _, body = http_get("%s/api/v1/public/practices/demo/availability?type=%s&from=%s&to=%s"
                                           % (s.url, t["id"], today,
                                              time.strftime("%Y-%m-%d", time.gmtime(time.time() + 13 * 86400))))
                self.assertEqual(status, 200, body)
                found += len(json.loads(body)["slots"])
            self.assertGreater(found, 50, "the booking page shows free times at once")
            status, _, body = http_get(s.url + "/api/v1/public/practices/demo/challenge")
            self.assertEqual(status, 200, body)
            self.assertEqual(json.loads(body)["parameters"]["algorithm"], "PBKDF2/SHA-256")
        finally:
            s.stop()
        d = run("doctor", "--data", self.data)
        self.assertEqual(d.returncode, 0, d.stdout)
        self.assertIn("booking.proof_of_work", d.stdout)
        v = run("audit", "verify", "--data", self.data)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)

    DEMO_PASSWORD = "Sicherung ist Pflicht 2026"

    def demo_sign_in(self, url, recovery_code):
        status, headers, login = http_json(
            "POST", url + "/api/v1/auth/login",
            {"email": "inhaber@demo.example", "password": self.DEMO_PASSWORD,
             "recovery_code": recovery_code})
        self.assertEqual(status, 200, login)
        return {"Cookie": headers["Set-Cookie"].split(";")[0],
                "X-CSRF-Token": login["csrf_token"]}

    def demo_enrol_and_add_patient(self, url, token):
        """Enrols the demo owner from the init link and adds one distinctive patient."""
        status, _, secrets = http_json("POST", url + "/api/v1/auth/enrol",
                                       {"token": token, "password": self.DEMO_PASSWORD})
        self.assertEqual(status, 200, secrets)
        status, _, body = http_json("POST", url + "/api/v1/auth/enrol/confirm",
                                    {"token": token, "totp": totp(secrets["totp_secret"])})
        self.assertEqual(status, 200, body)
        auth = self.demo_sign_in(url, secrets["recovery_codes"][0])
        status, _, patient = http_json("POST", url + "/api/v1/patients", {
            "family_name": "Quaxelbrunn", "given_names": "Wiltrud",
            "birth_date": "1961-04-05", "email": "wiltrud.quaxelbrunn@example.org",
            "phones": [{"kind": "mobile", "number": "0151 87654321"}],
            "note": "Allergie gegen Penicillin"}, headers=auth)
        self.assertEqual(status, 201, patient)
        return secrets, patient, auth

    def demo_records(self, url, auth, patient_id):
        """What staff see of the demo practice: the patient, searches, calendar, settings."""
        out = {}
        for path in ["/api/v1/patients/" + patient_id,
                     "/api/v1/patients?q=Quaxelbrunn",
                     "/api/v1/patients?q=Wagner",
                     "/api/v1/appointments?from=%s&to=%s" % (
                         time.strftime("%Y-%m-%dT00:00:00%%2B00:00",
                                       time.gmtime(time.time() - 10 * 86400)),
                         time.strftime("%Y-%m-%dT00:00:00%%2B00:00",
                                       time.gmtime(time.time() + 20 * 86400))),
                     "/api/v1/practice", "/api/v1/appointment-types",
                     "/api/v1/practitioners"]:
            status, _, body = http_json("GET", url + path, headers=auth)
            self.assertEqual(status, 200, (path, body))
            out[path] = body
        return out

    def pg_dsns(self):
        """The working and the owning role of the pg_server fixture."""
        def state(name, variable):
            value = os.environ.get(variable)
            if value:
                return value
            with open(os.path.join(os.environ["PRAXIS_PG_STATE_DIR"], name)) as f:
                return f.read().strip()
        return state("dsn", "PRAXIS_TEST_PG_DSN"), state("owner_dsn", "PRAXIS_TEST_PG_OWNER_DSN")

    def test_store_migrate_moves_every_record_to_postgres(self):
        r = run("init", "--data", self.data, "--demo", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        token = json.loads(r.stdout)["practice"]["owner"]["enrolment_token"]
        server = Serving(self.data)
        try:
            secrets, patient, auth = self.demo_enrol_and_add_patient(server.url, token)
            before = self.demo_records(server.url, auth, patient["id"])
        finally:
            server.stop()
        dsn, owner_dsn = self.pg_dsns()
        schema = "migrate_%d" % os.getpid()
        subprocess.run(["psql", owner_dsn, "-q", "-c", "CREATE SCHEMA " + schema], check=True)
        working = "%s options='-csearch_path=%s'" % (dsn, schema)
        owning = "%s options='-csearch_path=%s'" % (owner_dsn, schema)
        try:
            # Not while the server runs: it would keep writing to SQLite.
            server = Serving(self.data)
            try:
                busy = run("store", "migrate", "--data", self.data, "--to", working,
                           "--to-owner", owning)
                self.assertEqual(busy.returncode, 1)
                self.assertIn("another praxis process", busy.stderr)
            finally:
                server.stop()
            first = run("store", "migrate", "--data", self.data, "--to", working,
                        "--to-owner", owning, "--json", timeout=300)
            self.assertEqual(first.returncode, 0, first.stdout + first.stderr)
            result = json.loads(first.stdout)
            self.assertTrue(result["ok"])
            tables = {t["table"]: t for t in result["tables"]}
            self.assertEqual(tables["patients"]["source"], 301)
            self.assertEqual(tables["patients"]["target"], 301)
            self.assertEqual(tables["patients"]["copied"], 301)
            self.assertGreater(tables["audit_entries"]["copied"], 0)
            self.assertEqual([a["ok"] for a in result["audit"]], [True])
            # Ciphertext copied as is: no name in PostgreSQL either.
            leaked = subprocess.run(
                ["psql", owner_dsn, "-tA", "-c",
                 "SET praxis.practice = '*'; SELECT count(*) FROM %s.patients WHERE "
                 "encode(record, 'escape') LIKE '%%Quaxelbrunn%%'" % schema],
                capture_output=True, text=True, check=True).stdout.split()[-1]
            self.assertEqual(leaked, "0")
            # Resumable: a second run finds everything there and copies nothing.
            again = run("store", "migrate", "--data", self.data, "--to", working,
                        "--to-owner", owning, "--json", timeout=300)
            self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
            self.assertEqual(sum(t["copied"] for t in json.loads(again.stdout)["tables"]), 0)

            self.write_config('[store]\nbackend = "postgres"\npostgres_dsn = "%s"\n'
                              'postgres_owner_dsn = "%s"\n' % (working, owning))
            server = Serving(self.data)
            try:
                after = self.demo_records(
                    server.url, self.demo_sign_in(server.url, secrets["recovery_codes"][1]),
                    patient["id"])
            finally:
                server.stop()
            self.assertEqual(after, before)
            audit = run("audit", "verify", "--data", self.data)
            self.assertEqual(audit.returncode, 0, audit.stdout + audit.stderr)
            # Copying an installation that already runs on PostgreSQL makes no sense.
            refused = run("store", "migrate", "--data", self.data, "--to", working,
                          "--to-owner", owning)
            self.assertEqual(refused.returncode, 1)
            self.assertIn("already uses", refused.stderr)
        finally:
            subprocess.run(["psql", owner_dsn, "-q", "-c", "DROP SCHEMA %s CASCADE" % schema])

    def test_restore_drill_brings_back_every_record_through_the_api(self):
        r = run("init", "--data", self.data, "--demo", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        info = json.loads(r.stdout)
        token = info["practice"]["owner"]["enrolment_token"]
        # The recovery key is shown once; the sheet lies beside the data directory.
        self.assertRegex(info["recovery_key"], r"^([A-Z2-7]{4}-){13}[A-Z2-7]{4}$")
        self.assertEqual(info["recovery_sheet"], self.data + "-recovery-sheet.svg")
        self.assertEqual(stat.S_IMODE(os.stat(info["recovery_sheet"]).st_mode), 0o600)
        for name in os.listdir(self.data):
            self.assertNotIn(info["recovery_key"].encode(),
                             read_bytes(os.path.join(self.data, name)), name)
        key_file = os.path.join(self.tmp.name, "key.txt")
        with open(key_file, "w") as f:
            f.write(info["recovery_key"].lower().replace("-", " ") + "\n")
        sign_in = self.demo_sign_in
        records = self.demo_records

        server = Serving(self.data)
        try:
            secrets, patient, auth = self.demo_enrol_and_add_patient(server.url, token)
            before = records(server.url, auth, patient["id"])
            status, _, metrics = http_get(server.url + "/metrics")
            self.assertEqual(status, 200)
            for line in ["praxis_backups_total 0", "praxis_backup_failures_total 0",
                         "praxis_backup_last_success_timestamp_seconds 0"]:
                self.assertIn(line, metrics)
            # An online backup while the server runs.
            made = run("backup", "create", "--data", self.data, "--json")
            self.assertEqual(made.returncode, 0, made.stderr)
            backup_file = json.loads(made.stdout)["file"]
        finally:
            server.stop()

        # Nothing of the patient in the file.
        content = read_bytes(backup_file)
        for needle in [b"Quaxelbrunn", b"Wiltrud", b"wiltrud.quaxelbrunn", b"87654321",
                       b"Penicillin", b"Praxis Dr. Demo", b"inhaber@demo.example"]:
            self.assertNotIn(needle, content)
        verified = run("backup", "verify", backup_file)
        self.assertEqual(verified.returncode, 0, verified.stderr)
        self.assertIn("signature valid", verified.stdout)
        deep = run("backup", "verify", backup_file, "--deep", "--recovery-key", key_file, "--json")
        self.assertEqual(deep.returncode, 0, deep.stderr)
        counts = json.loads(deep.stdout)["counts"]
        self.assertEqual(counts["patients"], 301)
        self.assertEqual(counts["practices"], 1)

        # A flipped bit and a cut file are refused, and nothing is restored from them.
        broken = os.path.join(self.tmp.name, "broken.pxbak")
        damaged = bytearray(content)
        damaged[len(damaged) // 2] ^= 0x10
        with open(broken, "wb") as f:
            f.write(bytes(damaged))
        bad = run("backup", "verify", broken)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("signature does not match", bad.stderr)
        bad = run("backup", "restore", broken, "--recovery-key", key_file,
                  "--data", os.path.join(self.tmp.name, "from-broken"))
        self.assertEqual(bad.returncode, 1)
        self.assertFalse(os.path.exists(os.path.join(self.tmp.name, "from-broken")))
        with open(broken, "wb") as f:
            f.write(content[:len(content) - 100])
        self.assertEqual(run("backup", "verify", broken).returncode, 1)
        wrong_key = os.path.join(self.tmp.name, "wrong.txt")
        other = run("init", "--data", os.path.join(self.tmp.name, "other"), "--json")
        with open(wrong_key, "w") as f:
            f.write(json.loads(other.stdout)["recovery_key"])
        bad = run("backup", "restore", backup_file, "--recovery-key", wrong_key,
                  "--data", os.path.join(self.tmp.name, "wrong"))
        self.assertEqual(bad.returncode, 1)
        self.assertIn("does not belong", bad.stderr)

        # The wiper: the database is gone.
        for suffix in ["", "-wal", "-shm"]:
            path = os.path.join(self.data, "praxis.db" + suffix)
            if os.path.exists(path):
                os.remove(path)
        restored = os.path.join(self.tmp.name, "restored")
        r = run("backup", "restore", backup_file, "--recovery-key", key_file, "--data", restored)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("audit trail verified: 1 practice(s)", r.stdout)
        self.assertNotEqual(read_bytes(os.path.join(restored, "master.key")),
                            read_bytes(os.path.join(self.data, "master.key")))
        again = run("backup", "restore", backup_file, "--recovery-key", key_file, "--data", restored)
        self.assertEqual(again.returncode, 1)
        self.assertIn("not empty", again.stderr)

        server = Serving(restored)
        try:
            auth = sign_in(server.url, secrets["recovery_codes"][1])
            after = records(server.url, auth, patient["id"])
        finally:
            server.stop()
        self.assertEqual(after, before)
        self.assertEqual(after["/api/v1/patients/" + patient["id"]]["family_name"], "Quaxelbrunn")
        audit = run("audit", "verify", "--data", restored)
        self.assertEqual(audit.returncode, 0, audit.stdout + audit.stderr)
        doctor = run("doctor", "--data", restored)
        self.assertEqual(doctor.returncode, 0, doctor.stdout)

    def test_serve_without_data_directory_fails_clearly(self):
        r = run("serve", "--data", os.path.join(self.tmp.name, "nowhere"))
        self.assertEqual(r.returncode, 78)
        self.assertIn("praxis init", r.stderr)


if __name__ == "__main__":
    unittest.main()
