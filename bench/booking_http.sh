#!/usr/bin/env bash
# Public booking over HTTP (issue #7): praxis serve (release build) on the practice that
# bench/booking_load.cpp sets up, proof-of-work and per-address limits off (the load
# comes from one address), SQLite with FULL durability (the default).
#
#   availability: GET …/availability for one type and one practitioner over 7 days with
#                 100 appointments (~140 free starts, ~15 KB), 64 connections;
#                 then the same for "any of 5 practitioners".
#   bookings:     POST …/bookings, each a different free start and a new patient, 64
#                 connections; afterwards the database is checked for overlaps.
#
#   BOOKING_MAIL=address: bookers give an e-mail address, no mail is configured;
#   BOOKING_MAIL=queue: the same with mail configured to a relay that never answers (the
#                 sender is stuck on its first message), so the difference to "address"
#                 is what queueing in the booking transaction costs;
#   BOOKING_MAIL=1: bookers give an e-mail address and the server sends through a local
#                 SMTP server (tests/support/smtp_sink.py): each booking queues a
#                 confirmation and a reminder in its transaction; after the run the
#                 sender's throughput is measured while it drains the outbox.
#
#   STORE=postgres: the same on PostgreSQL 15 (issue #13; bench/lib.sh use_store).
#   PROFILE=FILE: perf samples (call graphs) of the server during the booking run.
#
# Usage: bench/booking_http.sh [SECONDS]   (default 10 s per availability run, 4 s bookings)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
. bench/lib.sh

report() {  # name file target
  printf "%-22s %8.0f req/s  p50 %s  p99 %s  max %s  non-2xx %s  (%s)\n" "$1" \
    "$(awk '/Requests\/sec/ {print $2}' "$2")" "$(lat "$2" 50%)" "$(lat "$2" 99%)" \
    "$(awk '/Latency/ && !/Distribution/ {print $4}' "$2")" \
    "$(awk '/Non-2xx/ {print $5}' "$2" | grep . || echo 0)" "$3"
}

init_data
use_store
read -r type practitioner from to booking_type < <("$bin/booking_load" "$work/data" "$work/free.txt")
port=$(free_port)
mail_env=()
email_field=""
email_arg=""
if [ "${BOOKING_MAIL:-0}" = address ]; then
  # Bookers give an e-mail address, but no mail is configured: the baseline for "queue".
  email_field='"email":"p%d@bench.example",'
  email_arg=", n * 10 + id"
elif [ "${BOOKING_MAIL:-0}" = queue ]; then
  # Messages are queued in the booking transactions, but the relay refuses connections:
  # the sender tries each once and backs off, so this measures what queueing costs.
  mail_env=(PRAXIS_MAIL_URL="smtp://127.0.0.1:${QUEUE_PORT:-$(free_port)}" PRAXIS_MAIL_FROM=termine@bench.example)
  email_field='"email":"p%d@bench.example",'
  email_arg=", n * 10 + id"
elif [ "${BOOKING_MAIL:-0}" = 1 ]; then
  /usr/bin/python3 tests/support/smtp_sink.py --dir "$work/mail" >"$work/sink.txt" &
  sink_pid=$!
  other_pids=$sink_pid
  for _ in $(seq 100); do grep -q port "$work/sink.txt" 2>/dev/null && break; sleep 0.05; done
  mail_env=(PRAXIS_MAIL_URL="smtp://127.0.0.1:$(awk '/port/ {print $2}' "$work/sink.txt")"
            PRAXIS_MAIL_FROM=termine@bench.example)
  email_field='"email":"p%d@bench.example",'
  email_arg=", n * 10 + id"
fi
# The load comes from one address, without a browser: proof-of-work and the
# per-address limits are off for this run only.
env "${mail_env[@]}" PRAXIS_BOOKING_PROOF_OF_WORK=false PRAXIS_BOOKING_READS_PER_MINUTE=0 \
  PRAXIS_BOOKING_WRITES_PER_HOUR=0 PRAXIS_LOG_FILE="$work/praxis.log" "$bin/praxis" serve --data "$work/data" \
  --listen "127.0.0.1:$port" >/dev/null &
praxis_pid=$!
url="http://127.0.0.1:$port"
wait_up "$url/healthz"

one="$url/api/v1/public/practices/bench/availability?type=$type&from=$from&to=$to&practitioner=$practitioner"
any="$url/api/v1/public/practices/bench/availability?type=$type&from=$from&to=$to"
bytes=$(curl -s "$one" | wc -c)
slots=$(curl -s "$one" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["slots"]))')
wrk -t2 -c64 -d2s "$one" >/dev/null  # warm-up
statements_reset
wrk -t2 -c64 -d"${duration}s" --latency "$one" >"$work/one.txt"
wrk -t2 -c64 -d"${duration}s" --latency "$any" >"$work/any.txt"

