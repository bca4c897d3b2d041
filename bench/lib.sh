# Shared by the HTTP benchmark scripts (sourced from the repository root): a scratch
# directory removed on exit together with the servers started (their pids in
# praxis_pid and hello_pid), and helpers for ports, start-up and wrk's latency lines.
bin=build/release/bin
work=$(mktemp -d)
praxis_pid=""
hello_pid=""
trap 'kill $praxis_pid $hello_pid 2>/dev/null || true; rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 200); do curl -sf "$1" >/dev/null && return 0; sleep 0.05; done; echo "server did not start" >&2; exit 1; }
# The latency at percentile $2 ("50%", "99%") from wrk --latency output in file $1.
lat() { awk -v p="$2" '$1 == p {print $2}' "$1"; }

# STORE=postgres (issue #13): the scenario runs against a throw-away durable PostgreSQL 15
# on 127.0.0.1 (tests/support/pg_server.sh: fsync and synchronous_commit on), praxis
# working as the role bound by row-level security with 64 pooled connections. Call
# after `praxis init`; the store settings travel as environment variables.
use_store() {
  [ "${STORE:-sqlite}" = postgres ] || return 0
  PG_DURABLE=1 tests/support/pg_server.sh start "$work/pg"
  trap 'kill $praxis_pid $hello_pid 2>/dev/null || true; tests/support/pg_server.sh stop "$work/pg" >/dev/null 2>&1; rm -rf "$work"' EXIT
  psql "$(cat "$work/pg/owner_dsn")" -q -c "CREATE SCHEMA bench"
  export PRAXIS_STORE_BACKEND=postgres
  PRAXIS_STORE_POSTGRES_DSN="$(cat "$work/pg/dsn") options='-csearch_path=bench,public'"
  PRAXIS_STORE_POSTGRES_OWNER_DSN="$(cat "$work/pg/owner_dsn") options='-csearch_path=bench,public'"
  export PRAXIS_STORE_POSTGRES_DSN PRAXIS_STORE_POSTGRES_OWNER_DSN
  export PRAXIS_STORE_POSTGRES_CONNECTIONS=${PG_CONNECTIONS:-64}
}
# SQL as the owning role over every practice (STORE=postgres only).
pg_sql() { psql "$(cat "$work/pg/owner_dsn")" -tA -F' ' -c "SET praxis.practice = '*'; SET search_path = bench; $1" | tail -1; }
