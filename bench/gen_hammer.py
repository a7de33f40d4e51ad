#!/usr/bin/env python3
"""Writes a large hammer CSV with the ras-party latency shape, deterministic from a seed.

The shape is samples/latency-phases' scaled to N requests: a sub-100 ms baseline (40 %), a ramp
to ~16 s (10 %), a plateau with 5 % of requests getting no response (35 %), a ramp down (7.5 %)
and a recovery (7.5 %); 0.5 % of requests get a 500 throughout. Rows are written in completion
order, as the hammer does. Generated data is never committed.

Usage: gen_hammer.py --requests N [--seed S] --out FILE
"""
import argparse
import random
from datetime import datetime, timedelta, timezone

ROUTES = ["/businesses?id=", "/businesses/id/", "/businesses/ref/"]
OFFSETS = [50, 100, 200, 50, 100, 200, 1000, 2000]
ERR = ("ConnectionError: ('Connection aborted.', RemoteDisconnected('Remote end closed "
       "connection without response'))")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, required=True)
    ap.add_argument("--seed", type=int, default=20261125)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    n, rng = a.requests, random.Random(a.seed)
    cut = [int(n * f) for f in (0.40, 0.50, 0.85, 0.925)]
    burst = max(1, n // len(OFFSETS))

    def latency(i: int) -> float:
        if i <= cut[0]:
            return rng.uniform(35, 90)
        if i <= cut[1]:
            return 90 + 15910 * (i - cut[0]) / max(1, cut[1] - cut[0]) * rng.uniform(0.9, 1.1)
        if i <= cut[2]:
            base = rng.uniform(15000, 17000)
            return base * 1.8 if rng.random() < 0.02 else base
        if i <= cut[3]:
            return max(60.0, 16000 - 15900 * (i - cut[2]) / max(1, cut[3] - cut[2]))
        return rng.uniform(40, 95)

    t0 = datetime(2026, 11, 25, 9, 0, 0, tzinfo=timezone.utc)
    t_ms = 0.0
    rows = []
    for i in range(1, n + 1):
        offset = OFFSETS[min((i - 1) // burst, len(OFFSETS) - 1)]
        # Scale the spacing so a million requests span hours, not weeks.
        spacing = offset * min(1.0, 4000 / n) if n > 4000 else offset
        ms = round(latency(i), 1)
        u = rng.random()
        if cut[1] < i <= cut[2] and u < 0.05:
            status, err = "", ERR
        elif u > 0.995:
            status, err = "500", ""
        else:
            status, err = "200", ""
        rows.append((t_ms + ms, t_ms, ROUTES[i % 3], burst, offset, status, ms, err))
        t_ms += spacing
    rows.sort(key=lambda r: r[0])
    with open(a.out, "w") as f:
        f.write("sent_at,route,url,request_count,offset_ms,status,elapsed_ms,error\n")
        for _, sent, route, b, off, status, ms, err in rows:
            stamp = (t0 + timedelta(milliseconds=sent)).isoformat(timespec="milliseconds")
            stamp = stamp.replace("+00:00", "Z")
            url = "http://127.0.0.1:5000" + route + ("x" if route.endswith("=") else "1")
            f.write(f'{stamp},{route},{url},{b},{off},{status},{ms},"{err}"\n')


if __name__ == "__main__":
    main()
