#!/usr/bin/env python3
"""A tiny, bounded HTTP server used to produce the load-tool samples in this folder.

Standard library only. It binds 127.0.0.1 and nothing else (the address is not configurable),
and it exits on its own after --max-seconds (default 120), so a forgotten server cannot linger.

Routes:
  /ok       200, immediately
  /slow     200 after 150-300 ms (uniform); /slow?ms=N waits N ms instead (N <= 3000)
  /missing  404
  /boom     500
  /drop     closes the connection without sending a response

Usage: python3 server.py PORT [--max-seconds N]
"""

import argparse
import random
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = "127.0.0.1"  # loopback only, on purpose: never make this configurable.


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as load tools expect
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

    def _send(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802 (stdlib naming)
        path, _, query = self.path.partition("?")
        if path == "/ok":
            self._send(200, "ok\n")
        elif path == "/slow":
            wait = random.uniform(0.150, 0.300)
            if query.startswith("ms=") and query[3:].isdigit():
                wait = min(int(query[3:]), 3000) / 1000
            time.sleep(wait)
            self._send(200, "slow ok\n")
        elif path == "/missing":
            self._send(404, "not found\n")
        elif path == "/boom":
            self._send(500, "boom\n")
        elif path == "/drop":
            # No status line at all: the client sees the connection closed.
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        else:
            self._send(404, "no such route\n")

    def log_message(self, fmt, *args):  # quiet: the samples are the client's output
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        pass  # clients that time out or drop their connection are expected here


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("port", type=int)
    ap.add_argument("--max-seconds", type=float, default=120.0)
    args = ap.parse_args()
    if not 1024 <= args.port <= 65535:
        sys.exit("port must be in 1024..65535")
    if not 0 < args.max_seconds <= 600:
        sys.exit("--max-seconds must be in (0, 600]")
    srv = Server((HOST, args.port), Handler)
    assert srv.server_address[0] == HOST
    stopper = threading.Timer(args.max_seconds, srv.shutdown)
    stopper.daemon = True
    stopper.start()
    print(f"listening on http://{HOST}:{args.port}/ for at most {args.max_seconds:g}s", flush=True)
    try:
        srv.serve_forever()
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
