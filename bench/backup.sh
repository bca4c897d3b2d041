#!/usr/bin/env bash
# Backups (issue #9): a database of PATIENTS patients (through PatientService, so with
# encryption and blind indexes, in 20 practices) plus the booking practice of
# bench/booking_load.cpp; then, with praxis serve running (release build):
#
#   before:  public availability (one practitioner, 7 days), 64 connections, SECONDS
#   during:  the same while `praxis backup create` runs back to back for the whole run
#   backup:  duration and MB/s (database bytes per second) of one online backup
#   verify:  praxis backup verify --deep (decrypt, integrity_check, counts)
#   restore: praxis backup restore into a new directory (decrypt, new master key,
#            audit verification of every practice)
#
# Usage: bench/backup.sh [PATIENTS] [SECONDS]   (default 1,000,000 and 10 s)
set -euo pipefail
cd "$(dirname "$0")/.."
patients=${1:-1000000}
duration=${2:-10}
. bench/lib.sh

"$bin/praxis" init --data "$work/data" --recovery-sheet "$work/sheet.svg" --json >"$work/init.json"
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["recovery_key"])' \
  "$work/init.json" >"$work/key.txt"
load_started=$(date +%s)
"$bin/patients_load" "$work/data" "$patients" "$((patients / 10))" 20 >/dev/null
read -r type practitioner from to _booking_type < <("$bin/booking_load" "$work/data" "$work/free.txt")
echo "loaded $patients patients in $(($(date +%s) - load_started)) s"

port=$(free_port)
PRAXIS_BOOKING_PROOF_OF_WORK=false PRAXIS_BOOKING_READS_PER_MINUTE=0 \
  PRAXIS_BACKUP_SCHEDULED=false PRAXIS_LOG_FILE="$work/praxis.log" \
  "$bin/praxis" serve --data "$work/data" --listen "127.0.0.1:$port" >/dev/null &
praxis_pid=$!
url="http://127.0.0.1:$port"
# A large database opens in a while (WAL recovery after the load): wait up to 5 minutes.
for _ in $(seq 3000); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.1; done
wait_up "$url/healthz"
one="$url/api/v1/public/practices/bench/availability?type=$type&from=$from&to=$to&practitioner=$practitioner"

seconds_of() { python3 -c 'import sys,time; print("%.2f" % (time.time() - float(sys.argv[1])))' "$1"; }

# One backup alone: its duration and size.
t0=$(date +%s.%N)
"$bin/praxis" backup create --data "$work/data" --to "$work/b0" --json >"$work/b0.json"
backup_s=$(seconds_of "$t0")
db_bytes=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["database_bytes"])' "$work/b0.json")
file_bytes=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["file_bytes"])' "$work/b0.json")
backup_file=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["file"])' "$work/b0.json")

wrk -t2 -c64 -d2s "$one" >/dev/null  # warm-up
wrk -t2 -c64 -d"${duration}s" --latency "$one" >"$work/before.txt"
# Backups back to back for as long as wrk measures.
(
  i=1
  while [ ! -f "$work/stop" ]; do
    "$bin/praxis" backup create --data "$work/data" --to "$work/b$i" >/dev/null
    i=$((i + 1))
  done
  echo "$((i - 1))" >"$work/backups_during"
) &
loop_pid=$!
sleep 0.5
wrk -t2 -c64 -d"${duration}s" --latency "$one" >"$work/during.txt"
touch "$work/stop"
wait "$loop_pid"
kill "$praxis_pid"; wait "$praxis_pid" 2>/dev/null || true

t0=$(date +%s.%N)
"$bin/praxis" backup verify "$backup_file" --deep --recovery-key "$work/key.txt" >/dev/null
verify_s=$(seconds_of "$t0")
t0=$(date +%s.%N)
"$bin/praxis" backup restore "$backup_file" --recovery-key "$work/key.txt" --data "$work/restored" >"$work/restore.txt"
restore_s=$(seconds_of "$t0")

mb() { python3 -c 'import sys; print("%.1f" % (int(sys.argv[1]) / 1048576))' "$1"; }
rate() { python3 -c 'import sys; print("%.1f" % (int(sys.argv[1]) / 1048576 / float(sys.argv[2])))' "$1" "$2"; }
echo "machine:  $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
echo "database: $(mb "$db_bytes") MiB ($patients patients); backup file $(mb "$file_bytes") MiB"
echo "backup create (server running): ${backup_s} s = $(rate "$db_bytes" "$backup_s") MB/s"
echo "backup verify --deep:           ${verify_s} s = $(rate "$db_bytes" "$verify_s") MB/s"
echo "backup restore (+ audit verify): ${restore_s} s = $(rate "$db_bytes" "$restore_s") MB/s"
grep -E "patients|audit" "$work/restore.txt" | sed 's/^/  /'
printf "availability before: %8.0f req/s  p50 %s  p99 %s\n" \
  "$(awk '/Requests\/sec/ {print $2}' "$work/before.txt")" "$(lat "$work/before.txt" 50%)" "$(lat "$work/before.txt" 99%)"
printf "availability during: %8.0f req/s  p50 %s  p99 %s  (%s backups ran meanwhile)\n" \
  "$(awk '/Requests\/sec/ {print $2}' "$work/during.txt")" "$(lat "$work/during.txt" 50%)" "$(lat "$work/during.txt" 99%)" \
  "$(cat "$work/backups_during")"
