#!/usr/bin/env python3
"""Seeds the fuzz corpora in parsers/fuzz/corpus/<target>/ from samples/ and the parser fixtures.

Real logs make better seeds than random bytes: libFuzzer starts from lines that already reach
deep into each grammar. Files are cut into small chunks (a CSV chunk keeps its header line),
spread over each file, with chunks that hold an error or a traceback preferred; a few inputs
that cannot be cut from files (one stamp of each grammar, each `log_line_prefix` the Postgres
parser knows followed by a log it fits) are written here. Inputs committed in
parsers/fuzz/seeds/<target>/ (regressions found by fuzzing) are copied as they are.

Seeds are named by their SHA-1, as libFuzzer names its own, so running this again adds nothing
twice. The corpus folders are ignored by git: libFuzzer grows them as it runs.

    python3 parsers/fuzz/seed.py            # all targets
    python3 parsers/fuzz/seed.py postgres   # one target
"""

import hashlib
import json
import re
import sys
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent.parent
SAMPLES = ROOT / "samples"
FIXTURES = ROOT / "parsers" / "tests" / "fixtures"

# Largest seed, in bytes: small inputs keep libFuzzer fast.
MAX_SEED = 4096
# Most chunks taken from one file.
PER_FILE = 120
# Words that mark a chunk worth keeping: errors, tracebacks, odd lines.
MARKERS = re.compile(rb"Traceback|ERROR|FATAL|CRITICAL|error|exception|Exception|DETAIL|\t|\x1b")


# Real uWSGI, nginx and Django output (the console parser's other envelopes).
SERVER_LOGS = (
    "parsers/tests/fixtures/uwsgi/*.log",
    "parsers/tests/fixtures/nginx/*.log",
    "parsers/tests/fixtures/django/*.log",
)


def read(path):
    return path.read_bytes()


def lines(data):
    return data.splitlines(keepends=True)


def chunks(data, n, header=False):
    """Chunks of n lines (after the header line, repeated in each chunk, when header is set)."""
    ls = lines(data)
    head, body = (ls[:1], ls[1:]) if header else ([], ls)
    out = []
    for k in range(0, len(body), n):
        c = b"".join(head + body[k : k + n])
        while len(c) > MAX_SEED and n > 1:
            n //= 2
            c = b"".join(head + body[k : k + n])
        out.append(c[:MAX_SEED])
    return out


