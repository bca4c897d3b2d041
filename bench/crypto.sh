#!/usr/bin/env bash
# Crypto micro-benchmarks with the ratios issue #3 sets as targets.
# Usage: bench/crypto.sh   (needs the release build: make build)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
build/release/bin/crypto_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_format=json --benchmark_out="$out" --benchmark_out_format=json >/dev/null
python3 - "$out" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
med = {b["run_name"].split("/")[0]: b for b in data["benchmarks"] if b.get("aggregate_name") == "median"}
def ns(name): return med[name]["real_time"] * {"ns": 1, "us": 1e3, "ms": 1e6}[med[name]["time_unit"]]
def per_s(name): return 1e9 / ns(name)
print(f"machine: {data['context']['num_cpus']} cpus @ {data['context']['mhz_per_cpu']} MHz, "
      f"{data['context']['host_name']}")
print(f"field cipher 32 B enc+dec: {per_s('BM_FieldCipher32'):>12,.0f}/s   bare libsodium: "
      f"{per_s('BM_BareAead32'):>12,.0f}/s   ratio {ns('BM_BareAead32')/ns('BM_FieldCipher32'):.2f} (target >= 0.80)")
print(f"blind index (normalised):  {per_s('BM_BlindIndexName'):>12,.0f}/s   bare BLAKE2b:   "
      f"{per_s('BM_BareBlake2bKeyed'):>12,.0f}/s   ratio {ns('BM_BareBlake2bKeyed')/ns('BM_BlindIndexName'):.2f} (target >= 0.50)")
print(f"patient key, cached:   {ns('BM_PatientKeyCached'):8.0f} ns (target < 100 ns)")
print(f"patient key, uncached: {ns('BM_PatientKeyUncached'):8.0f} ns (target < 2000 ns)")
print(f"Argon2id verify (64 MiB, t=2): {ns('BM_PasswordVerify')/1e6:.1f} ms")
PY
