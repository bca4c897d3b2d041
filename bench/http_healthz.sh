#!/usr/bin/env bash
# GET /healthz over keep-alive, 64 connections, wrk on this machine, against
#   (a) praxis serve (release build, default configuration, access log on), and
#   (b) bench/hello_beast.cpp, a minimal Beast server with the same thread count,
# in the same run. Prints requests/s, latency, the ratio, and praxis' idle RSS.
#
# Usage: bench/http_healthz.sh [SECONDS]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
. bench/lib.sh
threads=$(nproc)

rps() { awk '/Requests\/sec/ {print $2}' "$1"; }

"$bin/praxis" init --data "$work/data" >/dev/null
praxis_port=$(free_port)
PRAXIS_LOG_FILE="$work/praxis.log" "$bin/praxis" serve --data "$work/data" \
  --listen "127.0.0.1:$praxis_port" >/dev/null &
praxis_pid=$!
hello_port=$(free_port)
"$bin/hello_beast" "$hello_port" "$threads" &
hello_pid=$!
wait_up "http://127.0.0.1:$praxis_port/healthz"
wait_up "http://127.0.0.1:$hello_port/healthz"
sleep 1
idle_rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$praxis_pid/status")

run_wrk() {  # url output
  wrk -t1 -c64 -d2s "$1" >/dev/null  # warm-up
  wrk -t1 -c64 -d"${duration}s" --latency "$1" >"$2"
}
run_wrk "http://127.0.0.1:$hello_port/healthz" "$work/hello.txt"
run_wrk "http://127.0.0.1:$praxis_port/healthz" "$work/praxis.txt"
loaded_rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$praxis_pid/status")

p=$(rps "$work/praxis.txt"); h=$(rps "$work/hello.txt")
echo "machine:       $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
echo "load:          wrk -t1 -c64 -d${duration}s, GET /healthz, keep-alive, 127.0.0.1"
printf "praxis:        %10.0f req/s   p50 %s  p99 %s\n" "$p" "$(lat "$work/praxis.txt" 50%)" "$(lat "$work/praxis.txt" 99%)"
printf "hello_beast:   %10.0f req/s   p50 %s  p99 %s\n" "$h" "$(lat "$work/hello.txt" 50%)" "$(lat "$work/hello.txt" 99%)"
awk -v p="$p" -v h="$h" 'BEGIN { printf "ratio:         %.2f (target >= 0.60; praxis target >= 80000 req/s)\n", p / h }'
echo "praxis RSS:    idle $((idle_rss_kb / 1024)) MiB (target <= 20), after load $((loaded_rss_kb / 1024)) MiB"
grep -c '"event":"request"' "$work/praxis.log" | sed 's/^/access-log lines written: /'
record "healthz, minimal Beast server (ceiling)" "$work/hello.txt"
record "healthz, praxis" "$work/praxis.txt" "rss_mib=$((loaded_rss_kb / 1024))" \
  "idle_rss_mib=$((idle_rss_kb / 1024))"
