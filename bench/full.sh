#!/usr/bin/env bash
# make bench-full (issue #12): the incident's size. Generates 3,100,000 patients over
# 2,000 practices (three of 100,000; `praxis-bench gen` with its defaults, seed 2020) into
# build/bench-full/data, reports the generator's rate and the database size per patient,
# then runs the whole suite (bench/run.sh) with every HTTP scenario on a copy of that
# database (BENCH_DATA, bench/lib.sh): their own practices come on top, so the searched
# practice of 100,000 lives in a database of more than 3.2 million patients.
#
# The generated data is kept for later runs (delete build/bench-full to regenerate).
# Duration on the 2-core machine of docs/benchmarks.md: 9 minutes to generate (5,752
# patients/s), then 16 minutes for the suite (each SQLite HTTP scenario first copies the
# 12.9 GB database). Needs about 13 GB for the original and 13 GB for one copy at a time.
#
# Usage: bench/full.sh   (PATIENTS and PRACTICES override the size, e.g. for a trial)
set -euo pipefail
cd "$(dirname "$0")/.."
patients=${PATIENTS:-3100000}
practices=${PRACTICES:-2000}
base=build/bench-full
mkdir -p "$base" build/bench
if [ ! -f "$base/generated" ]; then
  rm -rf "$base/data"
  build/release/bin/praxis init --data "$base/data" >/dev/null
  start=$(date +%s)
  build/release/bin/praxis-bench gen --data "$base/data" --patients "$patients" \
    --practices "$practices" | tee "$base/gen.txt"
  echo "generated in $(($(date +%s) - start)) s" >>"$base/gen.txt"
  touch "$base/generated"
fi
echo "== Generated data (praxis-bench gen) =="
cat "$base/gen.txt"
bytes=$(du -sb "$base/data" | awk '{print $1}')
echo "database: $((bytes / 1048576)) MiB for $patients patients: $((bytes / patients)) bytes per patient (audit trail and WAL included)"
BENCH_DATA="$base/data" bench/run.sh
