#!/usr/bin/env python3
"""Incident lab: one real run of a ras-party-like service, written as a rootcause sample.

Starts a private PostgreSQL 15 (initdb in a temporary folder, 127.0.0.1 on a free port, unix
socket in that folder, run as the `postgres` system user when started as root), loads 10 000
businesses, runs labapp.py (Flask + SQLAlchemy + psycopg2, structlog JSON) under the
scenario's server (--server: werkzeug, gunicorn-sync/-gthread/-gevent, uwsgi, waitress),
hammers it with bounded bursts per route and writes the case folder:

  hammer.csv      the hammer's rows, written as each request finishes
  app.log         the app's structlog JSON lines (all workers, O_APPEND)
  stderr.log      the app server's console as it prints it (stdout and stderr)
  postgresql.log  the server's stderr, prefix '%m [%p] ' (with the logging collector: its
                  stderr-form file; postgresql.csv / postgresql.json beside it)
  truth.json      from the hammer's own tallies and the workers' in-memory counters, plus
                  line counts grepped from the files above and consistency checks

Absolute paths are rewritten afterwards to neutral ones: the app folder -> /srv/app, the venv
-> /srv/app/venv, the interpreter's stdlib -> /opt/python/lib/python3.11, the temporary folder
-> /tmp/rootcause-lab. Nothing else is edited.

Usage (see README.md): VENV/bin/python lab.py --scenario too-many-clients --out DIR
Everything listens on 127.0.0.1 only; the hammer's requests are bounded by the schedule.
"""
import argparse
import csv
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg2
import requests

HERE = Path(__file__).resolve().parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
ROUTES = ["/businesses?id=", "/businesses/id/", "/businesses/ref/"]
HEADER = ["sent_at", "route", "url", "request_count", "offset_ms", "status", "elapsed_ms", "error"]
N_BUSINESSES = 10_000


def phase(count, offset_ms):
    """One burst per route, in route order: [route, count, offset_ms]."""
    return [[r, count, offset_ms] for r in ROUTES]


SERVERS = ["werkzeug", "gunicorn-sync", "gunicorn-gthread", "gunicorn-gevent", "uwsgi", "waitress"]

BASE = {
    "server": "gunicorn-gthread",
    "workers": 4,  # gunicorn workers / uWSGI processes (werkzeug and waitress: one process)
    "threads": 8,  # gunicorn gthread / uWSGI / waitress threads (werkzeug: one per request)
    "gunicorn_timeout": 30,
    "worker_connections": 1000,  # gunicorn gevent
    "uwsgi_harakiri": None,
    "pool_class": "queue",
    "legacy_sleep_s": 0,
    "legacy_pct": 0,
    "run_as_user": None,  # e.g. "nobody": the app runs as that user (RLIMIT_NPROC applies)
    "ulimit_u": None,  # RLIMIT_NPROC for the app process (needs run_as_user when root)
    "pg_log_destinations": [],  # extra Postgres destinations: "csvlog", "jsonlog"
    "app_venv": None,  # venv the server runs from (default: the lab's own, sys.prefix)
    "logger": "structlog",
    "pool_size": 5,
    "max_overflow": 10,
    "pool_timeout_s": 2,
    "query_sleep_ms": 300,
    "ref_extra_sleep_ms": 0,
    "app_db_role": "superuser",
    "pg_max_connections": 100,
    "pg_superuser_reserved": 3,
    "pg_log_connections": True,
    "pg_log_disconnections": True,
    "hammer_timeout_s": 10.0,
    "pause_between_bursts_s": 1.0,
    # a "migration" holding LOCK TABLE businesses IN ACCESS EXCLUSIVE MODE on its own
    # connection: lock_at_s after the hammer starts, one transaction per entry of lock_holds_s
    # (seconds each, taken again at once after each commit); [] = none
    "lock_at_s": None,
    "lock_holds_s": [],
}

