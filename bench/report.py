#!/usr/bin/python3
"""The benchmark results of one run (JSON lines from bench/record.py) as a Markdown table
with each scenario's ratio to its ceiling, and as one JSON document.

Usage: report.py RESULTS.jsonl OUT.json
Ceilings (measured in the same run): the minimal Beast server's /healthz for the HTTP
scenarios, raw SQLite with one INSERT per COMMIT for durable bookings on SQLite, the
plaintext variant of the same search for patient search (in-process latency), Argon2id
verifications per second and check slot for successful sign-ins. Bookings on
PostgreSQL have no ceiling measured here (they are compared with SQLite's in
docs/benchmarks.md). "errors" counts answers that are neither 2xx nor an expected 409
(a start another client took), where the scenario tells them apart."""
import json
import sys

HTTP_CEILING = "healthz, minimal Beast server (ceiling)"
HASH_CEILING = "Argon2id verify, one at a time (ceiling)"
WRITE_CEILING = "raw SQLite, one INSERT per COMMIT (ceiling)"
SEARCH_CEILING = "patient search, plaintext variant in-process (ceiling)"


def ratio(row, rows):
    """(ratio, ceiling scenario) or (None, None)."""
    def find(name):
        return next((r for r in rows if r["scenario"] == name), None)
    if row["scenario"].endswith("(ceiling)"):
        return None, None
    if row["scenario"] == "bookings" and row.get("store") == "sqlite":
        ceiling = find(WRITE_CEILING)
        if ceiling and row.get("durable_per_s"):
            return row["durable_per_s"] / ceiling["writes_per_s"], WRITE_CEILING
    if row["scenario"] == "bookings":
        return None, None  # PostgreSQL: compared with SQLite in docs/benchmarks.md
    if row["scenario"] == "login (successful sign-in)":
        ceiling = find(HASH_CEILING)
        if ceiling and row.get("requests_per_s"):
            slots = row.get("check_slots", 1)
            return row["requests_per_s"] / (ceiling["checks_per_s"] * slots), HASH_CEILING
        return None, None
    if row["scenario"] == "patient search, encrypted in-process":
        ceiling = find(SEARCH_CEILING)
        if ceiling:
            return ceiling["p99_ms"] / row["p99_ms"], SEARCH_CEILING + ", p99"
    ceiling = find(HTTP_CEILING)
    if ceiling and row.get("requests_per_s"):
        return row["requests_per_s"] / ceiling["requests_per_s"], HTTP_CEILING
    return None, None


def cell(value, digits=0):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def main():
    rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
    for row in rows:
        r, ceiling = ratio(row, rows)
        if r is not None:
            row["ratio"] = round(r, 3)
            row["ceiling"] = ceiling
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump({"results": rows}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print("| scenario | store | figure | p50 / p99 / max ms | errors | RSS MiB | ratio to ceiling |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        if "requests_per_s" in row:
            figure = cell(row["requests_per_s"]) + " req/s"
            if "durable_per_s" in row:
                figure += f" ({cell(float(row['durable_per_s']))} durable/s)"
        elif "writes_per_s" in row:
            figure = cell(row["writes_per_s"]) + " writes/s"
        elif "checks_per_s" in row:
            figure = cell(row["checks_per_s"], 1) + " checks/s"
        else:
            figure = ""
        latency = " / ".join(cell(row.get(k), 2) for k in ("p50_ms", "p99_ms", "max_ms"))
        ratio_text = f"{row['ratio']:.2f} of {row['ceiling']}" if "ratio" in row else ""
        print(f"| {row['scenario']} | {row.get('store', '')} | {figure} | {latency} | "
              f"{cell(row.get('errors', row.get('non_2xx')))} | {cell(row.get('rss_mib'))} | {ratio_text} |")
    if rows:
        print(f"\nmachine: {rows[0].get('machine', '')}; date: {rows[0].get('date', '')}")


if __name__ == "__main__":
    main()
