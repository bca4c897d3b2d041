# Shared by the HTTP benchmark scripts (sourced from the repository root): a scratch
# directory removed on exit together with the processes started (their pids in
# praxis_pid, hello_pid and other_pids) and a PostgreSQL of use_store, and helpers for
# ports, start-up and wrk's latency lines.
# BENCH_BIN=DIR runs the binaries of another build (A/B of two commits in one hour).
bin=${BENCH_BIN:-build/release/bin}
work=$(mktemp -d)
praxis_pid=""
hello_pid=""
other_pids=""
cleanup() {
  kill $praxis_pid $hello_pid $other_pids 2>/dev/null || true
  # A server still closing writes into its data directory: remove it once it is gone.
  wait $praxis_pid $hello_pid $other_pids 2>/dev/null || true
  [ -d "$work/pg" ] && tests/support/pg_server.sh stop "$work/pg" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 200); do curl -sf "$1" >/dev/null && return 0; sleep 0.05; done; echo "server did not start" >&2; exit 1; }
# The latency at percentile $2 ("50%", "99%") from wrk --latency output in file $1.
lat() { awk -v p="$2" '$1 == p {print $2}' "$1"; }

# BENCH_JSON=FILE: each scenario appends its figures as one JSON line (bench/record.py);
# bench/run.sh collects them and bench/report.py adds the ratios to the ceilings.
record() {  # SCENARIO WRK_OUTPUT|- [key=value ...]
  [ -n "${BENCH_JSON:-}" ] || return 0
  /usr/bin/python3 bench/record.py "$BENCH_JSON" "$1" "$2" "store=${STORE:-sqlite}" \
    "machine=$(machine)" "${@:3}"
}

# STORE=postgres (issue #13): the scenario runs against a throw-away durable PostgreSQL 15
# on 127.0.0.1 (tests/support/pg_server.sh: fsync and synchronous_commit on), praxis
# working as the role bound by row-level security with 64 pooled connections. Call
# after `praxis init`; the store settings travel as environment variables.
# The scenario's data directory, $work/data: a new installation (`praxis init`), or with
# BENCH_DATA=DIR a copy of that one (make bench-full: the 3.1 million patients of
# `praxis-bench gen`), to which the scenario's loaders then add their own practices. A
# copy, so every scenario starts from the same database. SQLite only.
init_data() {
  if [ -n "${BENCH_DATA:-}" ]; then
    if [ "${STORE:-sqlite}" != sqlite ]; then echo "BENCH_DATA is for SQLite" >&2; exit 2; fi
    cp -a "$BENCH_DATA" "$work/data"
    # The copy's gigabytes of dirty pages would otherwise be written back during the
    # measured run, slowing every fsync of the scenario: written before it starts.
    sync -f "$work/data/praxis.db"
  else
    "$bin/praxis" init --data "$work/data" >/dev/null
  fi
}
use_store() {
  [ "${STORE:-sqlite}" = postgres ] || return 0
  if statements_wanted; then
    PG_EXTRA_OPTS="${PG_EXTRA_OPTS:-} -c shared_preload_libraries=pg_stat_statements"
    export PG_EXTRA_OPTS
  fi
  PG_DURABLE=1 tests/support/pg_server.sh start "$work/pg"
  psql "$(cat "$work/pg/owner_dsn")" -q -c "CREATE SCHEMA bench"
  export PRAXIS_STORE_BACKEND=postgres
  PRAXIS_STORE_POSTGRES_DSN="$(cat "$work/pg/dsn") options='-csearch_path=bench,public'"
  PRAXIS_STORE_POSTGRES_OWNER_DSN="$(cat "$work/pg/owner_dsn") options='-csearch_path=bench,public'"
  export PRAXIS_STORE_POSTGRES_DSN PRAXIS_STORE_POSTGRES_OWNER_DSN
  export PRAXIS_STORE_POSTGRES_CONNECTIONS=${PG_CONNECTIONS:-64}
}
# PG_STATEMENTS=1 with STORE=postgres: pg_stat_statements over the measured run only.
# statements_reset before it, statements_report FILE after it (the top 15 by time).
statements_wanted() { [ "${STORE:-sqlite}" = postgres ] && [ "${PG_STATEMENTS:-0}" = 1 ]; }
statements_reset() {
  statements_wanted || return 0
  psql "$(cat "$work/pg/admin_dsn")" -q -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" \
    -c "SELECT pg_stat_statements_reset()" >/dev/null
}
statements_report() {
  statements_wanted || return 0
  psql "$(cat "$work/pg/admin_dsn")" -q \
    -c "SELECT calls, round(total_exec_time::numeric, 1) AS ms, round(mean_exec_time::numeric, 3) AS mean,
        left(regexp_replace(query, '\s+', ' ', 'g'), 110) FROM pg_stat_statements
        ORDER BY total_exec_time DESC LIMIT 15" >"$1" 2>&1 || true
}
# SQL as the owning role over every practice (STORE=postgres only).
pg_sql() { psql "$(cat "$work/pg/owner_dsn")" -tA -F' ' -c "SET praxis.practice = '*'; SET search_path = bench; $1" | tail -1; }
# The first row of a query (fields separated by spaces) on the scenario's store, SQLite
# or PostgreSQL, after the server stopped.
store_sql() {
  if [ "${STORE:-sqlite}" = postgres ]; then
    pg_sql "$1"
  else
    /usr/bin/python3 -c 'import sqlite3, sys; print(*sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone())' \
      "$work/data/praxis.db" "$1"
  fi
}
# Active appointments that begin before an earlier one of the same practitioner ends (0 when
# none overlap): one sort per practitioner instead of comparing every pair, which took
# longer than the 10-minute soak itself once it had booked 290,000 appointments.
OVERLAPS_SQL="SELECT COUNT(*) FROM (SELECT block_start, MAX(block_end) OVER (
  PARTITION BY practice_id, practitioner_id ORDER BY block_start, id
  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_end
  FROM appointments WHERE active = 1) o WHERE block_start < earlier_end"
# PROFILE=FILE: perf samples with call graphs of the server (praxis_pid) for SECONDS;
# PROFILE_CALLGRAPH=dwarf unwinds through code built without frame pointers.
profile_start() {  # SECONDS
  if [ -n "${PROFILE:-}" ]; then
    perf record -q -F 499 --call-graph "${PROFILE_CALLGRAPH:-fp}" -p "$praxis_pid" \
      -o "$PROFILE" -- sleep "$1" 2>/dev/null &
    other_pids="$other_pids $!"
  fi
}
machine() { echo "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"; }