SCENARIOS = {
    "too-many-clients": {
        **BASE,
        "fault": "too_many_clients",
        "description": (
            "gunicorn gthread (4 workers x 8 threads), each worker with its own SQLAlchemy QueuePool "
            "of 5+10 (pool_timeout 2 s), ~300 ms queries, against Postgres max_connections=20 "
            "(superuser_reserved_connections=3; the app connects as a superuser). Gentle bursts "
            "(5 req/s), then heavy bursts (100 req/s), then gentle again."
        ),
        "root_cause": (
            "The workers' pools together may open 4 x (5+10) = 60 connections, and under the heavy "
            "bursts each worker needs up to 8 at once (32 in all), but Postgres allows only 20: "
            "new connections are refused with FATAL 'sorry, too many clients already', psycopg2 "
            "raises OperationalError at connect, SQLAlchemy re-raises it and the request fails "
            "with HTTP 500."
        ),
        "planned_signatures": ["pg_too_many_clients"],
        "primary_signature": "pg_too_many_clients",
        "pg_max_connections": 20,
        "pg_superuser_reserved": 3,
        "schedule": phase(25, 200) + phase(200, 10) + phase(25, 200),
    },
    "reserved-slots": {
        # Same as too-many-clients, but the app connects as an ordinary role, which Postgres
        # stops at max_connections - superuser_reserved_connections.
        **BASE,
        "fault": "too_many_clients",
        "description": (
            "As too-many-clients, but the app connects as a non-superuser role: Postgres "
            "refuses it once only the superuser-reserved slots are left."
        ),
        "root_cause": (
            "The workers' pools together need more connections than max_connections minus the "
            "superuser-reserved slots; Postgres refuses new ones with FATAL 'remaining connection "
            "slots are reserved for non-replication superuser connections' (and 'sorry, too many "
            "clients already' when the last slots are taken concurrently), the request fails "
            "with HTTP 500."
        ),
        "planned_signatures": ["pg_reserved_slots"],
        "primary_signature": "pg_reserved_slots",
        "app_db_role": "app",
        "pg_max_connections": 20,
        "pg_superuser_reserved": 3,
        "schedule": phase(25, 200) + phase(200, 10) + phase(25, 200),
    },
    "healthy": {
        **BASE,
        "fault": "none",
        "description": (
            "gunicorn gthread (4 workers x 8 threads), SQLAlchemy 5+10 per worker, ~300 ms "
            "queries, Postgres max_connections=100, gentle bursts only; every request should "
            "succeed."
        ),
        "root_cause": "No fault: capacity exceeds the offered load.",
        "planned_signatures": ["none"],
        "primary_signature": None,
        "schedule": phase(40, 200) + phase(40, 150),
    },
    # ---- the lab's cases committed as samples/lab-<name> (issue 10) ----
    "worker-timeout": {
        **BASE,
        "server": "gunicorn-sync",
        "fault": "worker_timeout_eof",
        "description": (
            "gunicorn sync (4 workers, --timeout 3), SQLAlchemy 5+10 per worker, ~20 ms queries; "
            "3 % of requests run an 8 s side query (pg_sleep on a second connection) after their "
            "first statement, while the session's transaction is open (a slow legacy path). "
            "Postgres also writes csvlog and jsonlog."
        ),
        "root_cause": (
            "A request on the slow path keeps its sync worker busy for 8 s, longer than gunicorn's "
            "3 s timeout: the arbiter logs WORKER TIMEOUT and kills the worker (SIGABRT, then "
            "SIGKILL) while its transaction is open; Postgres logs 'unexpected EOF on client "
            "connection with an open transaction' and the client gets no response."
        ),
        "planned_signatures": ["gunicorn_worker_timeout", "pg_eof_open_transaction"],
        "primary_signature": "gunicorn_worker_timeout",
        "gunicorn_timeout": 3,
        "threads": 1,
        "query_sleep_ms": 20,
        "legacy_sleep_s": 8,
        "legacy_pct": 3,
        "pg_log_destinations": ["csvlog", "jsonlog"],
        "schedule": phase(60, 150) + phase(30, 500),
    },
    "thread-exhaustion": {
        **BASE,
        "server": "werkzeug",
        "fault": "thread_exhaustion",
        "description": (
            "Flask's development server (werkzeug, threaded: one new thread per request) run as "
            "the unprivileged user nobody with RLIMIT_NPROC (ulimit -u) 20, SQLAlchemy 10+10 "
            "(pool_timeout 5 s), ~1 s queries, Postgres max_connections=100. Gentle bursts "
            "(5 req/s), heavy bursts (50 req/s), gentle again."
        ),
        "root_cause": (
            "Each request holds its thread for about a second; under the heavy bursts the "
            "process needs ~50 threads but the user may run only 20 tasks: pthread_create fails, "
            "socketserver's process_request raises 'RuntimeError: can't start new thread', the "
            "server prints the traceback and closes the connection; the client gets no response."
        ),
        "planned_signatures": ["thread_start_failed"],
        "primary_signature": "thread_start_failed",
        "workers": 1,
        "threads": None,
        "pool_size": 10,
        "max_overflow": 10,
        "pool_timeout_s": 5,
        "query_sleep_ms": 1000,
        "run_as_user": "nobody",
        "ulimit_u": 20,
        # the lab's venv links to an interpreter under /root (not readable by nobody): the app
        # runs from a second venv of Debian's python3.11 with the same packages (README.md)
        "app_venv": "/tmp/rcl-venv-user",
        "schedule": phase(30, 200) + phase(100, 20) + phase(30, 200),
    },
    "pool-exhaustion": {
        **BASE,
        "server": "uwsgi",
        "fault": "pool_exhaustion",
        "description": (
            "uWSGI (--master --processes 2 --threads 48, --harakiri 30), each process with a "
            "SQLAlchemy QueuePool of 5+10 (pool_timeout 2 s), ~1.5 s queries, Postgres "
            "max_connections=100. Gentle bursts (5 req/s), heavy bursts (100 req/s), gentle "
            "again. Postgres also writes csvlog."
        ),
        "root_cause": (
            "Each process runs 48 request threads but its pool holds at most 15 connections, each "
            "busy ~1.5 s: under the heavy bursts threads wait for a connection longer than "
            "pool_timeout and SQLAlchemy raises 'QueuePool limit of size 5 overflow 10 reached, "
            "connection timed out, timeout 2.00' -> HTTP 500."
        ),
        "planned_signatures": ["queuepool_exhausted"],
        "primary_signature": "queuepool_exhausted",
        "workers": 2,
        "threads": 48,
        "uwsgi_harakiri": 30,
        "query_sleep_ms": 1500,
        "pg_log_destinations": ["csvlog"],
        "schedule": phase(30, 200) + phase(150, 10) + phase(30, 200),
    },
    "pool-exhaustion-waitress": {
        **BASE,
        "server": "waitress",
        "fault": "pool_exhaustion",
        "description": (
            "waitress (--threads 32, one process), SQLAlchemy QueuePool 5+10 (pool_timeout 2 s), "
            "~1.5 s queries, Postgres max_connections=100. Gentle bursts (5 req/s), heavy bursts "
            "(50 req/s), gentle again; the hammer's timeout is 30 s."
        ),
        "root_cause": (
            "waitress runs 32 request threads but the pool holds at most 15 connections, each "
            "busy ~1.5 s: under the heavy bursts threads wait for a connection longer than "
            "pool_timeout and SQLAlchemy raises 'QueuePool limit of size 5 overflow 10 reached, "
            "connection timed out, timeout 2.00' -> HTTP 500; requests beyond the 32 threads "
            "queue inside waitress ('Task queue depth is N' warnings)."
        ),
        "planned_signatures": ["queuepool_exhausted"],
        "primary_signature": "queuepool_exhausted",
        "workers": 1,
        "threads": 32,
        "query_sleep_ms": 1500,
        # a queued request may wait >10 s inside waitress: the hammer waits up to 30 s here
        "hammer_timeout_s": 30.0,
        "schedule": phase(30, 200) + phase(100, 20) + phase(30, 200),
    },
    "too-many-clients-gevent": {
        **BASE,
        "server": "gunicorn-gevent",
        "fault": "too_many_clients",
        "description": (
            "gunicorn gevent (2 workers, 1000 worker_connections, psycopg2 made cooperative with "
            "psycogreen), SQLAlchemy NullPool (a connection per request, as Django's default "
            "CONN_MAX_AGE=0 in the Heroku notes), ~300 ms queries, Postgres max_connections=20 "
            "(superuser_reserved_connections=3; the app connects as a superuser). Gentle bursts "
            "(5 req/s), heavy bursts (100 req/s), gentle again. Postgres also writes jsonlog."
        ),
        "root_cause": (
            "Every greenlet opens its own connection and nothing bounds their number: under the "
            "heavy bursts ~30 requests are in flight, Postgres allows 20 and refuses the rest with "
            "FATAL 'sorry, too many clients already'; psycopg2 raises OperationalError at connect "
            "and the request fails with HTTP 500."
        ),
        "planned_signatures": ["pg_too_many_clients"],
        "primary_signature": "pg_too_many_clients",
        "workers": 2,
        "threads": None,
        "pool_class": "null",
        "pg_max_connections": 20,
        "pg_superuser_reserved": 3,
        "pg_log_destinations": ["jsonlog"],
        "schedule": phase(25, 200) + phase(100, 10) + phase(25, 200),
    },
    "healthy-waitress": {
        **BASE,
        "server": "waitress",
        "fault": "none",
        "description": (
            "waitress (--threads 8), SQLAlchemy 5+10, ~300 ms queries, Postgres "
            "max_connections=100, gentle bursts only; every request should succeed."
        ),
        "root_cause": "No fault: capacity exceeds the offered load.",
        "planned_signatures": ["none"],
        "primary_signature": None,
        "workers": 1,
        "threads": 8,
        "schedule": phase(40, 200) + phase(40, 150),
    },
    "healthy-slower": {
        **BASE,
        "server": "waitress",
        "fault": "none",
        "description": (
            "As healthy-waitress (waitress --threads 8, same load), but every query takes ~900 ms "
            "instead of ~300 ms; nothing fails, latency is about three times higher."
        ),
        "root_cause": "No fault: slower queries, but capacity still exceeds the offered load.",
        "planned_signatures": ["none"],
        "primary_signature": None,
        "workers": 1,
        "threads": 8,
        "query_sleep_ms": 900,
        "baseline_case": "lab-healthy",  # same stack and load at ~300 ms
        "schedule": phase(40, 200) + phase(40, 150),
    },
}
SCENARIOS["slow-db"] = {
    **BASE,
    "server": "uwsgi",
    "fault": "slow_db_lock",
    "description": (
        "uWSGI (--master --processes 2 --threads 16, --harakiri 5), each process with a "
        "SQLAlchemy QueuePool of 5+5 (pool_timeout 3 s), ~50 ms queries, Postgres "
        "max_connections=100. Bursts with the three routes in turn and 4 s pauses: three "
        "healthy bursts at 8 req/s; then a migration on its own connection takes LOCK TABLE "
        "businesses IN ACCESS EXCLUSIVE MODE in two transactions (10 s, committed, taken again "
        "at once for 16 s) while a gentle burst (4 req/s) and a long one at 8 req/s arrive; "
        "then two healthy bursts."
    ),
    "root_cause": (
        "The database turned slow: a migration held an ACCESS EXCLUSIVE lock on businesses, so "
        "every lookup waited on it inside its session's (implicitly begun) transaction with its "
        "connection checked out. The gentle burst's requests hung past --harakiri 5: uWSGI's "
        "master killed both workers (HARAKIRI ON WORKER, DAMN ! worker died, killed by signal "
        "9), their clients got no response, and when the migration's first step committed "
        "Postgres logged 'unexpected EOF on client connection with an open transaction' for "
        "each killed connection. Under the second step each respawned process's 10 connections "
        "were soon all waiting on the lock; the other request threads waited for the pool "
        "longer than pool_timeout and SQLAlchemy raised 'QueuePool limit of size 5 overflow 5 "
        "reached, connection timed out, timeout 3.00' -> HTTP 500, and the requests holding the "
        "connections outlived the client's 10 s timeout."
    ),
    "planned_signatures": ["queuepool_exhausted", "pg_eof_open_transaction", "uw_harakiri",
                           "uw_damn"],
    "primary_signature": "queuepool_exhausted",
    "workers": 2,
    "threads": 16,
    "uwsgi_harakiri": 5,
    "pool_size": 5,
    "max_overflow": 5,
    "pool_timeout_s": 3,
    "query_sleep_ms": 50,
    "pause_between_bursts_s": 4.0,
    # the lock: taken just before the 4th burst; the 1st step commits after the harakiri
    # kills of the gentle burst's workers and before the next burst starts, the 2nd step
    # covers that burst (see README.md for the timing)
    "lock_at_s": 23.6,
    "lock_holds_s": [10, 16],
    # "*": the routes in turn within one burst
    "schedule": [["*", 32, 125]] * 3 + [["*", 8, 250], ["*", 48, 125]] + [["*", 32, 125]] * 2,
}
# Output folder of each scenario (default of --out, relative to samples/).
OUT_NAMES = {"worker-timeout": "lab-worker-timeout", "thread-exhaustion": "lab-thread-exhaustion",
             "pool-exhaustion": "lab-pool-exhaustion",
             "pool-exhaustion-waitress": "lab-pool-exhaustion-waitress",
             "too-many-clients-gevent": "lab-too-many-clients-gevent",
             "healthy-waitress": "lab-healthy", "healthy-slower": "lab-healthy-slower",
             "slow-db": "lab-slow-db"}

