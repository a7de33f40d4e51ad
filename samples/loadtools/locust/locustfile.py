"""Locust scenario for the samples in this folder: hits every route of ../server.py.

Run against 127.0.0.1 only (see README.md for the exact, bounded command line).
"""

from locust import HttpUser, between, task
from locust.contrib.fasthttp import FastHttpUser

# A loopback port nothing listens on, for a real "connection refused".
CLOSED_PORT_URL = "http://127.0.0.1:18299/ok"


class WebUser(HttpUser):
    """requests-based client: HTTPError / ConnectionError texts."""

    wait_time = between(0.05, 0.2)

    @task(10)
    def ok(self):
        self.client.get("/ok")

    @task(4)
    def slow(self):
        self.client.get("/slow")

    @task(2)
    def slow_with_timeout(self):
        # Times out client-side about half of the time (the route takes 150-300 ms).
        self.client.get("/slow", name="/slow?timeout=0.2", timeout=0.2)

    @task(2)
    def missing(self):
        self.client.get("/missing")

    @task(2)
    def boom(self):
        self.client.get("/boom")

    @task(1)
    def drop(self):
        self.client.get("/drop")

    @task(1)
    def refused(self):
        self.client.get(CLOSED_PORT_URL, name="/refused")

    @task(1)
    def assertion(self):
        with self.client.get("/ok", name="/ok?check", catch_response=True) as r:
            if "expected-word" not in r.text:
                r.failure("body did not contain expected-word")

    @task(1)
    def crash(self):
        # Locust counts this in *_exceptions.csv.
        raise ValueError("task crashed on purpose")


class FastUser(FastHttpUser):
    """geventhttpclient-based client: BadStatusCode texts."""

    wait_time = between(0.05, 0.2)

    @task(3)
    def ok(self):
        self.client.get("/ok", name="/ok (fast)")

    @task(1)
    def boom(self):
        self.client.get("/boom", name="/boom (fast)")

    @task(1)
    def missing(self):
        self.client.get("/missing", name="/missing (fast)")

    @task(1)
    def drop(self):
        self.client.get("/drop", name="/drop (fast)")
