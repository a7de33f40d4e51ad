"""Writes hammer.csv: a synthetic run with the latency shape the ras-party report describes.

"Response times remain within a sub 100ms window for the first ~1600 requests ... they ramp up
steadily, until they reach a plateau of ~16s response times, and sustain this ... Times ramp down
again towards the end ... as the spacing of requests increases." (seeds/ras-party-optimisations-
report.txt). The shape is designed, not measured, so the phase boundaries are known exactly; they
are written to shape.json. Deterministic: python3 make.py reproduces both files byte for byte.
"""
import json
import random
from datetime import datetime, timedelta, timezone

rng = random.Random(20261125)
ROUTES = ["/businesses?id=", "/businesses/id/", "/businesses/ref/"]
# (burst size, offset ms): 4000 requests, spacing growing at the end.
BURSTS = [(500, 50), (500, 100), (500, 200), (500, 50), (500, 100), (500, 200), (500, 1000), (500, 2000)]
SHAPE = {  # 1-based request indexes in send order, inclusive
    "baseline": [1, 1600],
    "ramp_up": [1601, 2000],
    "plateau": [2001, 3400],
    "ramp_down": [3401, 3700],
    "recovered": [3701, 4000],
}


def latency(i):
    """Latency in ms of the i-th request sent (1-based)."""
    if i <= 1600:
        return rng.uniform(35, 90)
    if i <= 2000:
        return 90 + (16000 - 90) * (i - 1600) / 400 * rng.uniform(0.9, 1.1)
    if i <= 3400:
        base = rng.uniform(15000, 17000)
        return base * 1.8 if rng.random() < 0.02 else base  # outliers, as in the report
    if i <= 3700:
        return max(60.0, 16000 - 15900 * (i - 3400) / 300 * rng.uniform(0.95, 1.05))
    return rng.uniform(40, 95)


t = datetime(2026, 11, 25, 9, 0, 0, tzinfo=timezone.utc)
rows = []
i = 0
for burst, offset in BURSTS:
    for _ in range(burst):
        i += 1
        route = ROUTES[i % 3]
        ms = round(latency(i), 1)
        u = rng.random()
        if SHAPE["plateau"][0] <= i <= SHAPE["plateau"][1] and u < 0.05:
            status, err = "", "ConnectionError: ('Connection aborted.', RemoteDisconnected('Remote end closed connection without response'))"
        elif u > 0.995:
            status, err = "500", ""
        else:
            status, err = "200", ""
        sent = t
        rows.append((sent + timedelta(milliseconds=ms), sent, route, burst, offset, status, ms, err))
        t += timedelta(milliseconds=offset)

# The hammer writes a row when its request finishes: completion order, not send order.
rows.sort(key=lambda r: r[0])
with open("hammer.csv", "w", newline="") as f:
    f.write("sent_at,route,url,request_count,offset_ms,status,elapsed_ms,error\n")
    for _, sent, route, burst, offset, status, ms, err in rows:
        stamp = sent.strftime("%Y-%m-%dT%H:%M:%S.") + f"{sent.microsecond // 1000:03d}Z"
        url = f"http://127.0.0.1:8080{route}{rng.randrange(10**9):09d}"
        err = f'"{err}"' if "," in err else err
        f.write(f"{stamp},{route},{url},{burst},{offset},{status},{ms},{err}\n")
with open("shape.json", "w") as f:
    json.dump({"requests": i, "phases": SHAPE}, f, indent=2)
    f.write("\n")