# Signature ids (SIGNATURES.md / the rootcause catalog) and the text grepped for them.
SIGNATURE_PATTERNS = {
    "queuepool_exhausted": r"QueuePool limit of size \d+ overflow \d+ reached",
    "thread_start_failed": r"can't start new thread",
    "pg_eof_open_transaction": r"unexpected EOF on client connection with an open transaction",
    "pg_too_many_clients": r"sorry, too many clients already",
    "gunicorn_worker_timeout": r"WORKER TIMEOUT \(pid:\d+\)",
    "pg_reserved_slots": r"remaining connection slots are reserved for",
    "uw_harakiri": r"HARAKIRI ON WORKER \d+ \(pid: \d+, try: \d+",
    "uw_damn": r"DAMN ! worker \d+ \(pid: \d+\) (?:died|M[IY]STERIOUSLY killed)",
}
# (file, regex) of other lines worth counting.
OTHER_PATTERNS = {
    "app_uncaught_exception": ("app.log", r'"event": "Uncaught exception"'),
    "app_operational_error": ("app.log", r"OperationalError"),
    "stderr_socketserver_exception":
        ("stderr.log", r"Exception (?:happened|occurred) during processing of request"),
    "stderr_gunicorn_error_handling": ("stderr.log", r"Error handling request"),
    "stderr_gunicorn_worker_exiting": ("stderr.log", r"Worker exiting \(pid: \d+\)"),
    "stderr_waitress_queue_depth": ("stderr.log", r"Task queue depth is \d+"),
    "stderr_waitress_connection_limit": ("stderr.log", r"total open connections reached the connection limit"),
    "stderr_uwsgi_harakiri": ("stderr.log", r"HARAKIRI ON WORKER"),
    "stderr_uwsgi_listen_queue_full": ("stderr.log", r"listen queue of socket .* full"),
    "stderr_uwsgi_worker_died": ("stderr.log", r"DAMN ! worker \d+"),
    "stderr_worker_sigkill": ("stderr.log", r"was sent SIGKILL"),
    "stderr_worker_boot": ("stderr.log", r"Booting worker with pid"),
    "pg_unexpected_eof_any": ("postgresql.log", r"unexpected EOF on client connection"),
    "pg_could_not_receive": ("postgresql.log", r"could not receive data from client"),
    "pg_could_not_send": ("postgresql.log", r"could not send data to client"),
    "pg_connection_to_client_lost": ("postgresql.log", r"connection to client lost"),
    "pg_reserved_slots": ("postgresql.log", r"remaining connection slots are reserved for"),
    "pg_connection_authorized": ("postgresql.log", r"connection authorized: "),
    "pg_disconnection": ("postgresql.log", r"disconnection: session time: "),
    "pg_connection_received": ("postgresql.log", r"connection received: host="),
    "pg_fatal": ("postgresql.log", r"\] FATAL:  "),
    "stderr_traceback": ("stderr.log", r"^Traceback \(most recent call last\):"),
}
LOG_FILES = ["hammer.csv", "app.log", "stderr.log", "postgresql.log"]
# Access lines in stderr.log, by server (waitress has no access log of its own).
ACCESS_PATTERNS = {
    "werkzeug": r'^127\.0\.0\.1 - - \[[^]]+\] "GET ',
    "gunicorn-sync": r'^127\.0\.0\.1 - - \[[^]]+\] "GET ',
    "gunicorn-gthread": r'^127\.0\.0\.1 - - \[[^]]+\] "GET ',
    "gunicorn-gevent": r'^127\.0\.0\.1 - - \[[^]]+\] "GET ',
    "uwsgi": r"\[pid: \d+\|app: -?\d+\|req: \d+/\d+\] 127\.0\.0\.1 .* GET ",
    "waitress": None,
}
PG_DEST_FILES = {"csvlog": "postgresql.csv", "jsonlog": "postgresql.json"}


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def utc_now():
    return dt.datetime.now(dt.timezone.utc)