cat >"$work/book.lua" <<LUA
-- Each thread books its own share of the free starts, each for a new patient.
local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  thread:set("count", 0)
  table.insert(threads, thread)
end
function init(args)
  starts = {}
  local i = 0
  for line in io.lines("$work/free.txt") do
    if i % 2 == (id - 1) then table.insert(starts, line) end
    i = i + 1
  end
  n = 0
  created = 0
end
function request()
  n = n + 1
  local line = starts[((n - 1) % #starts) + 1]
  local p, start = line:match("(%S+) (%S+)")
  local body = string.format('{"appointment_type":"$booking_type","practitioner":"%s","start":"%s",' ..
    '"patient":{"family_name":"Last%d","given_names":"Paula","birth_date":"%04d-%02d-%02d",' ..
    '"phone":"0151 %08d",$email_field"insurance_kind":"GKV","new_patient":true},"reminder_consent":true}',
    p, start, n * 10 + id, 1930 + n % 90, 1 + n % 12, 1 + (n * 7 + id) % 28, n * 10 + id$email_arg)
  return wrk.format("POST", "/api/v1/public/practices/bench/bookings",
                    {["Content-Type"] = "application/json"}, body)
end
function response(status, headers, body)
  if status == 201 then created = created + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("created") end
  io.write(string.format("created %d\n", total))
end
LUA
metric() { curl -s "$url/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
jobs_before=$(metric praxis_store_write_jobs_total)
commits_before=$(metric praxis_store_commits_total)
profile_start "${BOOK_SECONDS:-4}"  # PROFILE=FILE: perf samples of the booking run
wrk -t2 -c64 -d"${BOOK_SECONDS:-4}s" --latency -s "$work/book.lua" "$url" >"$work/book.txt"
per_commit=$(awk -v j="$(metric praxis_store_write_jobs_total)" -v jb="$jobs_before" \
  -v c="$(metric praxis_store_commits_total)" -v cb="$commits_before" \
  'BEGIN { if (c - cb > 0) printf "%.1f", (j - jb) / (c - cb); else printf "n/a" }')
created=$(awk '/^created/ {print $2}' "$work/book.txt")
if [ "${BOOKING_MAIL:-0}" = 1 ]; then
  # The sender drains what the bookings queued (confirmations now, reminders later).
  sent_before=$(metric praxis_notifications_sent_total)
  t0=$(date +%s.%N)
  for _ in $(seq 6000); do
    due=$(python3 - "$work/data/praxis.db" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT COUNT(*) FROM outbox WHERE state IN ('pending','sending') "
                 "AND next_attempt_at <= ?", (int(time.time()),)).fetchone()[0])
PY
)
    [ "$due" = 0 ] && break
    sleep 0.1
  done
  t1=$(date +%s.%N)
  sent=$(( $(metric praxis_notifications_sent_total) - sent_before ))
  mails=$(find "$work/mail" -name '*.eml' | wc -l)
fi
statements_report "$work/statements.txt"
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$praxis_pid/status")
kill "$praxis_pid"; wait "$praxis_pid" 2>/dev/null || true
overlaps=$(store_sql "SELECT ($OVERLAPS_SQL), (SELECT COUNT(*) FROM online_bookings)")
echo "store:    ${STORE:-sqlite}"
echo "machine:  $(machine)"
echo "availability answer: $slots free starts, $bytes bytes"
report "availability (one)" "$work/one.txt" "target >= 10000 req/s, p99 <= 10 ms"
report "availability (any of 5)" "$work/any.txt" "reported"
report "bookings" "$work/book.txt" "each a free start: 201"
printf "durable bookings: %s in %s s = %.0f/s (target >= 2000/s); overlaps, stored online bookings: %s\n" \
  "$created" "${BOOK_SECONDS:-4}" "$(awk -v c="$created" -v s="${BOOK_SECONDS:-4}" 'BEGIN {print c / s}')" "$overlaps"
echo "write jobs per group commit during the booking run: $per_commit"
echo "server RSS after load: $((rss_kb / 1024)) MiB"
[ -f "$work/statements.txt" ] && cat "$work/statements.txt"
record "availability, one practitioner, 7 days" "$work/one.txt" "rss_mib=$((rss_kb / 1024))"
record "availability, any of 5 practitioners" "$work/any.txt"
record "bookings" "$work/book.txt" \
  "durable_per_s=$(awk -v c="$created" -v s="${BOOK_SECONDS:-4}" 'BEGIN {print c / s}')" \
  "overlaps=${overlaps%% *}"
if [ "${BOOKING_MAIL:-0}" = 1 ]; then
  printf "sender: %s messages after the run in %.1f s = %.0f messages/s to a local aiosmtpd (%s .eml files in all)\n" \
    "$sent" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" \
    "$(awk -v n="$sent" -v a="$t0" -v b="$t1" 'BEGIN {print n / (b - a)}')" "$mails"
fi
