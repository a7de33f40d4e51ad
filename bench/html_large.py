#!/usr/bin/env python3
"""The HTML report of a large run stays light: its size and its load time in a browser.

Generates a hammer CSV of N requests (default 1 000 000; bench/gen_hammer.py, deterministic,
never committed) in a temporary folder, writes its HTML report with the release binary and loads
it in headless Chromium. Prints the HTML size, the analysis time and the time Chromium takes to
load and render the page, minus its time on an empty page (median of 3). Exits 1 when the HTML
is 5 MB or more or lacks the latency or outcomes chart as SVG, or, with --strict, when the page
takes 2 s or more. (A load test alone has no funnel or signature chart: those need the app's
and the server's logs.)

Usage: bench/html_large.py [--requests N] [--strict]
"""
import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def load(chromium: str, page: Path, profile: Path) -> tuple[float, str]:
    t0 = time.perf_counter()
    dom = subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", "--dump-dom",
                          page.as_uri()], capture_output=True, text=True, check=True).stdout
    return time.perf_counter() - t0, dom


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=1_000_000)
    ap.add_argument("--strict", action="store_true")
    a = ap.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("html_large: chromium not found (apt-get install chromium)", file=sys.stderr)
        return 2
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        csv, html, empty = tmp / "hammer.csv", tmp / "report.html", tmp / "empty.html"
        subprocess.run([sys.executable, ROOT / "bench/gen_hammer.py", "--requests",
                        str(a.requests), "--out", csv], check=True)
        t0 = time.perf_counter()
        subprocess.run([ROOT / "target/release/rootcause", "analyze", "--format", "html", "-o",
                        html, csv], check=True)
        analysis = time.perf_counter() - t0
        empty.write_text("<!doctype html><title>empty</title>")
        load(chromium, empty, tmp / "profile")  # warm the browser's own files
        empty_s = statistics.median(load(chromium, empty, tmp / "profile")[0] for _ in range(3))
        runs = [load(chromium, html, tmp / "profile") for _ in range(3)]
        page_s = statistics.median(r[0] for r in runs)
        dom = runs[0][1]
        svgs = dom.count("<svg")
        charts = [c for c in ("latency", "outcomes") if f'id="chart-{c}"' in dom]
        size = html.stat().st_size
    net = page_s - empty_s
    print(f"requests        {a.requests}")
    print(f"analysis        {analysis:.2f} s")
    print(f"html size       {size / 1e6:.2f} MB")
    print(f"chromium load   {net:.2f} s (page {page_s:.2f} s - empty page {empty_s:.2f} s)")
    print(f"charts          {', '.join(charts)} ({svgs} svg elements)")
    failed = False
    if size >= 5_000_000:
        print("FAIL: the HTML is 5 MB or more", file=sys.stderr)
        failed = True
    if len(charts) < 2 or svgs < 2:
        print(f"FAIL: the page lacks a chart (found {charts}, {svgs} svg)", file=sys.stderr)
        failed = True
    if a.strict and net >= 2.0:
        print("FAIL: the page took 2 s or more to load", file=sys.stderr)
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
