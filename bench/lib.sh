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
