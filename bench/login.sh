#!/usr/bin/env bash
# Successful sign-ins (issue #12's login scenario): staff accounts (reception, enrolled
# with password and TOTP through the API by bench/login_accounts.py) sign in with
# password and a recovery code (single-use, so every sign-in is a real one: Argon2id
# check, second factor used up, session written, audit entry). The server checks
# max(1, cores / 2) passwords at once and answers 429 with Retry-After to more (the
# flood guard of issue #5), so wrk opens as many connections as there are check slots:
# that is the throughput of successful sign-ins this machine gives. Argon2id at the
# default cost (64 MiB, t = 2) sets it, by design.
#
# Usage: bench/login.sh [SECONDS]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
. bench/lib.sh

"$bin/praxis" init --data "$work/data" --json --practice-name "Bench" --practice-slug bench \
  --practice-state BE --owner-email owner@bench.example >"$work/init.json"
port=$(free_port)
url="http://127.0.0.1:$port"
PRAXIS_LOG_FILE="$work/praxis.log" "$bin/praxis" serve --data "$work/data" \
  --listen "127.0.0.1:$port" >/dev/null &
praxis_pid=$!
wait_up "$url/healthz"

password="Morgens erst einmal Kaffee"
slots=$(($(nproc) / 2))
[ "$slots" -ge 1 ] || slots=1
# Ten sign-ins per account; at most 25 sign-ins per second and check slot (~55 ms each).
accounts=$(((duration + 3) * 25 * slots / 10 + 1))
/usr/bin/python3 bench/login_accounts.py "$url" "$work/init.json" "$accounts" "$password" \
  >"$work/codes.txt"

cat >"$work/login.lua" <<LUA
local lines = {}
for line in io.lines("$work/codes.txt") do table.insert(lines, line) end
local n = 0
function setup(thread)
  thread:set("offset", n)
  n = n + 1
end
local used = 0
request = function()
  -- Each connection takes every ${slots}th line, from its own offset.
  local line = lines[(used * $slots + offset) % #lines + 1]
  used = used + 1
  local email, code = line:match("(%S+) (%S+)")
  return wrk.format("POST", "/api/v1/auth/login", {["Content-Type"] = "application/json"},
    '{"email":"' .. email .. '","password":"$password","recovery_code":"' .. code .. '"}')
end
LUA
# One thread per check slot, one connection each (threads keep their own offsets).
wrk -t"$slots" -c"$slots" -d"${duration}s" --latency -s "$work/login.lua" "$url" >"$work/login.txt"
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$praxis_pid/status")
errors=$(awk '/Non-2xx/ {print $5}' "$work/login.txt")
signed_in=$(grep -c '"route":"/api/v1/auth/login","status":200' "$work/praxis.log" || true)
echo "machine:  $(machine)"
echo "accounts: $accounts (reception), $(wc -l <"$work/codes.txt") single-use sign-ins prepared, $slots check slot(s)"
printf "login:    %8.0f req/s  p50 %s  p99 %s  max %s  non-2xx %s  (successful sign-ins, reported)\n" \
  "$(awk '/Requests\/sec/ {print $2}' "$work/login.txt")" "$(lat "$work/login.txt" 50%)" \
  "$(lat "$work/login.txt" 99%)" "$(awk '/Latency/ && !/Distribution/ {print $4}' "$work/login.txt")" \
  "${errors:-0}"
echo "sessions opened (200 in the access log, owner included): $signed_in"
echo "server RSS after load: $((rss_kb / 1024)) MiB"
record "login (successful sign-in)" "$work/login.txt" "rss_mib=$((rss_kb / 1024))" \
  "check_slots=$slots"