def stamp_z(t):
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def wait_for(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.1)
    raise SystemExit(f"lab: timed out waiting for {what}")


class Postgres:
    """A private PostgreSQL 15 cluster in ROOT/pgdata, stderr to LOG_PATH.

    With extra destinations (csvlog, jsonlog) the logging collector is on and writes
    ROOT/pglog/postgresql.log (stderr form), .csv and .json; the server's own stderr then
    holds only the lines before the collector started (ROOT/postgres-stderr.log), and
    collect() copies the collector's files to the case folder."""

    def __init__(self, root, log_path, sc):
        self.root, self.sc = root, sc
        self.out_log = log_path
        self.dests = list(sc.get("pg_log_destinations") or [])
        self.log_dir = root / "pglog"
        # the file the server's stderr goes to, and the one holding its stderr-form log
        self.stderr_path = root / "postgres-stderr.log" if self.dests else log_path
        self.log_path = self.log_dir / "postgresql.log" if self.dests else log_path
        self.data = root / "pgdata"
        self.sock = root / "pgsock"
        self.port = free_port()
        self.proc = None
        self.user = None
        if os.geteuid() == 0:  # initdb refuses root
            self.user = "postgres"
            try:
                import pwd

                pwd.getpwnam("postgres")
            except KeyError:
                self.user = "nobody"

    def _popen(self, args, **kw):
        if self.user:
            kw.update(user=self.user, group=self._group())
        return subprocess.Popen(args, cwd=self.root, **kw)

    def _group(self):
        import grp
        import pwd

        return grp.getgrgid(pwd.getpwnam(self.user).pw_gid).gr_name

    def start(self):
        for d in (self.data, self.sock) + ((self.log_dir,) if self.dests else ()):
            d.mkdir()
            if self.user:
                shutil.chown(d, self.user, self._group())
        self.data.chmod(0o700)
        with open(self.root / "initdb.log", "w") as out:
            rc = self._popen(
                [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                 "--no-locale", "-E", "UTF8"],
                stdout=out, stderr=subprocess.STDOUT,
            ).wait()
        if rc != 0:
            raise SystemExit(f"lab: initdb failed, see {self.root / 'initdb.log'}")
        sc = self.sc
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.sock),
            "max_connections": str(sc["pg_max_connections"]),
            "superuser_reserved_connections": str(sc["pg_superuser_reserved"]),
            "log_connections": "on" if sc["pg_log_connections"] else "off",
            "log_disconnections": "on" if sc["pg_log_disconnections"] else "off",
            "log_line_prefix": "%m [%p] ",
            "logging_collector": "off",
            "log_destination": "stderr",
            "log_timezone": "UTC",
        }
        if self.dests:
            settings.update({
                "logging_collector": "on",
                "log_destination": ",".join(["stderr"] + self.dests),
                "log_directory": str(self.log_dir),
                "log_filename": "postgresql.log",  # -> postgresql.csv / postgresql.json
                "log_rotation_age": "0",
                "log_rotation_size": "0",
                "log_file_mode": "0644",
            })
        args = [str(PG_BIN / "postgres"), "-D", str(self.data)]
        for k, v in settings.items():
            args += ["-c", f"{k}={v}"]
        self.logf = open(self.stderr_path, "ab")
        self.proc = self._popen(args, stdout=self.logf, stderr=self.logf)
        wait_for(
            lambda: self.log_path.exists()
            and b"database system is ready to accept connections" in self.log_path.read_bytes(),
            60, "postgres to start",
        )

    def collect(self, out):
        """Copy the collector's files to OUT (after stop); return the extra files written."""
        extra = []
        if self.dests:
            shutil.copyfile(self.log_path, self.out_log)
            for d in self.dests:
                name = PG_DEST_FILES[d]
                shutil.copyfile(self.log_dir / name, out / name)
                extra.append(out / name)
        return extra

    def connect(self, dbname="postgres", user="postgres"):
        return psycopg2.connect(host="127.0.0.1", port=self.port, user=user, dbname=dbname)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()


def load_businesses(pg, sc, rng):
    """Create database ras, table businesses with N_BUSINESSES rows; return (ids, refs, app role)."""
    conn = pg.connect()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("CREATE DATABASE ras")
    conn.close()
    rows = []
    for i in range(N_BUSINESSES):
        bid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        rows.append((bid, str(49900000000 + i), f"Business {i:05d} Ltd", f"NP{i % 100:02d} {i % 9}XX"))
    conn = pg.connect("ras")
    with conn, conn.cursor() as cur:
        cur.execute(
            "CREATE TABLE businesses (id text PRIMARY KEY, ref text UNIQUE NOT NULL, "
            "name text NOT NULL, postcode text NOT NULL)"
        )
        args = ",".join(cur.mogrify("(%s,%s,%s,%s)", r).decode() for r in rows)
        cur.execute("INSERT INTO businesses VALUES " + args)
        role = "postgres"
        if sc["app_db_role"] != "superuser":
            role = "ras_party"
            cur.execute("CREATE ROLE ras_party LOGIN")
            cur.execute("GRANT SELECT ON businesses TO ras_party")
        cur.execute("ANALYZE businesses")
    conn.close()
    return [r[0] for r in rows], [r[1] for r in rows], role


def server_command(sc, port, venv_bin):
    """The server's command line (run in the app folder)."""
    server = sc["server"]
    if server == "werkzeug":
        # Flask's development server: werkzeug, threaded (a new thread per request), no reloader.
        return [str(venv_bin / "flask"), "--app", "labapp", "run", "--host", "127.0.0.1",
                "--port", str(port), "--with-threads", "--no-reload", "--no-debugger"]
    if server.startswith("gunicorn-"):
        args = [str(venv_bin / "gunicorn"), "--bind", f"127.0.0.1:{port}",
                "--workers", str(sc["workers"]), "--worker-class", server.split("-", 1)[1],
                "--timeout", str(sc["gunicorn_timeout"])]
        if server == "gunicorn-gthread":
            args += ["--threads", str(sc["threads"])]
        if server == "gunicorn-gevent":
            args += ["--worker-connections", str(sc["worker_connections"])]
        return args + ["--access-logfile", "-", "labapp:app"]
    if server == "uwsgi":
        # HTTP straight into the workers (--http-socket, no router process); every line of
        # uWSGI's own log (request lines included) prefixed with --log-date's date; each worker
        # loads the app itself (--lazy-apps), so every process has its own engine and pool.
        args = [str(venv_bin / "uwsgi"), "--http-socket", f"127.0.0.1:{port}", "--master",
                "--processes", str(sc["workers"]), "--threads", str(sc["threads"]),
                "--lazy-apps", "--virtualenv", str(venv_bin.parent), "--wsgi-file", "labapp.py",
                "--callable", "app", "--need-app", "--log-date"]
        if sc["uwsgi_harakiri"]:
            args += ["--harakiri", str(sc["uwsgi_harakiri"])]
        return args
    if server == "waitress":
        return [str(venv_bin / "waitress-serve"), "--listen", f"127.0.0.1:{port}",
                "--threads", str(sc["threads"]), "labapp:app"]
    raise SystemExit(f"lab: unknown server {server}")


