#!/usr/bin/python3
"""Appends one benchmark result as a JSON line (bench/lib.sh `record`).

Usage: record.py OUT SCENARIO WRK_OUTPUT|- [key=value ...]
From wrk's --latency output: requests/s, p50/p99/max latency in ms and non-2xx
answers; key=value pairs are added as given (numbers as numbers)."""
import datetime
import json
import re
import sys


def ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        return None
    factor = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[m.group(2)]
    return round(float(m.group(1)) * factor, 3)


def from_wrk(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            if not fields:
                continue
            if fields[0] == "Requests/sec:":
                out["requests_per_s"] = round(float(fields[1]), 1)
            elif fields[0] == "Latency" and len(fields) >= 4 and fields[1] != "Distribution":
                out["max_ms"] = ms(fields[3])
            elif fields[0] in ("50%", "99%") and len(fields) == 2:
                out["p" + fields[0][:-1] + "_ms"] = ms(fields[1])
            elif fields[0] == "Non-2xx":
                out["non_2xx"] = int(fields[-1])
    out.setdefault("non_2xx", 0)
    return out


def value(text):
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def main():
    out_path, scenario, wrk = sys.argv[1], sys.argv[2], sys.argv[3]
    row = {"scenario": scenario,
           "date": datetime.date.today().isoformat()}
    if wrk != "-":
        row.update(from_wrk(wrk))
    for pair in sys.argv[4:]:
        key, _, text = pair.partition("=")
        row[key] = value(text)
    with open(out_path, "a", encoding="utf-8") as f:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
