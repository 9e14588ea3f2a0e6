"""The traffic of `bench/load_faults.py`: read-heavy API calls and stock writes at a steady rate.

Run by `load_faults.py` as a headless locust subprocess; everything it needs comes from the
environment that script sets (`LOAD_FAULTS_*`: tokens, rates, the items and locations written
to, the file to record into). Not meant to be run by hand.

Every request, read or write, is appended to the records file as one JSON line: start time
(wall clock, so the runner can place it before, during or after a fault), latency, status
(0 when no HTTP answer came back: refused, reset or timed out) and, for writes, the
X-Request-ID sent and the ledger row ids a 201 answered. Locust's own statistics are not used:
the audit needs each write's request id and outcome, which only these records keep.
"""

import json
import os
import random
import time
import uuid

from locust import FastHttpUser, constant_throughput, events, task

ENV = os.environ
RECORDS_PATH = ENV.get("LOAD_FAULTS_RECORDS", "")
STARTED_PATH = ENV.get("LOAD_FAULTS_STARTED", "")
VIEWER_TOKEN = ENV.get("LOAD_FAULTS_VIEWER_TOKEN", "")
STAFF_TOKEN = ENV.get("LOAD_FAULTS_STAFF_TOKEN", "")
READ_SKUS = ENV.get("LOAD_FAULTS_READ_SKUS", "").split(",")
WRITE_SKUS = ENV.get("LOAD_FAULTS_WRITE_SKUS", "").split(",")
WRITE_LOCATIONS = ENV.get("LOAD_FAULTS_WRITE_LOCATIONS", "").split(",")
READERS = int(ENV.get("LOAD_FAULTS_READERS", "1"))
WRITERS = int(ENV.get("LOAD_FAULTS_WRITERS", "1"))
READ_RATE = float(ENV.get("LOAD_FAULTS_READ_RATE", "1"))
WRITE_RATE = float(ENV.get("LOAD_FAULTS_WRITE_RATE", "1"))
TIMEOUT_S = float(ENV.get("LOAD_FAULTS_TIMEOUT", "10"))

# One process, cooperative greenlets: plain writes to one file never interleave mid-line.
_records = open(RECORDS_PATH, "a", buffering=1) if RECORDS_PATH else None  # noqa: SIM115


def _record(**fields) -> None:
    if _records is not None:
        _records.write(json.dumps(fields, separators=(",", ":")) + "\n")


@events.test_start.add_listener
def _mark_start(environment, **kwargs):
    # The runner times its faults from this moment, not from when it launched locust
    # (importing gevent and spawning the users takes a second or two).
    if STARTED_PATH:
        with open(STARTED_PATH, "w") as marker:
            marker.write(str(time.time()))


@events.quitting.add_listener
def _close(environment, **kwargs):
    if _records is not None:
        _records.flush()


class _ApiUser(FastHttpUser):
    abstract = True
    # Short enough that a hung request shows up as a timeout within the run, long enough that
    # a worker busy with a whole inventory list is not mistaken for one.
    network_timeout = TIMEOUT_S
    connection_timeout = TIMEOUT_S
    token = ""

    def _send(self, method: str, route: str, path: str, *, body=None, request_id: str = ""):
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if request_id:
            headers["X-Request-ID"] = request_id
        started = time.time()
        t0 = time.perf_counter()
        status, error, data, echoed = 0, "", b"", ""
        try:
            with self.client.request(
                method, path, headers=headers, json=body, name=route, catch_response=True
            ) as response:
                status = response.status_code or 0
                data = response.content or b""
                echoed = response.headers.get("X-Request-ID", "") if response.headers else ""
                failure = getattr(response, "error", None)
                if failure is not None and not status:
                    error = f"{type(failure).__name__}: {failure}"[:200]
                response.success()  # judged by the runner, not by locust
        except Exception as exc:  # a client-side failure must never stop the greenlet
            error = f"{type(exc).__name__}: {exc}"[:200]
        return started, (time.perf_counter() - t0) * 1000, status, error, data, echoed


class Reader(_ApiUser):
    """Viewer traffic: the cached v20 routes, single items, one stock page and the ledger."""

    fixed_count = READERS
    wait_time = constant_throughput(READ_RATE / max(READERS, 1))
    token = VIEWER_TOKEN

    def _read(self, route: str, path: str) -> None:
        started, ms, status, error, data, _echo = self._send("GET", route, path)
        envelope = data.lstrip().startswith(b'{"success"')
        _record(t=started, ms=round(ms, 2), kind="read", op=route, status=status, err=error,
                env=envelope)  # fmt: skip

    @task(4)
    def items(self):
        self._read("/api/items", "/api/items")

    @task(6)
    def item(self):
        self._read("/api/items/{sku}", f"/api/items/{random.choice(READ_SKUS)}")

    @task(1)
    def inventory(self):
        self._read("/api/inventory", "/api/inventory")

    @task(4)
    def summary(self):
        self._read("/api/inventory/summary", "/api/inventory/summary")

    @task(2)
    def movements(self):
        self._read("/api/inventory/movements", "/api/inventory/movements?limit=50")


class Writer(_ApiUser):
    """Staff traffic: stock operations on a small set of item x location pairs, so they contend
    for the same rows; each with its own X-Request-ID, recorded with its outcome."""

    fixed_count = WRITERS
    wait_time = constant_throughput(WRITE_RATE / max(WRITERS, 1))
    token = STAFF_TOKEN

    def _write(self, op: str, body: dict) -> None:
        request_id = f"lf-{uuid.uuid4().hex}"
        started, ms, status, error, data, echoed = self._send(
            "POST", f"/api/inventory/{op}", f"/api/inventory/{op}", body=body,
            request_id=request_id,
        )  # fmt: skip
        movement_ids: list[int] = []
        envelope = False
        if data:
            try:
                doc = json.loads(data)
                envelope = isinstance(doc, dict) and "success" in doc
                if status == 201:
                    result = doc["data"]
                    rows = result["movements"] if op == "transfer" else [result["movement"]]
                    movement_ids = [row["id"] for row in rows]
            except (ValueError, KeyError, TypeError):
                pass
        _record(t=started, ms=round(ms, 2), kind="write", op=op, status=status, err=error,
                rid=request_id, echo=echoed == request_id, mids=movement_ids,
                env=envelope)  # fmt: skip

    def _pair(self) -> tuple[str, str]:
        return random.choice(WRITE_SKUS), random.choice(WRITE_LOCATIONS)

    @task(4)
    def receive(self):
        sku, location = self._pair()
        self._write("receive", {"sku": sku, "location": location, "quantity": random.randint(1, 5)})

    @task(3)
    def issue(self):
        sku, location = self._pair()
        # Sometimes more than is on hand: a clean 409 that must leave no ledger row.
        self._write("issue", {"sku": sku, "location": location, "quantity": random.randint(1, 6)})

    @task(2)
    def transfer(self):
        sku = random.choice(WRITE_SKUS)
        source, destination = random.sample(WRITE_LOCATIONS, 2)
        self._write(
            "transfer",
            {"sku": sku, "from_location": source, "to_location": destination, "quantity": 1},
        )

    @task(1)
    def count(self):
        sku, location = self._pair()
        self._write("count", {"sku": sku, "location": location, "quantity": random.randint(20, 60)})