def app_processes(sc):
    """How many processes load the app (one counters file each)."""
    if sc["server"].startswith("gunicorn-") or sc["server"] == "uwsgi":
        return sc["workers"]
    return 1


def start_app(sc, root, out, pg, role, venv_bin):
    app_dir = root / "app"
    app_dir.mkdir()
    shutil.copyfile(HERE / "labapp.py", app_dir / "labapp.py")
    counters = root / "counters"
    counters.mkdir()
    port = free_port()
    env = dict(os.environ)
    env.update(
        HOME=str(app_dir),  # gunicorn's control socket goes to $HOME/.gunicorn/gunicorn.ctl
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
        LAB_DB_URL=f"postgresql+psycopg2://{role}@127.0.0.1:{pg.port}/ras",
        LAB_APP_LOG=str(out / "app.log"),
        LAB_COUNTERS_DIR=str(counters),
        LAB_POOL_SIZE=str(sc["pool_size"]),
        LAB_MAX_OVERFLOW=str(sc["max_overflow"]),
        LAB_POOL_TIMEOUT_S=str(sc["pool_timeout_s"]),
        LAB_POOL_CLASS=sc["pool_class"],
        LAB_QUERY_SLEEP_MS=str(sc["query_sleep_ms"]),
        LAB_REF_EXTRA_SLEEP_MS=str(sc["ref_extra_sleep_ms"]),
        LAB_LEGACY_SLEEP_S=str(sc["legacy_sleep_s"]),
        LAB_LEGACY_PCT=str(sc["legacy_pct"]),
    )
    if sc["server"] == "gunicorn-gevent":
        env["LAB_PSYCOGREEN"] = "1"
    env.pop("FLASK_DEBUG", None)
    args = server_command(sc, port, venv_bin)
    venv = str(venv_bin.parent)
    sc["server_command"] = [a.replace(venv, "/srv/app/venv").replace(str(port), "PORT") for a in args]
    # stdout and stderr share one O_APPEND file, like a console.
    fd = os.open(out / "stderr.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    kw = {}
    user = sc["run_as_user"]
    if user:
        import grp
        import pwd

        pw = pwd.getpwnam(user)
        group = grp.getgrgid(pw.pw_gid).gr_name
        for path in (app_dir, counters, out / "app.log"):
            path.touch(exist_ok=True)
            shutil.chown(path, user, group)
        env.update(USER=user, LOGNAME=user)
        kw.update(user=user, group=group, extra_groups=[])
    if sc["ulimit_u"]:
        import resource

        n = sc["ulimit_u"]
        kw["preexec_fn"] = lambda: resource.setrlimit(resource.RLIMIT_NPROC, (n, n))
    proc = subprocess.Popen(args, cwd=app_dir, env=env, stdout=fd, stderr=fd,
                            stdin=subprocess.DEVNULL, **kw)
    os.close(fd)
    n_proc = app_processes(sc)
    def ready():
        if proc.poll() is not None:
            raise SystemExit(f"lab: the server exited ({proc.returncode}); see {out / 'stderr.log'}")
        return len(list(counters.glob("worker-*.json"))) >= n_proc
    wait_for(ready, 60, "the app's processes")
    if sc["server"] in ("werkzeug", "waitress"):  # the app is imported before the socket listens
        def listening():
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return True
            except OSError:
                return False
        wait_for(listening, 30, "the server to listen")
    return proc, port, app_dir, counters


def stop_app(proc, sc):
    if proc.poll() is None:
        # gunicorn: SIGTERM is a graceful stop; uWSGI: SIGINT stops it (SIGTERM would reload);
        # werkzeug and waitress stop on SIGINT (KeyboardInterrupt) as at a console.
        sig = signal.SIGTERM if sc["server"].startswith("gunicorn-") else signal.SIGINT
        proc.send_signal(sig)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Hammer:
    """Bursts of N requests, one every offset_ms, per schedule entry; waits for each burst."""

    def __init__(self, base, sc, ids, refs, csv_path, rng):
        self.base, self.sc, self.ids, self.refs, self.rng = base, sc, ids, refs, rng
        self.f = open(csv_path, "w", newline="")
        self.w = csv.writer(self.f, lineterminator="\n")
        self.w.writerow(HEADER)
        self.lock = threading.Lock()
        self.results = []  # (sent_at, route, status or None, elapsed_ms, error)

    def url(self, route):
        if route == "/businesses?id=":
            return f"{self.base}/businesses?id={self.rng.choice(self.ids)}"
        if route == "/businesses/id/":
            return f"{self.base}/businesses/id/{self.rng.choice(self.ids)}"
        return f"{self.base}/businesses/ref/{self.rng.choice(self.refs)}"

    def one(self, route, url, count, offset_ms):
        sent = utc_now()
        t0 = time.perf_counter()
        try:
            r = requests.get(url, timeout=self.sc["hammer_timeout_s"])
            status, error = r.status_code, ""
        except Exception as exc:  # no response: record it, as the corpus hammer does
            status, error = None, f"{type(exc).__name__}: {exc}"
        elapsed = round((time.perf_counter() - t0) * 1000.0, 1)
        with self.lock:
            self.w.writerow([stamp_z(sent), route, url, count, offset_ms,
                             "" if status is None else status, f"{elapsed:.1f}", error])
            self.f.flush()
            self.results.append((sent, route, status, elapsed, error))

    def run(self):
        for route, count, offset_ms in self.sc["schedule"]:
            threads = []
            t0 = time.monotonic()
            for i in range(count):
                delay = t0 + i * offset_ms / 1000.0 - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                r = ROUTES[i % len(ROUTES)] if route == "*" else route  # "*": the routes in turn
                th = threading.Thread(target=self.one, args=(r, self.url(r), count, offset_ms))
                th.start()
                threads.append(th)
            for th in threads:
                th.join()
            time.sleep(self.sc["pause_between_bursts_s"])
        self.f.close()
        return self.results


class Migration(threading.Thread):
    """The "slow database": lock_at_s after start(), on its own connection, one transaction
    per hold in lock_holds_s: BEGIN; LOCK TABLE businesses IN ACCESS EXCLUSIVE MODE; hold;
    COMMIT, the next taken at once. Every lookup waits for the lock meanwhile. self.windows
    gets each hold's (locked, committed) UTC times."""

    def __init__(self, pg, sc):
        super().__init__(daemon=True)
        self.pg, self.sc, self.windows, self.error = pg, sc, [], None

    def run(self):
        try:
            time.sleep(self.sc["lock_at_s"])
            conn = self.pg.connect("ras")
            with conn.cursor() as cur:
                for hold in self.sc["lock_holds_s"]:
                    cur.execute("LOCK TABLE businesses IN ACCESS EXCLUSIVE MODE")  # begins
                    locked = utc_now()
                    time.sleep(hold)
                    conn.commit()
                    self.windows.append((locked, utc_now()))
            conn.close()
        except Exception as exc:  # noted in the truth; the run goes on
            self.error = f"{type(exc).__name__}: {exc}"


def rewrite_paths(files, mapping):
    pairs = sorted(mapping.items(), key=lambda kv: -len(kv[0]))
    for p in files:
        data = p.read_text(encoding="utf-8", errors="surrogateescape")
        for old, new in pairs:
            data = data.replace(old, new)
        p.write_text(data, encoding="utf-8", errors="surrogateescape")


def grep_count(path, regex):
    rx = re.compile(regex)
    with open(path, encoding="utf-8", errors="replace") as f:
        return sum(1 for line in f if rx.search(line))


def outcome_key(status):
    return "no_response" if status is None else str(status)


def latency_stats(values):
    if not values:
        return {"n": 0, "mean": None, "p50": None, "p95": None, "max": None}
    v = sorted(values)

    def pct(q):  # linear interpolation between closest ranks
        k = (len(v) - 1) * q
        lo = int(k)
        hi = min(lo + 1, len(v) - 1)
        return v[lo] + (v[hi] - v[lo]) * (k - lo)

    return {"n": len(v), "mean": round(sum(v) / len(v), 1), "p50": round(pct(0.5), 1),
            "p90": round(pct(0.9), 1), "p95": round(pct(0.95), 1), "p99": round(pct(0.99), 1),
            "max": round(v[-1], 1)}


def build_truth(sc, out, results, workers, run_seconds, pg_extra_files=()):
    # hammer tallies
    sent = len(results)
    outcomes = {"200": 0, "500": 0, "404": 0, "no_response": 0}
    by_route = {r: {"sent": 0, "outcomes": {}, "lat": []} for r in ROUTES}
    first_last = {}
    for s_at, route, status, elapsed, _err in results:
        k = outcome_key(status)
        outcomes[k] = outcomes.get(k, 0) + 1
        br = by_route[route]
        br["sent"] += 1
        br["outcomes"][k] = br["outcomes"].get(k, 0) + 1
        if status == 200:
            br["lat"].append(elapsed)
        fl = first_last.setdefault(k, [s_at, s_at])
        fl[0], fl[1] = min(fl[0], s_at), max(fl[1], s_at)

    def order(d):
        keys = ["200", "500", "404", "no_response"]
        return {k: d[k] for k in keys + sorted(set(d) - set(keys)) if d.get(k)}

    # app counters, summed over the worker processes
    app = {r: {"hit": 0, "started": 0, "completed": 0, "status": {}} for r in ROUTES}
    in_txn_sleeps = sum(w.get("in_transaction_sleeps", 0) for w in workers)
    uncaught = 0
    uncaught_by_type = {}
    for w in workers:
        uncaught += w["uncaught_exceptions"]
        for t, n in w["uncaught_by_type"].items():
            uncaught_by_type[t] = uncaught_by_type.get(t, 0) + n
        for r, c in w["routes"].items():
            for stage in ("hit", "started", "completed"):
                app[r][stage] += c[stage]
            for st, n in c["status"].items():
                app[r]["status"][st] = app[r]["status"].get(st, 0) + n
    counts = {"sent": sent}
    for stage in ("hit", "started", "completed"):
        counts[stage] = sum(app[r][stage] for r in ROUTES)

    # grep the produced files
    files = {name: out / name for name in LOG_FILES}
    sig_by_file = {}
    sig_counts = {}
    for sig, rx in SIGNATURE_PATTERNS.items():
        per = {name: grep_count(p, rx) for name, p in files.items()}
        sig_counts[sig] = sum(per.values())
        nz = {k: v for k, v in per.items() if v}
        if nz:
            sig_by_file[sig] = nz
    other = {k: grep_count(files[f], rx) for k, (f, rx) in OTHER_PATTERNS.items()}
    access_rx = ACCESS_PATTERNS[sc["server"]]
    other["stderr_access_lines"] = grep_count(files["stderr.log"], access_rx) if access_rx else None
    # the same run's other Postgres destinations: the signatures' lines in each
    pg_dest_counts = {}
    for path in pg_extra_files:
        pg_dest_counts[path.name] = {sig: grep_count(path, rx) for sig, rx in SIGNATURE_PATTERNS.items()}
        for k in ("pg_connection_received", "pg_connection_authorized", "pg_disconnection"):
            pg_dest_counts[path.name][k] = grep_count(path, OTHER_PATTERNS[k][1])

    observed = [s for s in SIGNATURE_PATTERNS if sig_counts[s] > 0]
    expected = observed or ["none"]
    planned = sc["planned_signatures"]
    # The signature whose text is in the requests' own failures (the app's exceptions).
    app_fail = {s: sig_by_file.get(s, {}).get("app.log", 0) for s in observed}
    primary = max(app_fail, key=app_fail.get) if any(app_fail.values()) else None
    if primary is None and observed:
        primary = sc["primary_signature"] if sc["primary_signature"] in observed else observed[0]
    if set(expected) == set(planned) and primary == sc["primary_signature"]:
        notes = "reproduced as planned"
    else:
        notes = (f"planned {planned} (primary {sc['primary_signature']}); the logs show {expected} "
                 f"and the requests fail with {primary}")

    app_500 = sum(app[r]["status"].get("500", 0) for r in ROUTES)
    app_200 = sum(app[r]["status"].get("200", 0) for r in ROUTES)
    with open(files["hammer.csv"], newline="") as f:
        csv_rows = sum(1 for _ in csv.DictReader(f))
    responses = sent - outcomes.get("no_response", 0)
    pg_refusals = sig_by_file.get("pg_too_many_clients", {}).get("postgresql.log", 0) + \
        sig_by_file.get("pg_reserved_slots", {}).get("postgresql.log", 0)
    checks = {
        "hammer_csv_rows_equal_sent": csv_rows == sent,
        "app_log_function_hit_lines_equal_hit":
            grep_count(files["app.log"], r'"event": "function hit"') == counts["hit"],
        "app_log_query_started_lines_equal_started":
            grep_count(files["app.log"], r'"event": "query started"') == counts["started"],
        "app_log_query_completed_lines_equal_completed":
            grep_count(files["app.log"], r'"event": "query completed"') == counts["completed"],
        "app_log_uncaught_lines_equal_app_uncaught": other["app_uncaught_exception"] == uncaught,
        "hammer_200_equal_app_200": outcomes.get("200", 0) == app_200,
        "hammer_500_equal_app_500": outcomes.get("500", 0) == app_500,
        "hammer_sent_equal_app_hit": sent == counts["hit"],
    }
    if access_rx:
        checks["stderr_access_lines_equal_responses"] = other["stderr_access_lines"] == responses
    checks["pg_refusals_equal_app_operational_errors"] = pg_refusals == other["app_operational_error"]
    checks["pg_fatal_lines_equal_refusals"] = other["pg_fatal"] == pg_refusals
    # "too many clients" is raised before authentication (no "connection authorized" line);
    # the reserved-slots check comes after it, and neither refusal logs a disconnection.
    pg_too_many = sig_by_file.get("pg_too_many_clients", {}).get("postgresql.log", 0)
    pg_reserved = sig_by_file.get("pg_reserved_slots", {}).get("postgresql.log", 0)
    if sc["pg_log_connections"]:
        checks["pg_connections_received_equal_authorized_plus_too_many"] = (
            other["pg_connection_received"] == other["pg_connection_authorized"] + pg_too_many)
    if sc["pg_log_disconnections"] and sc["pg_log_connections"]:
        checks["pg_authorized_minus_reserved_refusals_equal_disconnections"] = (
            other["pg_connection_authorized"] - pg_reserved == other["pg_disconnection"])

    # each server-side kill or failed thread start leaves one request without a response
    no_resp = outcomes.get("no_response", 0)
    check_notes = {}
    n_timeouts = sig_by_file.get("gunicorn_worker_timeout", {}).get("stderr.log", 0)
    if n_timeouts:
        checks["worker_timeouts_equal_no_response"] = n_timeouts == no_resp
        # a worker killed on the slow path held two connections in a transaction: its session's
        # (idle in transaction: EOF at the kill) and the side query's (EOF when pg_sleep ends)
        checks["pg_eof_open_transaction_equal_two_per_worker_timeout"] = (
            sig_by_file.get("pg_eof_open_transaction", {}).get("postgresql.log", 0) == 2 * n_timeouts)
        checks["app_in_transaction_sleeps_at_least_worker_timeouts"] = in_txn_sleeps >= n_timeouts
    n_thread = sig_by_file.get("thread_start_failed", {}).get("stderr.log", 0)
    if n_thread:
        # a request whose thread could not start never reaches the app (no "function hit")
        checks["hammer_sent_minus_thread_start_failures_equal_app_hit"] = sent - n_thread == counts["hit"]
        check_notes["hammer_sent_equal_app_hit"] = (
            "false by design here: the server could not start a thread for the requests without "
            "a response, so the app never saw them (see the check above)")
        checks["thread_start_failures_equal_no_response"] = n_thread == no_resp
        checks["socketserver_banners_equal_thread_start_failures"] = (
            other["stderr_socketserver_exception"] == n_thread)
    n_harakiri = sig_by_file.get("uw_harakiri", {}).get("stderr.log", 0)
    if n_harakiri:
        # the master SIGKILLs the worker: one "DAMN ! worker N ... died, killed by signal 9" each
        checks["uwsgi_worker_died_equal_harakiri"] = other["stderr_uwsgi_worker_died"] == n_harakiri
    if sc.get("db_lock"):
        # requests that outlived the client's timeout (ReadTimeout) were still served later:
        # the app counted their 200 and uWSGI logged their request line
        read_timeouts = sum(1 for *_x, err in results if err.startswith("ReadTimeout"))
        killed = no_resp - read_timeouts  # the rest: the connection closed by a killed worker
        checks["app_200_minus_hammer_200_equal_client_read_timeouts"] = (
            app_200 - outcomes.get("200", 0) == read_timeouts)
        checks["stderr_access_lines_equal_responses_plus_client_read_timeouts"] = (
            other["stderr_access_lines"] == responses + read_timeouts)
        # a request killed in flight had started its query and held its connection in a
        # transaction (waiting on the lock): one EOF line each, when the lock was released
        in_flight_killed = counts["started"] - counts["completed"] - uncaught
        checks["no_response_minus_read_timeouts_equal_started_not_completed_nor_failed"] = (
            killed == in_flight_killed)
        checks["pg_eof_open_transaction_equal_requests_killed_in_flight"] = (
            sig_by_file.get("pg_eof_open_transaction", {}).get("postgresql.log", 0) == in_flight_killed)
        if read_timeouts:
            check_notes["hammer_200_equal_app_200"] = (
                "false by design here: requests that waited on the lock longer than the hammer's "
                "timeout got no response (ReadTimeout) but completed with 200 in the app once the "
                "lock was released (see app_200_minus_hammer_200_equal_client_read_timeouts)")
            check_notes["stderr_access_lines_equal_responses"] = (
                "false by design here: uWSGI logged a request line for the requests the hammer had "
                "given up on (see stderr_access_lines_equal_responses_plus_client_read_timeouts); "
                "the requests killed by HARAKIRI have none")
    for name, per in pg_dest_counts.items():
        for sig in SIGNATURE_PATTERNS:
            if per[sig] or sig_by_file.get(sig, {}).get("postgresql.log", 0):
                checks[f"{name}_{sig}_lines_equal_postgresql_log"] = (
                    per[sig] == sig_by_file.get(sig, {}).get("postgresql.log", 0))
        for k in ("pg_connection_received", "pg_connection_authorized", "pg_disconnection"):
            checks[f"{name}_{k}_equal_postgresql_log"] = per[k] == other[k]

    funnel_by_route, hammer_by_route = {}, {}
    for r in ROUTES:
        br = by_route[r]
        funnel_by_route[r] = {"sent": br["sent"], "hit": app[r]["hit"], "started": app[r]["started"],
                              "completed": app[r]["completed"], "outcomes": order(br["outcomes"])}
        hammer_by_route[r] = {"sent": br["sent"], "outcomes": order(br["outcomes"]),
                              "latency_200_ms": latency_stats(br["lat"])}

    def iso(t):
        return t.isoformat(timespec="milliseconds")

    all_lat = [e for _s, _r, st, e, _x in results if st == 200]
    server_cfg = {"name": sc["server"], "command": sc.get("server_command")}
    if sc["server"].startswith("gunicorn-"):
        server_cfg.update(workers=sc["workers"], worker_class=sc["server"].split("-", 1)[1],
                          threads=sc["threads"] if sc["server"] == "gunicorn-gthread" else 1,
                          timeout=sc["gunicorn_timeout"])
        if sc["server"] == "gunicorn-gevent":
            server_cfg["worker_connections"] = sc["worker_connections"]
    elif sc["server"] == "uwsgi":
        server_cfg.update(processes=sc["workers"], threads=sc["threads"], harakiri=sc["uwsgi_harakiri"])
    elif sc["server"] == "waitress":
        server_cfg.update(threads=sc["threads"])
    else:
        server_cfg.update(threaded=True)
    return {
        "server": sc["server"],
        "fault": sc["fault"],
        "description": sc["description"],
        "expected_signatures": expected,
        "root_cause": sc["root_cause"],
        "counts": counts,
        "outcomes": outcomes,
        "clock_skew_ms": 0,
        "notes": notes,
        "planned_signatures": planned,
        "signature_line_counts": sig_counts,
        "signature_lines_by_file": sig_by_file,
        "postgres_other_destinations": pg_dest_counts,
        "other_line_counts": other,
        "app_uncaught_exceptions": uncaught,
        "app_uncaught_by_type": uncaught_by_type,
        "app_in_transaction_sleeps": in_txn_sleeps,
        "latency_200_ms": latency_stats(all_lat),
        "baseline_case": sc.get("baseline_case"),
        "db_lock": sc.get("db_lock"),
        "funnel_by_route": funnel_by_route,
        "hammer_by_route": hammer_by_route,
        "outcome_first_last_sent_utc": {
            k: {"first": iso(v[0]), "last": iso(v[1])} for k, v in order_fl(first_last).items()},
        "hammer_timestamp_utc_offset_min": 0,
        "app_processes_counted": len(workers),
        "consistency_checks": checks,
        "consistency_check_notes": check_notes,
        "run_seconds": round(run_seconds, 1),
        "config": {
            "server": sc["server"],
            "server_options": server_cfg,
            # the key earlier lab runs (samples/too-many-clients) wrote; gunicorn servers only
            "gunicorn": ({k: server_cfg[k] for k in ("workers", "worker_class", "threads", "timeout")}
                         if sc["server"].startswith("gunicorn-") else None),
            "logger": sc["logger"],
            "pool_size": sc["pool_size"],
            "max_overflow": sc["max_overflow"],
            "pool_timeout_s": sc["pool_timeout_s"],
            "query_sleep_ms": sc["query_sleep_ms"],
            "ref_extra_sleep_ms": sc["ref_extra_sleep_ms"],
            "pool_class": sc["pool_class"],
            "legacy_sleep_s": sc["legacy_sleep_s"],
            "legacy_pct": sc["legacy_pct"],
            "run_as_unprivileged_user": sc["run_as_user"] or False,
            "ulimit_u": sc["ulimit_u"],
            "app_db_role": sc["app_db_role"],
            "postgres": {
                "prefix": "%m [%p] ",
                "log_connections": sc["pg_log_connections"],
                "log_disconnections": sc["pg_log_disconnections"],
                "max_connections": sc["pg_max_connections"],
                "superuser_reserved": sc["pg_superuser_reserved"],
                "log_destination": ",".join(["stderr"] + sc["pg_log_destinations"]),
                "logging_collector": bool(sc["pg_log_destinations"]),
            },
            "hammer_timeout_s": sc["hammer_timeout_s"],
            "pause_between_bursts_s": sc["pause_between_bursts_s"],
            "lock_at_s": sc["lock_at_s"],
            "lock_holds_s": sc["lock_holds_s"],
            "schedule": sc["schedule"],
        },
        "primary_signature": primary,
    }


def order_fl(d):
    keys = ["200", "500", "404", "no_response"]
    return {k: d[k] for k in keys + sorted(set(d) - set(keys)) if k in d}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="too-many-clients", choices=sorted(SCENARIOS))
    ap.add_argument("--server", choices=SERVERS,
                    help="the app server (default: the scenario's; see README.md)")
    ap.add_argument("--out", type=Path,
                    help="case folder to write (default samples/lab-SCENARIO for the issue-10 cases, "
                         "else samples/SCENARIO)")
    ap.add_argument("--seed", type=int, default=20261125, help="seed for ids and the hammer's picks")
    ap.add_argument("--app-venv", type=Path,
                    help="venv the app server runs from (default: the scenario's, else the lab's)")
    ap.add_argument("--keep-temp", action="store_true", help="keep the temporary folder")
    a = ap.parse_args()
    sc = dict(SCENARIOS[a.scenario])
    if a.server and a.server != sc["server"]:
        sc["description"] += f" [Run with --server {a.server} instead of the scenario's {sc['server']}.]"
        sc["server"] = a.server
        if a.server in ("werkzeug", "waitress"):
            sc["workers"] = 1
        if a.server in ("gunicorn-gthread", "uwsgi", "waitress") and not sc["threads"]:
            sc["threads"] = BASE["threads"]
    out = (a.out or HERE.parent / OUT_NAMES.get(a.scenario, a.scenario)).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for name in LOG_FILES + list(PG_DEST_FILES.values()) + ["truth.json"]:
        (out / name).unlink(missing_ok=True)
    if a.app_venv:
        sc["app_venv"] = str(a.app_venv)
    app_venv = Path(sc["app_venv"] or sys.prefix)
    venv_bin = app_venv / "bin"
    app_stdlib = subprocess.run(
        [str(venv_bin / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"],
        capture_output=True, text=True, check=True).stdout.strip()
    exe = {"werkzeug": "flask", "uwsgi": "uwsgi", "waitress": "waitress-serve"}.get(sc["server"], "gunicorn")
    if not (venv_bin / exe).exists():
        raise SystemExit(f"lab: no {exe} in {venv_bin}; run lab.py with the venv's python")
    rng = random.Random(a.seed)
    root = Path(tempfile.mkdtemp(prefix="rcl-"))
    root.chmod(0o755)
    pg = Postgres(root, out / "postgresql.log", sc)
    app_proc = None
    t_start = time.monotonic()
    try:
        pg.start()
        ids, refs, role = load_businesses(pg, sc, rng)
        app_proc, port, app_dir, counters_dir = start_app(sc, root, out, pg, role, venv_bin)
        time.sleep(1.0)
        migration = None
        if sc["lock_holds_s"]:
            migration = Migration(pg, sc)
            migration.start()
        results = Hammer(f"http://127.0.0.1:{port}", sc, ids, refs, out / "hammer.csv", rng).run()
        if migration is not None:
            migration.join()
            sc["db_lock"] = {
                "statement": "LOCK TABLE businesses IN ACCESS EXCLUSIVE MODE",
                "at_s_after_hammer_start": sc["lock_at_s"],
                "holds_s": sc["lock_holds_s"],
                "windows_utc": [{"start": stamp_z(a), "end": stamp_z(b)} for a, b in migration.windows],
                "start_utc": stamp_z(migration.windows[0][0]) if migration.windows else None,
                "end_utc": stamp_z(migration.windows[-1][1]) if migration.windows else None,
                "error": migration.error,
            }
        time.sleep(1.0)
        stop_app(app_proc, sc)
        pg.stop()
        pg_extra = pg.collect(out)
        run_seconds = time.monotonic() - t_start
        workers = [json.loads(p.read_text()) for p in sorted(counters_dir.glob("worker-*.json"))]
        if sc["run_as_user"]:
            shutil.chown(out / "app.log", "root", "root")
        rewrite_paths(
            [out / "app.log", out / "stderr.log", out / "postgresql.log"] + pg_extra,
            {
                str(app_dir): "/srv/app",
                sys.prefix: "/srv/app/venv",
                str(app_venv): "/srv/app/venv",
                sysconfig.get_paths()["stdlib"]: "/opt/python/lib/python3.11",
                app_stdlib: "/opt/python/lib/python3.11",
                str(root): "/tmp/rootcause-lab",
            },
        )
        truth = build_truth(sc, out, results, workers, run_seconds, pg_extra)
        (out / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")
        print(json.dumps({k: truth[k] for k in ("counts", "outcomes", "signature_line_counts",
                                                 "expected_signatures", "primary_signature",
                                                 "consistency_checks")}, indent=1))
    finally:
        if app_proc is not None:
            stop_app(app_proc, sc)
        if pg.proc is not None and pg.proc.poll() is None:
            pg.stop()
        if a.keep_temp:
            print(f"lab: kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
