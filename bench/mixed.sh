#!/usr/bin/env bash
# The mixed workload of issue #12 over HTTP: 70 % public availability, 10 % online
# bookings (each a new patient, proof-of-work and per-address limits off), 15 % staff
# patient search, 5 % patient reads, from one wrk run with 64 keep-alive connections
# (CONNECTIONS=N for another number) on 127.0.0.1. wrk keeps every connection busy
# (closed loop), so the latency grows with the connections: 64 show what the two cores
# can do at most, 16 (bench/run.sh runs both; the clients of issue #6's search target)
# the latency at a load of more than 5,000 requests/s. praxis serve (release build, default settings, access log on) runs on a data
# directory that bench/patients_load.cpp (TOTAL patients over PRACTICES practices, BIG in
# the searched one, an owner session) and bench/booking_load.cpp (the booking practice:
# five practitioners, plans, 100 appointments each in the measured week) filled.
# STORE=postgres runs the same on PostgreSQL (bench/lib.sh).
#
# Reports requests/s, p50/p99/max latency, non-2xx answers, server RSS and open file
# descriptors before and after, and the overlaps found afterwards. Each wrk thread books
# from its own half of the booking practitioners' free starts (about 560,000, see
# bench/booking_load.cpp; the measured run from the 10,000th on), so even the 10-minute
# soak books free times; a 409 would mean a start was taken twice.
#
# PROFILE=FILE records perf samples (call graphs) of the server during the measured run;
# PG_STATEMENTS=1 (with STORE=postgres) lists the statements that took the most time.
# SAMPLE=SECONDS samples RSS and open fds during the run and compares the last quarter
# with the second (the 10-minute soak of issue #12: `SAMPLE=30 bench/mixed.sh 600`).
#
# Usage: bench/mixed.sh [SECONDS] [TOTAL] [BIG] [PRACTICES]
#   defaults: 20 s, 100,000 patients, 30,000 in the searched practice, 20 practices.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-20}
connections=${CONNECTIONS:-64}
total=${2:-100000}
big=${3:-30000}
practices=${4:-20}
. bench/lib.sh

init_data
use_store
read -r cookie _csrf < <("$bin/patients_load" "$work/data" "$total" "$big" "$practices" "$work/ids.txt")
read -r type practitioner from to booking_type < <("$bin/booking_load" "$work/data" "$work/free.txt")
port=$(free_port)
PRAXIS_BOOKING_PROOF_OF_WORK=false PRAXIS_BOOKING_READS_PER_MINUTE=0 \
  PRAXIS_BOOKING_WRITES_PER_HOUR=0 PRAXIS_LOG_FILE="$work/praxis.log" "$bin/praxis" serve \
  --data "$work/data" --listen "127.0.0.1:$port" >/dev/null &
praxis_pid=$!
url="http://127.0.0.1:$port"
wait_up "$url/healthz"

