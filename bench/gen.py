#!/usr/bin/env python3
"""Writes one large load-test run for bench/run, deterministic from a seed.

A run is four files that describe the same requests over the same hours, because rootcause
correlates them:

- `hammer.csv` (about 12 % of the bytes): the load tool's rows, `sent_at,route,url,
  request_count,offset_ms,status,elapsed_ms,error`, in completion order, as the hammer writes
  them (samples/pool-exhaustion/hammer.csv). Bursts of 100 to 1000 requests 5 to 20 ms apart,
  1 s between bursts, about 100 requests per second.
- `app.log` (about 50 %): the app's structlog JSON lines, `function hit`, `query started`, then
  `query completed` with `duration_ms`, or `Uncaught exception` with `status` 500 and the whole
  traceback in `exception` (the real QueuePool TimeoutError tracebacks of
  samples/pool-exhaustion/app.log, read from there), keys in the sample's order.
- `postgresql.log` (about 30 %): PostgreSQL 15 on stderr with pgBadger's prefix
  `log_line_prefix = '%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h '` and
  `log_min_duration_statement = 1ms`: mostly `LOG:  duration: 12.345 ms  statement: ...` lines
  (the app's lookups, a billing worker, reports), connection received/authorized/disconnection
  lines, checkpoints and autovacuum (multi-line), now and then an ERROR with DETAIL, HINT,
  CONTEXT and a tab-indented multi-line STATEMENT, and `unexpected EOF on client connection with
  an open transaction` when gunicorn kills a worker.
- `stderr.log` (about 8 %): gunicorn's error log and access log on one stream, as in
  samples/*/stderr.log and the lab: boot lines, Flask's `ERROR in app: Exception on ...` with
  the multi-line traceback of every 500, `WORKER TIMEOUT (pid:N)` with the killed worker's
  traceback, SIGKILL and reboot lines. Access lines are thinned to keep the file at its share:
  the access log of a real run is about as large as the load tool's CSV.

The failure episode sits in the middle of the run (45 % to 55 % of the requests): queries slow
down to seconds, the pool's 15 connections are all checked out, requests wait out the 2 s
pool_timeout and fail with QueuePool TimeoutError as HTTP 500, and a few requests outlive
gunicorn's 30 s timeout: their worker is killed, the hammer gets no response and Postgres logs
`unexpected EOF on client connection with an open transaction` for the worker's connections.

Sizes are decimal (100M = 100 000 000 bytes); the total lands within about 2 % of it. The same
arguments give the same bytes. Generated data is never committed (bench/data/ is ignored).

Usage: gen.py --size 100M|1G|2G|BYTES [--seed S] --out DIR
"""
import argparse
import json
import queue
import random
import sys
import threading
import time
from operator import itemgetter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRACEBACK_SAMPLE = ROOT / "samples/pool-exhaustion/app.log"

# Shares of the total size. hammer.csv and app.log follow from the requests (one row, three
# or four JSON lines each) and come out near their shares; postgresql.log and stderr.log are
# filled to theirs as the run goes.
SHARES = {"app.log": 0.50, "postgresql.log": 0.30, "hammer.csv": 0.12, "stderr.log": 0.08}
# Bytes of hammer.csv + app.log per request, measured on this generator (the episode's
# tracebacks included); it sets the number of requests for a size.
REQUEST_BYTES = 790.0
EPISODE = (0.45, 0.47, 0.53, 0.55)  # ramp up, plateau, ramp down, as fractions of the run
FIRST = itemgetter(0)
CHUNK = 20_000  # requests sorted and written per batch
STEP = 1_000  # requests per step of the background Postgres sessions

T0_US = 1_795_593_600 * 1_000_000  # 2026-11-25T08:00:00Z
HOST = "http://ras-party.ras.svc.cluster.local:8080"
HAMMER_IP, APP_IP, REPORT_IP = "10.244.1.7", "10.244.2.15", "10.244.3.9"
# (hammer route, app route, Flask path prefix)
ROUTES = (
    ("/businesses?id=", "/businesses?id=", "/businesses"),
    ("/businesses/id/", "/businesses/id/<id>", "/businesses/id/"),
    ("/businesses/ref/", "/businesses/ref/<ref>", "/businesses/ref/"),
)
BURSTS = ((200, 10), (500, 5), (100, 20), (1000, 10), (300, 8))  # (request_count, offset_ms)
NO_RESPONSE = ("ConnectionError: ('Connection aborted.', RemoteDisconnected('Remote end closed "
               "connection without response'))")
