#!/usr/bin/env bash
# Runs every benchmark (make bench; make bench-full runs it with BENCH_DATA, bench/full.sh). Each prints its figures; copy them into docs/benchmarks.md
# together with the command and the machine. The HTTP scenarios and the ceilings also
# go to build/bench/results.json (bench/report.py), with each scenario's ratio to its
# ceiling measured in this same run; the table is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/bench
export BENCH_JSON=build/bench/results.jsonl
rm -f "$BENCH_JSON"
. bench/lib.sh  # record()
echo "== HTTP: /healthz against a minimal Beast server =="
bench/http_healthz.sh "${BENCH_SECONDS:-10}"
echo "== Crypto: field cipher, blind index, key cache, Argon2id =="
bench/crypto.sh | tee "$work/crypto.txt"
record "Argon2id verify, one at a time (ceiling)" - \
  "checks_per_s=$(awk '/^Argon2id verify/ {printf "%.1f", 1000 / $(NF-1)}' "$work/crypto.txt")"
echo "== Store: group commit versus one commit per write (FULL durability) =="
build/release/bin/store_bench build/bench-store "${BENCH_SECONDS:-5}" | tee "$work/store.txt"
record "raw SQLite, one INSERT per COMMIT (ceiling)" - \
  "writes_per_s=$(awk '/^raw SQLite/ {print $(NF-1)}' "$work/store.txt")"
echo "== Sign-in flood: /healthz and /api/v1/auth/me under 200 wrong logins/s =="
bench/login_flood.sh "${BENCH_SECONDS:-10}"
echo "== Sign-in: successful logins (password and a single-use second factor) =="
bench/login.sh "${BENCH_SECONDS:-10}"
echo "== Patients: import and search against a plaintext variant (in-process) =="
build/release/bin/patients_bench build/bench-patients 300000 100000 20 "${BENCH_SECONDS:-10}" |
  tee "$work/patients.txt"
record "patient search, encrypted in-process" - \
  "p50_ms=$(awk '/^search:/ {print $(NF-4)}' "$work/patients.txt")" \
  "p99_ms=$(awk '/^search:/ {print $(NF-1)}' "$work/patients.txt")"
record "patient search, plaintext variant in-process (ceiling)" - \
  "p50_ms=$(awk '/plaintext/ && !/^ratio/ {print $(NF-4)}' "$work/patients.txt")" \
  "p99_ms=$(awk '/plaintext/ && !/^ratio/ {print $(NF-1)}' "$work/patients.txt")"
echo "== Patients: search over HTTP, 16 connections =="
bench/patients_search.sh 300000 100000 20 "${BENCH_SECONDS:-15}"
echo "== Patients: record reads over HTTP (decrypted and audited), 16 connections =="
SCENARIO=read bench/patients_search.sh 100000 30000 20 "${BENCH_SECONDS:-10}"
echo "== Audit: overhead per patient read, list entries, verify speed (1,000,000 entries) =="
build/release/bin/audit_bench build/bench-audit 1000000 "${BENCH_SECONDS:-5}" 4
echo "== Scheduling: slot engine alone (7 days, 100 appointments) =="
build/release/bin/slots_bench --benchmark_min_time=1
echo "== Public booking over HTTP: availability (64 connections) and bookings =="
bench/booking_http.sh "${BENCH_SECONDS:-10}"
echo "== Backups: create, verify, restore; availability p99 before and during backups =="
bench/backup.sh "${BACKUP_PATIENTS:-100000}" "${BENCH_SECONDS:-10}"
echo "== Booking page: JavaScript size and time to interactive in Chromium (20 loads) =="
node bench/booking_page.mjs build/release/bin/praxis 20
echo "== Mixed workload (70 % availability, 10 % bookings, 15 % search, 5 % reads), 64 connections =="
bench/mixed.sh "${BENCH_SECONDS:-20}" 100000 30000 20
echo "== The same mix from 16 connections: its latency at more than 5,000 requests/s =="
CONNECTIONS=16 bench/mixed.sh "${BENCH_SECONDS:-20}" 100000 30000 20
echo "== The same HTTP scenarios on PostgreSQL (issue #13) =="
# (at the standard size: BENCH_DATA, the 3.1-million database, is SQLite's)
BENCH_DATA="" STORE=postgres PG_CONNECTIONS=8 bench/mixed.sh "${BENCH_SECONDS:-20}" 100000 30000 20
BENCH_DATA="" STORE=postgres PG_CONNECTIONS=8 bench/booking_http.sh "${BENCH_SECONDS:-10}"
# Search side by side at a size PostgreSQL loads in a minute (its import is slower).
BENCH_DATA="" bench/patients_search.sh 20000 10000 5 "${BENCH_SECONDS:-10}"
BENCH_DATA="" STORE=postgres bench/patients_search.sh 20000 10000 5 "${BENCH_SECONDS:-10}"
echo "== Results with their ratios to the ceilings (build/bench/results.json) =="
/usr/bin/python3 bench/report.py "$BENCH_JSON" build/bench/results.json
