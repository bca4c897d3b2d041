#!/usr/bin/env bash
# Patient search over HTTP (issue #6): praxis serve (release build, default settings) on a
# data directory filled by bench/patients_load.cpp, and wrk with 16 connections sending
# GET /api/v1/patients?q=<surname or 3-4 letter prefix> as an owner of the largest
# practice, for SECONDS.
#
# STORE=postgres runs it on PostgreSQL (bench/lib.sh). SCENARIO=read reads patient
# records instead (GET /api/v1/patients/{id}, 2,000 ids of the largest practice in turn,
# each read decrypted and audited): issue #12's patient-read scenario. PROFILE=FILE records
# perf samples of the server during the measured run.
#
# Usage: bench/patients_search.sh [TOTAL] [BIG] [PRACTICES] [SECONDS]
#   defaults: 300000 patients, 100000 in the largest practice, 20 practices, 15 s.
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:-300000}
big=${2:-100000}
practices=${3:-20}
duration=${4:-15}
. bench/lib.sh

init_data
use_store
scenario=${SCENARIO:-search}
read -r cookie csrf < <("$bin/patients_load" "$work/data" "$total" "$big" "$practices" "$work/ids.txt")
port=$(free_port)
PRAXIS_LOG_FILE="$work/praxis.log" "$bin/praxis" serve --data "$work/data" \
  --listen "127.0.0.1:$port" >/dev/null &
praxis_pid=$!
wait_up "http://127.0.0.1:$port/healthz"

# The request paths, one per line, sent in turn.
if [ "$scenario" = read ]; then
  # Records of the largest practice, one after another.
  sed 's|^|/api/v1/patients/|' "$work/ids.txt" >"$work/paths.txt"
else
  # What the front desk types: surnames and their first 3-4 letters (URL-encoded).
  printf '/api/v1/patients?q=%s\n' \
    "M%C3%BCller" "M%C3%BCll" Schmidt Schm Schneider Schn Fischer Fisc Weber Webe Meyer \
    Meye Wagner Wagn Becker Beck Schulz Schu Hoffmann Hoff "Sch%C3%A4fer" Koch Bauer Baue \
    Richter Rich Klein Klei Wolf Neumann Neum Schwarz Zimmermann Zimm Braun Krause Meier \
    Maier Mayer Huber "K%C3%B6hler" Lehmann Berger Winkler Roth Nguyen Nowak Kowalski \
    Yilmaz >"$work/paths.txt"
fi
cat >"$work/search.lua" <<LUA
local paths = {}
for line in io.lines("$work/paths.txt") do table.insert(paths, line) end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end
LUA
wrk -t1 -c16 -d2s -s "$work/search.lua" -H "Cookie: __Host-praxis=$cookie" \
  "http://127.0.0.1:$port" >/dev/null  # warm-up
profile_start "$duration"
wrk -t2 -c16 -d"${duration}s" --latency -s "$work/search.lua" -H "Cookie: __Host-praxis=$cookie" \
  "http://127.0.0.1:$port" >"$work/search.txt"
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$praxis_pid/status")
errors=$(awk '/Non-2xx/ {print $5}' "$work/search.txt")
echo "machine:  $(machine)"
echo "store:    ${STORE:-sqlite}"
echo "data:     $total patients in $practices practices, $big in the searched one"
printf "%-9s %8.0f req/s  p50 %s  p99 %s  max %s  non-2xx %s  (search: target p99 <= 5 ms)\n" \
  "$scenario:" \
  "$(awk '/Requests\/sec/ {print $2}' "$work/search.txt")" "$(lat "$work/search.txt" 50%)" \
  "$(lat "$work/search.txt" 99%)" "$(awk '/Latency/ && !/Distribution/ {print $4}' "$work/search.txt")" "${errors:-0}"
echo "server RSS after load: $((rss_kb / 1024)) MiB"
record "patient $scenario" "$work/search.txt" "patients=$total" "practice_patients=$big" \
  "rss_mib=$((rss_kb / 1024))"