GUNICORN_TIMEOUT_TB = """Traceback (most recent call last):
  File "/srv/app/venv/lib/python3.11/site-packages/gunicorn/workers/sync.py", line 134, in handle
    self.handle_request(listener, req, client, addr)
  File "/srv/app/venv/lib/python3.11/site-packages/gunicorn/workers/sync.py", line 177, in handle_request
    respiter = self.wsgi(environ, resp.start_response)
               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/srv/app/venv/lib/python3.11/site-packages/flask/app.py", line 1536, in __call__
    return self.wsgi_app(environ, start_response)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/srv/app/labapp.py", line 163, in _lookup
    session.execute(text("SELECT pg_sleep(:s)"), {"s": QUERY_SLEEP_S})
  File "/srv/app/venv/lib/python3.11/site-packages/gunicorn/workers/base.py", line 204, in handle_abort
    sys.exit(1)
SystemExit: 1
"""
LOOKUP = ("SELECT businesses.id AS businesses_id, businesses.ref AS businesses_ref, "
          "businesses.name AS businesses_name, businesses.postcode AS businesses_postcode "
          "FROM businesses WHERE businesses.{col} = '{val}'")
BILLING = (
    "UPDATE invoices SET status = 'sent', sent_at = now() WHERE invoices.id = {n}",
    "INSERT INTO invoice_lines (invoice_id, sku, qty, amount) VALUES ({n}, 'SKU-{m}', 1, 19.90)",
    "SELECT invoices.id, invoices.status FROM invoices WHERE invoices.customer_id = {n} "
    "ORDER BY invoices.created_at DESC LIMIT 20",
    "COMMIT",
)
REPORT = ("SELECT b.postcode, count(*) AS n, max(b.updated_at) AS last_update\n\tFROM businesses b\n"
          "\tJOIN business_attributes a ON a.business_id = b.id\n"
          "\tWHERE a.collection_exercise = {n}\n\tGROUP BY b.postcode\n\tORDER BY n DESC;")


def parse_size(s: str) -> int:
    mult = {"K": 10**3, "M": 10**6, "G": 10**9}
    s = s.strip().upper().removesuffix("B")
    if s and s[-1] in mult:
        return int(float(s[:-1]) * mult[s[-1]])
    return int(s)


def app_tracebacks() -> dict[str, str]:
    """The JSON-escaped `exception` value of the first Uncaught exception per route."""
    out: dict[str, str] = {}
    with open(TRACEBACK_SAMPLE, encoding="utf-8") as f:
        for line in f:
            if '"exception": ' in line:
                d = json.loads(line)
                out.setdefault(d["route"], json.dumps(d["exception"]))
    missing = [r[1] for r in ROUTES if r[1] not in out]
    if missing:
        sys.exit(f"gen.py: no traceback for {missing} in {TRACEBACK_SAMPLE}")
    return out


class Clock:
    """Formats microsecond stamps, caching the per-second part (the expensive one)."""

    def __init__(self) -> None:
        self.cache: dict[int, tuple[str, str, str, str]] = {}

    def at(self, us: int) -> tuple[str, str, str, str]:
        """(ISO `...T08:00:00`, Postgres `... 08:00:00 UTC`, gunicorn `... 08:00:00 +0000`,
        access `25/Nov/2026:08:00:00 +0000`) for the second of `us`."""
        s = us // 1_000_000
        parts = self.cache.get(s)
        if parts is None:
            t = time.gmtime(s)
            d = time.strftime("%Y-%m-%d", t)
            hms = time.strftime("%H:%M:%S", t)
            parts = (f"{d}T{hms}", f"{d} {hms} UTC", f"{d} {hms} +0000",
                     time.strftime("%d/%b/%Y:%H:%M:%S +0000", t))
            self.cache[s] = parts
        return parts


