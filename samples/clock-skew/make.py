#!/usr/bin/env python3
"""Writes samples/clock-skew: the eof-open-transaction run with the load tool's clock moved.

The hammer's timestamps are shifted by SKEW_MS (its clock runs ahead of the app's) and written
in the UTC-05:00 offset; every other file is the real run's, unchanged. truth.json is the real
run's with `clock_skew_ms` and `hammer_timestamp_utc_offset_min` set. Deterministic.

Usage: make.py [SRC_DIR] [OUT_DIR] [SKEW_MS] [OFFSET_MIN]
"""
import csv
import datetime as dt
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent / "eof-open-transaction"
OUT = Path(sys.argv[2]) if len(sys.argv) > 2 else HERE
SKEW_MS = float(sys.argv[3]) if len(sys.argv) > 3 else 3742.0
OFFSET_MIN = int(sys.argv[4]) if len(sys.argv) > 4 else -300


def shifted(stamp: str) -> str:
    t = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    zone = dt.timezone(dt.timedelta(minutes=OFFSET_MIN))
    t = (t + dt.timedelta(milliseconds=SKEW_MS)).astimezone(zone)
    return t.isoformat(timespec="milliseconds")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name in ("app.log", "stderr.log", "postgresql.log"):
        shutil.copyfile(SRC / name, OUT / name)
    with open(SRC / "hammer.csv", newline="") as f, open(OUT / "hammer.csv", "w", newline="") as g:
        rows = csv.DictReader(f)
        w = csv.DictWriter(g, fieldnames=rows.fieldnames, lineterminator="\n")
        w.writeheader()
        for row in rows:
            row["sent_at"] = shifted(row["sent_at"])
            w.writerow(row)
    truth = json.loads((SRC / "truth.json").read_text())
    truth["clock_skew_ms"] = SKEW_MS
    truth["hammer_timestamp_utc_offset_min"] = OFFSET_MIN
    truth["notes"] = (
        f"the {SRC.name} run with the hammer's clock {SKEW_MS:+.0f} ms ahead of the app's, "
        f"written at UTC{OFFSET_MIN / 60:+.0f}:00 (samples/clock-skew/make.py)"
    )
    (OUT / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")


if __name__ == "__main__":
    main()
