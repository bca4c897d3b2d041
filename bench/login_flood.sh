#!/usr/bin/env bash
# A sign-in flood must not starve everyone else (issue #5). While wrk sends about 200
# wrong-password logins per second, each for a different account (so the per-account
# back-off never engages and every attempt reaches Argon2id or the concurrency gate),
# two other wrk instances measure GET /healthz and an authenticated GET /api/v1/auth/me.
# Then: timing of a wrong password versus an unknown e-mail address (enumeration).
#
# Usage: bench/login_flood.sh [SECONDS]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
. bench/lib.sh

field() { python3 -c "import json,sys; d=json.load(open('$1')); print(eval('d' + sys.argv[1]))" "$2"; }

"$bin/praxis" init --data "$work/data" --json --practice-name "Bench" --practice-slug bench \
  --practice-state BE --owner-email owner@bench.example >"$work/init.json"
port=$(free_port)
url="http://127.0.0.1:$port"
# Back-off loosened: the flood comes from one address here, and the point is the Argon2id
# gate (the flood uses a new account each time anyway); the enumeration timing at the end
# needs 15 failures on one account without back-off.
PRAXIS_AUTH_LOGIN_FREE_FAILURES_PER_ADDRESS=100000 PRAXIS_AUTH_LOGIN_FREE_FAILURES=100 \
  PRAXIS_LOG_FILE="$work/praxis.log" \
  "$bin/praxis" serve --data "$work/data" --listen "127.0.0.1:$port" >/dev/null &
praxis_pid=$!
wait_up "$url/healthz"

token=$(field "$work/init.json" "['practice']['owner']['enrolment_token']")
password="Morgens erst einmal Kaffee"
curl -sf -X POST "$url/api/v1/auth/enrol" -d "{\"token\":\"$token\",\"password\":\"$password\"}" \
  >"$work/enrol.json"
secret=$(field "$work/enrol.json" "['totp_secret']")
code=$(python3 - "$secret" <<'PY'
import base64, hashlib, hmac, struct, sys, time
key = base64.b32decode(sys.argv[1] + "=" * (-len(sys.argv[1]) % 8))
digest = hmac.new(key, struct.pack(">Q", int(time.time() // 30)), hashlib.sha1).digest()
o = digest[-1] & 15
print("%06d" % ((struct.unpack(">I", digest[o:o + 4])[0] & 0x7FFFFFFF) % 1000000))
PY
)
curl -sf -X POST "$url/api/v1/auth/enrol/confirm" -d "{\"token\":\"$token\",\"totp\":\"$code\"}" >/dev/null
recovery=$(field "$work/enrol.json" "['recovery_codes'][0]")
curl -sf -D "$work/login.headers" -X POST "$url/api/v1/auth/login" \
  -d "{\"email\":\"owner@bench.example\",\"password\":\"$password\",\"recovery_code\":\"$recovery\"}" \
  >/dev/null
cookie=$(awk -F'[ ;]' 'tolower($1) == "set-cookie:" {print $2}' "$work/login.headers")

cat >"$work/flood.lua" <<'LUA'
-- 20 connections, each sending one login every 100 ms: about 200 attempts/s.
local n = 0
request = function()
  n = n + 1
  local body = string.format(
    '{"email":"guess%d-%d@bench.example","password":"falsch falsch falsch","totp":"123456"}',
    math.random(1, 1000000000), n)
  return wrk.format("POST", "/api/v1/auth/login", {["Content-Type"] = "application/json"}, body)
end
delay = function() return 100 end
LUA

wrk -t1 -c20 -d"$((duration + 4))s" -s "$work/flood.lua" --latency "$url" >"$work/flood.txt" &
flood_pid=$!
sleep 2
wrk -t1 -c8 -d"${duration}s" --latency "$url/healthz" >"$work/healthz.txt" &
health_pid=$!
wrk -t1 -c8 -d"${duration}s" --latency -H "Cookie: $cookie" "$url/api/v1/auth/me" >"$work/me.txt"
wait $health_pid $flood_pid

flood_total=$(awk '/requests in/ {print $1}' "$work/flood.txt")
flood_rps=$(awk '/Requests\/sec/ {print $2}' "$work/flood.txt")
statuses=$(grep -c '"route":"/api/v1/auth/login","status":401' "$work/praxis.log" || true)
limited=$(grep -c '"route":"/api/v1/auth/login","status":429' "$work/praxis.log" || true)
me_errors=$(awk '/Non-2xx/ {print $5}' "$work/me.txt")
echo "machine:      $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
echo "flood:        $flood_total logins in $((duration + 4)) s ($flood_rps/s): $statuses checked and refused (401), $limited turned away by the gate (429)"
printf "healthz:      %8.0f req/s  p50 %s  p99 %s  (target p99 < 20 ms)\n" \
  "$(awk '/Requests\/sec/ {print $2}' "$work/healthz.txt")" "$(lat "$work/healthz.txt" 50%)" "$(lat "$work/healthz.txt" 99%)"
printf "auth/me:      %8.0f req/s  p50 %s  p99 %s  non-2xx %s  (target p99 < 20 ms)\n" \
  "$(awk '/Requests\/sec/ {print $2}' "$work/me.txt")" "$(lat "$work/me.txt" 50%)" "$(lat "$work/me.txt" 99%)" "${me_errors:-0}"

# Enumeration timing, with the server idle again: median of 15 of each.
sleep 1
time_login() {  # email
  for _ in $(seq 15); do
    curl -s -o /dev/null -w '%{time_total}\n' -X POST "$url/api/v1/auth/login" \
      -d "{\"email\":\"$1\",\"password\":\"falsch falsch falsch\",\"totp\":\"123456\"}"
    sleep 0.05
  done | sort -n | awk '{a[NR]=$1} END {printf "%.1f ms", a[int((NR+1)/2)] * 1000}'
}
echo "wrong password (existing account, median): $(time_login owner@bench.example)"
echo "unknown e-mail address (median):           $(time_login nobody@bench.example)"