def spread(items, limit):
    """Up to limit items, half from those with a marker, all evenly spaced through the file."""
    marked = [c for c in items if MARKERS.search(c)]
    plain = [c for c in items if not MARKERS.search(c)]

    def even(xs, k):
        if len(xs) <= k:
            return xs
        return [xs[i * len(xs) // k] for i in range(k)]

    take = even(marked, limit // 2)
    return take + even(plain, limit - len(take))


def files(*globs):
    out = []
    for g in globs:
        out += sorted(p for p in ROOT.glob(g) if p.is_file())
    return out


def loadtest_csv():
    for p in files("samples/*/hammer.csv", "samples/loadtools/jmeter/*.jtl", "parsers/tests/fixtures/jmeter/*"):
        yield from spread(chunks(read(p), 12, header=True), PER_FILE)


def loadtools():
    tools = files(
        "parsers/tests/fixtures/k6/*.csv",
        "parsers/tests/fixtures/vegeta/*.csv",
        "samples/loadtools/locust/*.csv",
        "samples/loadtools/wrk/*.txt",
        "parsers/tests/fixtures/wrk/*.txt",
    )
    for p in tools:
        data = read(p)
        if len(data) <= MAX_SEED:
            yield data
        elif p.suffix == ".csv":
            yield from spread(chunks(data, 16, header=True), PER_FILE // 4)
        else:
            yield data[:MAX_SEED]


def json_log():
    for p in files("samples/*/app.log"):
        yield from spread(chunks(read(p), 6), PER_FILE)


def traceback_blocks(data, width=40):
    """Each traceback of a console log, from its header and the line before it."""
    ls = lines(data)
    for k, line in enumerate(ls):
        if b"Traceback (most recent call last):" in line:
            yield b"".join(ls[max(k - 1, 0) : k + width])[:MAX_SEED]


def traceback():
    for p in files("parsers/tests/fixtures/traceback/*.txt", "parsers/tests/fixtures/console/*.log"):
        yield read(p)[:MAX_SEED]
    for p in files("samples/*/stderr.log", *SERVER_LOGS):
        yield from spread(list(traceback_blocks(read(p))), PER_FILE // 4)
    # Tracebacks carried inside JSON log lines.
    for p in files("samples/*/app.log"):
        found = []
        for line in lines(read(p)):
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            for key in ("exception", "exc_info", "exc_text", "stack"):
                v = obj.get(key) if isinstance(obj, dict) else None
                if isinstance(v, str) and v:
                    found.append(v.encode()[:MAX_SEED])
        yield from spread(found, PER_FILE // 4)


def console():
    for p in files("parsers/tests/fixtures/console/*.log"):
        yield read(p)[:MAX_SEED]
    for p in files("samples/*/stderr.log", *SERVER_LOGS):
        yield from spread(chunks(read(p), 24), PER_FILE)


def prefix_specs():
    """The log_line_prefix settings the parser tries, read from its source."""
    src = (ROOT / "parsers" / "src" / "postgres.rs").read_text()
    block = src.split("pub const CANDIDATES", 1)[1].split("];", 1)[0]
    return re.findall(r'^\s*"([^"]*)",', block, re.M)


def postgres():
    logs = files("samples/*/postgresql.log", "parsers/tests/fixtures/postgres/*.log")
    for p in logs:
        yield from spread(chunks(read(p), 10), PER_FILE // 2)
    # The target reads a first line that compiles as a log_line_prefix as one the user gave.
    heads = [b"".join(lines(read(p))[:8]) for p in logs]
    for spec in prefix_specs():
        for head in heads:
            yield spec.encode() + b"\n" + head


def postgres_structured():
    for p in files("parsers/tests/fixtures/postgres/*.csv", "parsers/tests/fixtures/postgres/*.json"):
        yield from spread(chunks(read(p), 10), PER_FILE // 2)


# One stamp of each grammar `time` reads, and near misses.
STAMPS = [
    "2026-11-25T15:39:20.139Z",
    "2026-11-25T10:42:14.662-05:00",
    "2026-11-25 15:42:07.355 UTC",
    "2026-11-25 15:42:07.355 CET",
    "2026-11-25 15:42:07 +0100",
    "2026-11-25 15:42:07+01",
    "2019-01-29 15:56:50,123",
    "2026/11/25 15:42:08",
    "2026-11-25t15:42",
    "25/Nov/2026 15:40:52",
    "25/Nov/2026:15:40:52 +0000",
    "5/nov/2026:15:40:52 -0530",
    "Wed Nov 25 15:42:08 2026",
    "Wed Nov  5 15:42:08 2026",
    "1764085160",
    "1764085160.139",
    "1764085160139",
    "1764085160139123",
    "1764085160139123456",
    "2019-01-29T15:561548777410",
    "2019-01-29T15:561548777410.25",
    "2026-11-25 24:00:00",
    "2016-12-31T23:59:60Z",
    "0000-01-01T00:00:00+23:59",
    "9999-12-31T23:59:59.999999-23:59",
    "2026-02-29T00:00:00Z",
    "2026-11-25 15:42:07 LOG:",
    "2026-11-25 15:42:07 XYZ",
    "+05:30",
    "-0800",
    "+2",
    "AEST",
    "Zulu",
]


def timestamps():
    for s in STAMPS:
        yield s.encode()
    # Stamps as the samples write them: CSV cells, Postgres and console line starts.
    for p in files("samples/*/hammer.csv"):
        for line in lines(read(p))[1:400:40]:
            yield line.split(b",", 1)[0]
    for p in files("samples/*/postgresql.log", "samples/*/stderr.log", *SERVER_LOGS):
        for line in lines(read(p))[:400:40]:
            yield line[:32].rstrip(b"\n")


def sniff():
    for p in files("samples/**/*", "parsers/tests/fixtures/**/*"):
        if p.suffix in (".json", ".py", ".md", ".java", ".jmx", ".lua", ".sh", ".html"):
            continue
        yield read(p)[:MAX_SEED]


def platform():
    for p in files("parsers/tests/fixtures/heroku/*.log", "parsers/tests/fixtures/cf/*.log"):
        yield from spread(chunks(read(p), 8), PER_FILE)
        yield read(p)[:MAX_SEED]


TARGETS = {
    "loadtest_csv": loadtest_csv,
    "loadtools": loadtools,
    "json_log": json_log,
    "traceback": traceback,
    "console": console,
    "platform": platform,
    "postgres": postgres,
    "postgres_structured": postgres_structured,
    "timestamps": timestamps,
    "sniff": sniff,
}


def main(names):
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        sys.exit(f"unknown target {', '.join(unknown)}; targets: {', '.join(TARGETS)}")
    for name in names or TARGETS:
        out = FUZZ / "corpus" / name
        out.mkdir(parents=True, exist_ok=True)
        seeds = list(TARGETS[name]())
        committed = FUZZ / "seeds" / name
        if committed.is_dir():
            seeds += [read(p) for p in sorted(committed.iterdir()) if p.is_file()]
        new = 0
        for s in seeds:
            if not s:
                continue
            path = out / hashlib.sha1(s).hexdigest()
            if not path.exists():
                path.write_bytes(s)
                new += 1
        print(f"{name}: {len(seeds)} seeds, {new} new in {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