class Run:
    """The state of the run: time, processes, byte counts and the pending lines of each file."""

    def __init__(self, size: int, seed: int, out: Path) -> None:
        self.size, self.rng, self.out = size, random.Random(seed), out
        self.n = max(1000, int(size * (SHARES["app.log"] + SHARES["hammer.csv"]) / REQUEST_BYTES))
        self.tracebacks = app_tracebacks()
        self.plain_tracebacks = {k: json.loads(v) for k, v in self.tracebacks.items()}
        self.clock = Clock()
        self.t = T0_US  # next send time
        self.burst = self.burst_left = self.burst_offset = self.burst_size = 0
        self.route = 0
        # Pending lines as (time_us, text); Postgres as (time_us, pid, body).
        self.hammer: list = []
        self.app: list = []
        self.pg: list = []
        self.err: list = []
        self.bytes = dict.fromkeys(SHARES, 0)
        self.lines = dict.fromkeys(SHARES, 0)
        self.pid = 4100  # next process id
        self.pg_line: dict[int, int] = {}  # %l per backend
        self.pg_who: dict[int, str] = {}  # user=...,db=...,app=...,client=... per backend
        self.master = self.next_pid()
        self.workers = [self.next_pid() for _ in range(4)]
        self.backends = {w: [] for w in self.workers}
        self.checkpointer, self.autovac = self.next_pid(), self.next_pid()
        self.billing = self.next_pid()
        self.pg_who[self.billing] = f"user=billing,db=ras,app=billing-worker,client={APP_IP} "
        self.files = {name: open(out / name, "wb") for name in SHARES}
        # Writes happen on a thread, which releases the GIL, while the next batch is made.
        self.queue: queue.Queue = queue.Queue(maxsize=8)
        self.write_error: OSError | None = None
        self.writer = threading.Thread(target=self.write_loop, daemon=True)
        self.writer.start()
        header = "sent_at,route,url,request_count,offset_ms,status,elapsed_ms,error\n"
        self.write("hammer.csv", header)
        self.bytes["hammer.csv"] += len(header)
        self.lines["hammer.csv"] += 1

    def write(self, name: str, text: str) -> None:
        if self.write_error:
            raise self.write_error
        self.queue.put((self.files[name], text.encode()))

    def write_loop(self) -> None:
        while (item := self.queue.get()) is not None:
            if self.write_error is None:  # after an error (disk full), only drain the queue
                try:
                    item[0].write(item[1])
                except OSError as e:
                    self.write_error = e

    def next_pid(self) -> int:
        self.pid += self.rng.randint(1, 40)
        return self.pid

    # -- Postgres ------------------------------------------------------------------------------
    def pg_add(self, t: int, pid: int, body: str) -> None:
        self.pg.append((t, pid, body))
        self.bytes["postgresql.log"] += len(body) + 98  # the prefix, roughly

    def connect(self, t: int, user: str, app: str, ip: str) -> int:
        """A new backend: connection received/authorized lines; returns its pid."""
        pid = self.next_pid()
        port = self.rng.randint(32768, 60999)
        self.pg_who[pid] = f"user=[unknown],db=[unknown],app=[unknown],client={ip} "
        self.pg_add(t, pid, f"LOG:  connection received: host={ip} port={port}")
        self.pg.append((t + 900, -pid, f"user={user},db=ras,app={app},client={ip} "))
        self.pg_add(t + 900, pid, f"LOG:  connection authorized: user={user} database=ras "
                                  f"application_name={app}")
        return pid

    def disconnect(self, t: int, pid: int, t_start: int, user: str, ip: str) -> None:
        s = (t - t_start) / 1e6
        self.pg_add(t, pid, f"LOG:  disconnection: session time: {int(s // 3600)}:"
                            f"{int(s // 60 % 60):02d}:{s % 60:06.3f} user={user} database=ras "
                            f"host={ip} port={self.rng.randint(32768, 60999)}")

    def pool_checkout(self, t: int, worker: int) -> int:
        """The backend a worker's pool hands out, connecting a new one while the pool grows."""
        pool = self.backends[worker]
        if len(pool) < 5 or (len(pool) < 15 and self.rng.random() < 0.001):
            pool.append(self.connect(t - 3000, "ras_party", "ras-party", APP_IP))
        return pool[self.rng.randrange(len(pool))]

    # -- stderr --------------------------------------------------------------------------------
    def err_add(self, t: int, text: str) -> None:
        self.err.append((t, text))
        self.bytes["stderr.log"] += len(text)

    def gunicorn(self, t: int, pid: int, level: str, msg: str) -> None:
        self.err_add(t, f"[{self.clock.at(t)[2]}] [{pid}] [{level}] {msg}\n")

    def kill_worker(self, t: int, victim: int, path: str) -> None:
        """gunicorn's master kills a worker stuck past its 30 s timeout and boots another."""
        self.gunicorn(t, self.master, "CRITICAL", f"WORKER TIMEOUT (pid:{victim})")
        self.gunicorn(t + 2000, victim, "ERROR", f"Error handling request {path}")
        self.err_add(t + 2001, GUNICORN_TIMEOUT_TB)
        self.gunicorn(t + 2500, victim, "INFO", f"Worker exiting (pid: {victim})")
        self.gunicorn(t + 800_000, self.master, "ERROR",
                      f"Worker (pid:{victim}) was sent SIGKILL! Perhaps out of memory?")
        new = self.next_pid()
        self.gunicorn(t + 810_000, new, "INFO", f"Booting worker with pid: {new}")
        # Postgres sees the killed worker's connections drop mid-transaction.
        for i, b in enumerate(self.backends.pop(victim)):
            self.pg_add(t + 820_000 + i * 1500, b,
                        "LOG:  unexpected EOF on client connection with an open transaction")
        self.workers[self.workers.index(victim)] = new
        self.backends[new] = []

    # -- requests ------------------------------------------------------------------------------
    def requests(self, first: int, count: int) -> None:
        rng, clock, tbs = self.rng, self.clock, self.tracebacks
        rand, bits = rng.random, rng.getrandbits
        cache, make = clock.cache, clock.at
        n, (e0, e1, e2, e3) = self.n, EPISODE
        hammer, app, err = self.hammer, self.app, self.err
        err_share = SHARES["stderr.log"] * self.size / n
        hb = ab = 0

        def app_event(t: int, route: str, rid: str, event: str, level: str = "info",
                      before: str = "", after_id: str = "", after_service: str = "") -> int:
            """Appends one structlog line of a request at time `t`; returns its length."""
            iso = (cache.get(t // 1_000_000) or make(t))[0]
            line = (f'{{{before}"route": "{route}", "request_id": "{rid}", {after_id}'
                    f'"event": "{event}", "level": "{level}", "service": "ras-party", '
                    f'{after_service}"created_at": "{iso}.{t % 1_000_000:06d}Z"}}\n')
            app.append((t, line))
            return len(line)

        for i in range(first, first + count):
            if self.burst_left == 0:
                self.t += 1_000_000
                self.burst = (self.burst + 1) % len(BURSTS)
                self.burst_left, self.burst_offset = BURSTS[self.burst]
                self.burst_size = self.burst_left
                self.route = (self.route + 1) % len(ROUTES)
            self.burst_left -= 1
            sent = self.t
            self.t += self.burst_offset * 1000
            h_route, a_route, path = ROUTES[self.route]
            if self.route == 2:
                key = f"499{bits(27) % 100_000_000:08d}"
                col = "ref"
            else:
                h = f"{bits(128):032x}"
                key = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"
                col = "id"
            url = f"{HOST}{h_route}{key}"
            rid = f"{bits(128):032x}"
            p = i / n
            ep = 0.0 if p < e0 or p >= e3 else (
                (p - e0) / (e1 - e0) if p < e1 else 1.0 if p < e2 else (e3 - p) / (e3 - e2))
            u = rand()
            worker = self.workers[i % 4]
            if ep > 0 and u < 0.15 * ep:
                status, ms = "500", 2000.0 + (5 + 115 * rand())
            elif ep > 0 and u < 0.154 * ep:
                status, ms = "", 30_000.0 + (100 + 800 * rand())
            else:
                status = "404" if u > 0.998 else "200"
                ms = (25 + 65 * rand()) * (3 if u > 0.99 else 1) + ep * (300 + 1600 * rand())
            ms = round(ms, 1)
            done = sent + int(ms * 1000)
            hit = sent + int((300 + 1200 * rand()))
            started = hit + int((300 + 300 * rand()))
            ab += app_event(hit, a_route, rid, "function hit")
            ab += app_event(started, a_route, rid, "query started")
            end = done - int((200 + 800 * rand()))
            if status == "500":
                ab += app_event(end, a_route, rid, "Uncaught exception", level="error",
                                before='"status": 500, ',
                                after_service=f'"exception": {tbs[a_route]}, ')
                stamp = f"{(cache.get(end // 1_000_000) or make(end))[0].replace('T', ' ')},{end // 1000 % 1000:03d}"
                req_path = path if self.route == 0 else path + key
                self.err_add(end + 1, f"[{stamp}] ERROR in app: Exception on {req_path} [GET]\n"
                                      + self.plain_tracebacks[a_route] + "\n")
            elif status:
                ab += app_event(end, a_route, rid, "query completed",
                                after_id=f'"duration_ms": {(end - started) / 1000:.1f}, ')
                backend = self.pool_checkout(started, worker)
                q_ms = (end - started) / 1000 * (0.55 + 0.4 * rand())
                self.pg_add(end - 200, backend,
                            f"LOG:  duration: {q_ms:.3f} ms  statement: "
                            + LOOKUP.format(col=col, val=key))
            else:
                self.kill_worker(sent + 30_000_000, worker, path if self.route == 0 else path + key)
            if status and self.bytes["stderr.log"] < err_share * (i + 1):
                req_path = f"/businesses?id={key}" if self.route == 0 else path + key
                size = 265 if status == "500" else 207 if status == "404" else 116
                self.err_add(done, f'{HAMMER_IP} - - [{(cache.get(done // 1_000_000) or make(done))[3]}] "GET {req_path} '
                                   f'HTTP/1.1" {status} {size} "-" "python-requests/2.31.0"\n')
            stamp = f"{(cache.get(sent // 1_000_000) or make(sent))[0]}.{sent // 1000 % 1000:03d}Z"
            err_cell = f'"{NO_RESPONSE}"' if not status else ""
            line = (f"{stamp},{h_route},{url},{self.burst_size},{self.burst_offset},{status},"
                    f"{ms},{err_cell}\n")
            hammer.append((done, line))
            hb += len(line)
        self.bytes["hammer.csv"] += hb
        self.bytes["app.log"] += ab

    # -- Postgres background -------------------------------------------------------------------
    def background(self, t_from: int, t_to: int, frac_from: float, done_frac: float) -> None:
        """Other Postgres sessions until postgresql.log is at its share of the run so far.

        Reports time out (statement_timeout) and deadlocks happen only while the episode builds
        up: the reports' locks are what slows the app's lookups down."""
        rng = self.rng
        locks = EPISODE[0] <= frac_from < EPISODE[2]
        for j in range(2 if locks else 0):
            # statement_timeout is 5 s for the report role.
            t = t_from + j * (t_to - t_from) // 2
            pid = self.connect(t, "report", "psql", REPORT_IP)
            self.pg_add(t + 5_000_000, pid, "ERROR:  canceling statement due to statement timeout")
            self.pg_add(t + 5_000_001, pid, "STATEMENT:  " + REPORT.format(n=rng.randint(100, 999)))
            self.disconnect(t + 5_010_000, pid, t, "report", REPORT_IP)
        target = SHARES["postgresql.log"] * self.size * done_frac
        span = max(1, t_to - t_from)
        while self.bytes["postgresql.log"] < target:
            t = t_from + rng.randrange(span)
            k = rng.random()
            if k < 0.80:
                stmt = rng.choice(BILLING).format(n=rng.randint(1, 10**7), m=rng.randint(1, 9999))
                self.pg_add(t, self.billing,
                            f"LOG:  duration: {rng.uniform(1, 40):.3f} ms  statement: {stmt}")
            elif k < 0.97:
                pid = self.connect(t, "report", "psql", REPORT_IP)
                for j in range(rng.randint(1, 4)):
                    self.pg_add(t + 5000 + j * 900, pid,
                                f"LOG:  duration: {rng.uniform(20, 900):.3f} ms  statement: "
                                + REPORT.format(n=rng.randint(100, 999)))
                self.disconnect(t + 40_000, pid, t, "report", REPORT_IP)
            elif k < 0.985:
                self.pg_add(t, self.billing, "ERROR:  duplicate key value violates unique "
                                             'constraint "invoice_lines_pkey"')
                n = rng.randint(1, 10**7)
                self.pg_add(t + 1, self.billing, f"DETAIL:  Key (invoice_id, sku)=({n}, "
                                                 f"SKU-{n % 9999}) already exists.")
                self.pg_add(t + 2, self.billing, "STATEMENT:  INSERT INTO invoice_lines "
                            f"(invoice_id, sku, qty, amount)\n\tVALUES ({n}, 'SKU-{n % 9999}', 1, "
                            "19.90)\n\tRETURNING invoice_lines.id")
            elif k < 0.988 and locks:
                a, b = self.billing, self.next_pid()
                self.pg_who[b] = f"user=billing,db=ras,app=billing-worker,client={APP_IP} "
                tx = rng.randint(10**6, 10**7)
                self.pg_add(t, a, "ERROR:  deadlock detected")
                self.pg_add(t + 1, a, f"DETAIL:  Process {a} waits for ShareLock on transaction "
                            f"{tx}; blocked by process {b}.\n\tProcess {b} waits for ShareLock on "
                            f"transaction {tx + 7}; blocked by process {a}.\n\tProcess {a}: "
                            f"UPDATE invoices SET status = 'sent' WHERE id = 41\n\tProcess {b}: "
                            "UPDATE invoices SET status = 'sent' WHERE id = 42")
                self.pg_add(t + 2, a, "HINT:  See server log for query details.")
                self.pg_add(t + 3, a, 'CONTEXT:  while updating tuple (0,41) in relation '
                                      '"invoices"')
                self.pg_add(t + 4, a, "STATEMENT:  UPDATE invoices SET status = 'sent'\n\t"
                                      "WHERE id = 41")
            elif k < 0.997:
                self.pg_add(t, self.autovac, 'LOG:  automatic vacuum of table '
                            '"ras.public.invoice_lines": index scans: 1\n\tpages: 0 removed, '
                            f'{rng.randint(2000, 9000)} remain, {rng.randint(10, 900)} scanned '
                            f'(4.20% of total)\n\ttuples: {rng.randint(100, 9000)} removed, '
                            f'{rng.randint(10**5, 10**6)} remain, 0 are dead but not yet '
                            'removable\n\tavg read rate: 0.000 MB/s, avg write rate: 2.118 MB/s'
                            '\n\tsystem usage: CPU: user: 0.05 s, system: 0.00 s, elapsed: '
                            '0.21 s')
            else:
                self.pg_add(t, self.checkpointer, "LOG:  checkpoint starting: time")
                b = rng.randint(100, 5000)
                self.pg_add(t + 27_000_000, self.checkpointer, f"LOG:  checkpoint complete: "
                            f"wrote {b} buffers ({b / 163.84:.1f}%); 0 WAL file(s) added, 0 "
                            f"removed, 1 recycled; write=26.912 s, sync=0.011 s, total=26.951 s;"
                            f" sync files={rng.randint(5, 60)}, longest=0.004 s, average=0.001 s;"
                            f" distance={b * 8} kB, estimate={b * 9} kB")

    # -- writing -------------------------------------------------------------------------------
    def flush(self, upto: int | None) -> None:
        """Writes every pending line before `upto` (all when None), in time order."""
        for name, pending in (("hammer.csv", self.hammer), ("app.log", self.app),
                              ("stderr.log", self.err)):
            pending.sort(key=FIRST)
            cut = len(pending) if upto is None else _bisect(pending, upto)
            text = "".join([x[1] for x in pending[:cut]])
            del pending[:cut]
            self.write(name, text)
            self.lines[name] += text.count("\n")
        self.pg.sort(key=FIRST)
        cut = len(self.pg) if upto is None else _bisect(self.pg, upto)
        out, clock, seq, who = [], self.clock, self.pg_line, self.pg_who
        for t, pid, body in self.pg[:cut]:
            if pid < 0:  # the session's user, db and app become known once authorized
                who[-pid] = body
                continue
            n = seq.get(pid, 0) + 1
            seq[pid] = n
            out.append(f"{clock.at(t)[1]} [{pid}]: [{n}-1] {who.get(pid, 'user=,db=,app=,client= ')}"
                       f"{body}\n")
        del self.pg[:cut]
        text = "".join(out)
        self.write("postgresql.log", text)
        self.lines["postgresql.log"] += text.count("\n")

    def run(self) -> None:
        t = self.t
        pm = self.next_pid()
        for msg in ("starting PostgreSQL 15.18 (Debian 15.18-0+deb12u1) on x86_64-pc-linux-gnu, "
                    "compiled by gcc (Debian 12.2.0-14+deb12u1) 12.2.0, 64-bit",
                    'listening on IPv4 address "0.0.0.0", port 5432',
                    "database system is ready to accept connections"):
            self.pg_add(t - 9_000_000, pm, f"LOG:  {msg}")
        for pid, msg in ((self.master, "Starting gunicorn 23.0.0"),
                         (self.master, "Listening at: http://0.0.0.0:8080 (%d)" % self.master),
                         (self.master, "Using worker: sync"),
                         *((w, f"Booting worker with pid: {w}") for w in self.workers)):
            self.gunicorn(t - 5_000_000, pid, "INFO", msg)
        for first in range(0, self.n, STEP):
            count = min(STEP, self.n - first)
            t_from = self.t
            self.requests(first, count)
            self.background(t_from, self.t, first / self.n, (first + count) / self.n)
            if (first + count) % CHUNK == 0:
                self.flush(self.t)
        end = max([x[0] for x in self.hammer + self.app + self.err + self.pg] + [self.t])
        self.gunicorn(end + 1_000_000, self.master, "INFO", "Handling signal: term")
        for w in self.workers:
            self.gunicorn(end + 1_100_000, w, "INFO", f"Worker exiting (pid: {w})")
        self.gunicorn(end + 1_300_000, self.master, "INFO", "Shutting down: Master")
        for msg in ("received fast shutdown request", "aborting any active transactions",
                    "database system is shut down"):
            self.pg_add(end + 2_000_000, pm, f"LOG:  {msg}")
        self.flush(None)
        self.queue.put(None)
        self.writer.join()
        if self.write_error:
            raise self.write_error
        for f in self.files.values():
            f.close()


def _bisect(pending: list, upto: int) -> int:
    lo, hi = 0, len(pending)
    while lo < hi:
        mid = (lo + hi) // 2
        if pending[mid][0] < upto:
            lo = mid + 1
        else:
            hi = mid
    return lo


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--size", required=True, help="total size: 100M, 1G, 2G or bytes")
    ap.add_argument("--seed", type=int, default=20261125)
    ap.add_argument("--out", required=True, type=Path)
    a = ap.parse_args()
    size = parse_size(a.size)
    a.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    run = Run(size, a.seed, a.out)
    run.run()
    secs = time.perf_counter() - t0
    total = sum((a.out / name).stat().st_size for name in SHARES)
    print(f"gen.py: {run.n} requests, seed {a.seed}, into {a.out}")
    for name in SHARES:
        b = (a.out / name).stat().st_size
        print(f"  {name:15} {b / 1e6:10.1f} MB {100 * b / total:5.1f} % {run.lines[name]:12,} lines")
    print(f"  {'total':15} {total / 1e6:10.1f} MB        {sum(run.lines.values()):12,} lines"
          f"  in {secs:.1f} s ({total / 1e6 / secs:.0f} MB/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
