"""The incident lab's app: a small ras-party-like service (Flask + SQLAlchemy + psycopg2).

Run by lab.py under gunicorn, werkzeug, uWSGI or waitress; every setting comes from LAB_* environment variables. Each
request logs structlog JSON lines ("function hit", "query started", "query completed", or
"Uncaught exception" with status 500 and the formatted traceback) to LAB_APP_LOG, one
os.write per line on an O_APPEND descriptor so that the workers' lines never interleave.
Each worker keeps in-memory counters per route and snapshots them to
LAB_COUNTERS_DIR/worker-PID.json after every change (so a killed worker's counts survive);
GET /_counters returns the serving worker's counters and is neither logged nor counted.
"""
import json
import os
import random
import threading
import uuid

if os.environ.get("LAB_PSYCOGREEN") == "1":  # gunicorn gevent: make psycopg2 yield to the hub
    from psycogreen.gevent import patch_psycopg

    patch_psycopg()

import structlog
from flask import Flask, g, jsonify, request
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker
from werkzeug.exceptions import HTTPException

DB_URL = os.environ["LAB_DB_URL"]
APP_LOG = os.environ["LAB_APP_LOG"]
COUNTERS_DIR = os.environ["LAB_COUNTERS_DIR"]
POOL_SIZE = int(os.environ.get("LAB_POOL_SIZE", "5"))
MAX_OVERFLOW = int(os.environ.get("LAB_MAX_OVERFLOW", "10"))
POOL_TIMEOUT_S = float(os.environ.get("LAB_POOL_TIMEOUT_S", "2"))
QUERY_SLEEP_S = float(os.environ.get("LAB_QUERY_SLEEP_MS", "300")) / 1000.0
REF_EXTRA_SLEEP_S = float(os.environ.get("LAB_REF_EXTRA_SLEEP_MS", "0")) / 1000.0
# "legacy" slow path: this share of requests sleeps in Python after the first statement, with
# the transaction open (as the corpus's eof-open-transaction run).
LEGACY_SLEEP_S = float(os.environ.get("LAB_LEGACY_SLEEP_S", "0"))
LEGACY_PCT = float(os.environ.get("LAB_LEGACY_PCT", "0"))
POOL_CLASS = os.environ.get("LAB_POOL_CLASS", "queue")  # "queue" (QueuePool) or "null" (NullPool)
SERVICE = "ras-party"


class AppendLogger:
    """structlog logger that writes each rendered line with a single os.write (O_APPEND)."""

    def __init__(self, path):
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def msg(self, message):
        os.write(self._fd, (message + "\n").encode("utf-8"))

    debug = info = warning = error = critical = exception = msg


def add_service(_logger, _method, event_dict):
    event_dict["service"] = SERVICE
    return event_dict


_APPEND_LOGGER = AppendLogger(APP_LOG)
structlog.configure(
    processors=[
        structlog.processors.add_log_level,
        add_service,
        structlog.processors.format_exc_info,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="created_at"),
        structlog.processors.JSONRenderer(),
    ],
    logger_factory=lambda *_args: _APPEND_LOGGER,
    cache_logger_on_first_use=True,
)
log = structlog.get_logger()

if POOL_CLASS == "null":  # a new connection per session, as Django with CONN_MAX_AGE=0
    from sqlalchemy.pool import NullPool

    engine = create_engine(DB_URL, poolclass=NullPool)
else:
    engine = create_engine(
        DB_URL,
        pool_size=POOL_SIZE,
        max_overflow=MAX_OVERFLOW,
        pool_timeout=POOL_TIMEOUT_S,
    )
Session = sessionmaker(bind=engine)

ROUTES = ("/businesses?id=", "/businesses/id/", "/businesses/ref/")
_lock = threading.Lock()
_counters = {
    "pid": os.getpid(),
    "routes": {r: {"hit": 0, "started": 0, "completed": 0, "status": {}} for r in ROUTES},
    "uncaught_exceptions": 0,
    "uncaught_by_type": {},
    "in_transaction_sleeps": 0,
}


def _snapshot():
    path = os.path.join(COUNTERS_DIR, f"worker-{os.getpid()}.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(_counters, f)
    os.replace(tmp, path)


def _count(route, stage=None, status=None, exc_type=None, in_txn_sleep=False):
    with _lock:
        if in_txn_sleep:
            _counters["in_transaction_sleeps"] += 1
        if stage:
            _counters["routes"][route][stage] += 1
        if status is not None:
            st = _counters["routes"][route]["status"]
            st[str(status)] = st.get(str(status), 0) + 1
        if exc_type:
            _counters["uncaught_exceptions"] += 1
            by = _counters["uncaught_by_type"]
            by[exc_type] = by.get(exc_type, 0) + 1
        _snapshot()


_snapshot()  # the lab waits for one file per worker before it starts the hammer

app = Flask("labapp")


def _lookup(route, column, value):
    request_id = uuid.uuid4().hex
    g.route, g.request_id = route, request_id
    log.info("function hit", route=route, request_id=request_id)
    _count(route, "hit")
    session = Session()
    try:
        log.info("query started", route=route, request_id=request_id)
        _count(route, "started")
        session.execute(text("SELECT pg_sleep(:s)"), {"s": QUERY_SLEEP_S})
        if route == "/businesses/ref/" and REF_EXTRA_SLEEP_S > 0:
            session.execute(text("SELECT pg_sleep(:s)"), {"s": REF_EXTRA_SLEEP_S})
        if LEGACY_SLEEP_S > 0 and random.random() * 100.0 < LEGACY_PCT:
            # the slow legacy side query, on a second connection, while this session's
            # transaction stays open (idle in transaction); psycopg2 waits in C, so a signal's
            # Python handler (gunicorn's SIGABRT) only runs when the query returns
            _count(route, in_txn_sleep=True)
            with engine.connect() as side:
                side.execute(text("SELECT pg_sleep(:s)"), {"s": LEGACY_SLEEP_S})
        row = session.execute(
            text(f"SELECT id, ref, name, postcode FROM businesses WHERE {column} = :v"),
            {"v": value},
        ).first()
        log.info("query completed", route=route, request_id=request_id)
        _count(route, "completed")
    finally:
        session.close()
    if row is None:
        return jsonify(error="business not found"), 404
    return jsonify(id=row.id, ref=row.ref, name=row.name, postcode=row.postcode)


@app.get("/businesses")
def businesses_by_query():
    return _lookup("/businesses?id=", "id", request.args.get("id", ""))


@app.get("/businesses/id/<business_id>")
def businesses_by_id(business_id):
    return _lookup("/businesses/id/", "id", business_id)


@app.get("/businesses/ref/<ref>")
def businesses_by_ref(ref):
    return _lookup("/businesses/ref/", "ref", ref)


@app.get("/_counters")
def counters():
    with _lock:
        return jsonify(_counters)


@app.errorhandler(Exception)
def uncaught(exc):
    if isinstance(exc, HTTPException):
        return exc
    route = g.get("route", request.path)
    log.error(
        "Uncaught exception",
        status=500,
        route=route,
        request_id=g.get("request_id"),
        exc_info=exc,
    )
    if route in ROUTES:
        _count(route, exc_type=f"{type(exc).__module__}.{type(exc).__qualname__}")
    return jsonify(error="internal server error"), 500


@app.after_request
def count_status(response):
    route = g.get("route")
    if route in ROUTES:
        _count(route, status=response.status_code)
    return response