cat >"$work/mixed.lua" <<LUA
-- One request in 20: 14 availability, 2 bookings, 3 searches, 1 patient read.
local counter = 0
local threads = {}
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end
-- 409 is the answer for a start that was taken already (the warm-up books from the
-- list's start, the measured run from its 10,000th entry on); anything else that is not
-- 2xx is an error.
taken = 0
errors = 0
function response(status, headers, body)
  if status == 409 then
    taken = taken + 1
  elseif status >= 300 then
    errors = errors + 1
  end
end
function done(summary, latency, requests)
  local t, e = 0, 0
  for _, thread in ipairs(threads) do
    t = t + thread:get("taken")
    e = e + thread:get("errors")
  end
  io.write(string.format("answers: taken %d errors %d\n", t, e))
end
function init(args)
  starts = {}
  local i = 0
  for line in io.lines("$work/free.txt") do
    if i % 2 == (id - 1) then table.insert(starts, line) end
    i = i + 1
  end
  ids = {}
  for line in io.lines("$work/ids.txt") do table.insert(ids, line) end
  queries = {"M%C3%BCller", "Schm", "Schneider", "Fisc", "Weber", "Meyer", "Wagn", "Becker",
             "Schu", "Hoffmann", "Koch", "Bauer", "Rich", "Klein", "Wolf", "Neum", "Braun",
             "Meier", "Huber", "K%C3%B6hler", "Lehmann", "Roth", "Nowak", "Yilmaz"}
  n = 0
  -- The warm-up books from the start of the list, the measured run after it (args[1]).
  booked = tonumber(args[1] or "0")
end
local staff = {["Cookie"] = "__Host-praxis=$cookie"}
local availability = "/api/v1/public/practices/bench/availability?type=$type&from=$from&to=$to&practitioner=$practitioner"
function request()
  n = n + 1
  local slot = n % 20
  if slot < 14 then
    return wrk.format("GET", availability)
  elseif slot < 16 then
    booked = booked + 1
    local line = starts[((booked - 1) % #starts) + 1]
    local p, start = line:match("(%S+) (%S+)")
    local body = string.format('{"appointment_type":"$booking_type","practitioner":"%s","start":"%s",' ..
      '"patient":{"family_name":"Mix%d","given_names":"Paula","birth_date":"%04d-%02d-%02d",' ..
      '"phone":"0151 %08d","insurance_kind":"GKV","new_patient":true},"reminder_consent":false}',
      p, start, booked * 10 + id, 1930 + booked % 90, 1 + booked % 12, 1 + (booked * 7 + id) % 28,
      booked * 10 + id)
    return wrk.format("POST", "/api/v1/public/practices/bench/bookings",
                      {["Content-Type"] = "application/json"}, body)
  elseif slot < 19 then
    return wrk.format("GET", "/api/v1/patients?q=" .. queries[(n % #queries) + 1], staff)
  else
    return wrk.format("GET", "/api/v1/patients/" .. ids[(n % #ids) + 1], staff)
  end
end
LUA
fds() { find "/proc/$praxis_pid/fd" -mindepth 1 -maxdepth 1 | wc -l; }
rss() { awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$praxis_pid/status"; }
wrk -t2 -c"$connections" -d2s -s "$work/mixed.lua" "$url" -- 0 >/dev/null  # warm-up
rss_before=$(rss)
fds_before=$(fds)
profile_start "$duration"
statements_reset
if [ -n "${SAMPLE:-}" ]; then  # SAMPLE=SECONDS: RSS and open fds every SAMPLE s (the soak)
  ( while kill -0 "$praxis_pid" 2>/dev/null; do
      echo "$(date +%s) $(rss) $(fds)" >>"$work/samples.txt"
      sleep "$SAMPLE"
    done ) &
  other_pids="$other_pids $!"
fi
wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$work/mixed.lua" "$url" -- 10000 >"$work/mixed.txt"
statements_report "$work/statements.txt"
curl -s "$url/metrics" >"$work/metrics.txt" || true
rss_after=$(rss)
fds_after=$(fds)
kill "$praxis_pid"
wait "$praxis_pid" 2>/dev/null || true
overlaps=$(store_sql "$OVERLAPS_SQL")
echo "store:    ${STORE:-sqlite}"
echo "machine:  $(machine)"
echo "data:     $total patients in $practices practices ($big searched), the booking practice; $connections connections"
taken=$(awk '/^answers:/ {print $3}' "$work/mixed.txt")
errors=$(awk '/^answers:/ {print $5}' "$work/mixed.txt")
printf "mixed:    %8.0f req/s  p50 %s  p99 %s  max %s  errors %s, 409 for taken starts %s  (target >= 5000 req/s, p99 <= 20 ms)\n" \
  "$(awk '/Requests\/sec/ {print $2}' "$work/mixed.txt")" "$(lat "$work/mixed.txt" 50%)" \
  "$(lat "$work/mixed.txt" 99%)" "$(awk '/Latency/ && !/Distribution/ {print $4}' "$work/mixed.txt")" \
  "${errors:-?}" "${taken:-?}"
echo "server RSS: $rss_before MiB after warm-up, $rss_after MiB after the run; open fds $fds_before -> $fds_after"
echo "overlapping appointments afterwards: $overlaps"
# A new installation catches up on its first scheduled backup five minutes after start
# (src/app/backup_scheduler.cpp): long runs include it, as a practice's server would.
backups=$(grep -c '"backup_written"' "$work/praxis.log" || true)
echo "scheduled backups written during the run: $backups"
# Where the time goes: the server's own latency histogram per route (from a complete
# request header to the response written; queueing for a worker thread included, the
# connection's wait for the server to read the request not).
awk '/^praxis_http_request_duration_seconds_bucket/ {
       match($0, /route="[^"]*"/); r = substr($0, RSTART + 7, RLENGTH - 8)
       match($0, /method="[^"]*"/); m = substr($0, RSTART + 8, RLENGTH - 9)
       match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5)
       k = m " " r; n[k] += 0; les[k, ++nb[k]] = le; cum[k, nb[k]] = $NF }
     /^praxis_http_request_duration_seconds_sum/ {
       match($0, /route="[^"]*"/); r = substr($0, RSTART + 7, RLENGTH - 8)
       match($0, /method="[^"]*"/); m = substr($0, RSTART + 8, RLENGTH - 9)
       sum[m " " r] = $NF }
     END { for (k in nb) { total = cum[k, nb[k]]; if (total < 100) continue
             p99 = "?"; for (i = 1; i <= nb[k]; i++) if (cum[k, i] >= 0.99 * total) { p99 = les[k, i]; break }
             printf "route:    %-52s %8d requests  mean %6.2f ms  p99 <= %s s\n", k, total, 1000 * sum[k] / total, p99 } }' \
  "$work/metrics.txt" 2>/dev/null | sort -k3 -nr || true
if [ -f "$work/statements.txt" ]; then cat "$work/statements.txt"; fi
if [ -f "$work/samples.txt" ]; then
  # Growth after warm-up: the last quarter of the samples against the second quarter.
  awk '{ t[NR] = $1; r[NR] = $2; f[NR] = $3 }
       END { q = int(NR / 4); if (q < 1) q = 1
             for (i = q + 1; i <= 2 * q; i++) { r2 += r[i]; f2 += f[i] }
             for (i = NR - q + 1; i <= NR; i++) { r4 += r[i]; f4 += f[i] }
             max = 0; for (i = 1; i <= NR; i++) if (r[i] > max) max = r[i]
             printf "soak:     %d samples over %d s; RSS %.0f MiB in the second quarter, %.0f MiB in the last, max %d MiB; open fds %.0f -> %.0f\n",
                    NR, t[NR] - t[1], r2 / q, r4 / q, max, f2 / q, f4 / q
             printf "RSS MiB:  "; for (i = 1; i <= NR; i++) printf "%d ", r[i]; printf "\n" }' "$work/samples.txt"
fi
record "mixed (70/10/15/5), $connections connections" "$work/mixed.txt" "patients=$total" "connections=$connections" "rss_mib=$rss_after" \
  "errors=${errors:-0}" "taken_409=${taken:-0}" \
  "rss_before_mib=$rss_before" "fds_before=$fds_before" "fds_after=$fds_after" "overlaps=$overlaps"
