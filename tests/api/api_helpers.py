"""Helpers for the HTTP tests: an app on a real store (SQLite in tmp_path, or a fresh PostgreSQL
schema), TestClient, signed statements, and a real `bwledger serve` process on a free port."""
from __future__ import annotations

import base64
import contextlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from api.http.pages import EXAMPLE
from party_auth import PartyAuth, logged_in, token_for  # noqa: F401 - re-exported for the HTTP tests
from api.settings import Settings
from ledger import service
from real_determinations import CLIENT, Recorder

PG_URL = os.environ.get("BWLEDGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[2]
_keys = itertools.count()

# the Beoordeling page's example, with an expectation for the casebook runner
K01 = EXAMPLE + '\n[case.expect]\ncost_bearer = "GM0166"\n'


class FixedClock:
    """A clock a test sets (`clock.now = ...`), for the services that take one."""

    def __init__(self, now) -> None:
        self.now = now

    def __call__(self):
        return self.now


def sqlite_settings(home: Path, **kw) -> Settings:
    """An app's settings on SQLite in `home` (its admission replays every determination: the tests record real
    ones, real_determinations)."""
    return Settings(home=home, database_url=f"sqlite:///{home / 'bwledger.db'}",
                    **{"checkpoint_seconds": 0, **kw})


def determination_payload(where, addressee: str = "GM0193", det_id: str = "det-1", **kw) -> dict:
    """The N3 payload of a real determination addressed to `addressee`, its facts deposited for the client
    (`client=`, default real_determinations.CLIENT, the client `signed` names) in `where`: a TestClient's app,
    or a real_determinations.Recorder (a server's home). `author`, `melding`, `variant`: see fact_set."""
    recorder = where if isinstance(where, Recorder) else Recorder.of_app(where.app)
    return recorder.payload(addressee, det_id, **kw)


def signed(signer, payload: dict, key: str | None = None, kind: str = "determination", client: str = CLIENT):
    return service.sign_statement(signer, kind, payload, idempotency_key=key or f"api-{next(_keys)}",
                                  client=client)


def as_json(st) -> dict:
    return {"statement": base64.b64encode(st.statement).decode(), "signature": base64.b64encode(st.signature).decode()}


def party(client, code: str = "GM0166"):
    """The party's signer (created, mode 0600, and registered by the operator)."""
    store = client.app.state.store
    return service.party_signer(store, client.app.state.settings.keys_dir, code)


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == status and body["code"] == code, body
    assert body["type"] == f"urn:bwledger:problem:{code}"
    assert body["title"] and body["detail"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen) -> int:
    """Stop a `bwledger serve` subprocess as Ctrl-C would (killed after 20 s); its exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def wait_until_up(server, seconds: float = 30) -> None:
    """Wait for a `bwledger serve` subprocess (`server.proc`, `.url`, `.output()`, `.stop()`) to answer
    its health endpoint; fail with its output when it exits or does not come up."""
    deadline = time.monotonic() + seconds
    while True:
        if server.proc.poll() is not None:
            raise AssertionError(f"server exited early: {server.output()}")
        try:
            if httpx.get(server.url + "/v1/gezondheid", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise AssertionError(f"server did not come up: {server.output()}")
        time.sleep(0.1)


class LoggedProcess:
    """A subprocess whose output goes to a log file (`proc`, `log`), stopped as Ctrl-C would."""

    proc: subprocess.Popen
    log: object

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def stop(self) -> int:
        """Stop it as Ctrl-C would; its exit code (the log stays readable until `close`)."""
        return stop_process(self.proc)

    def close(self) -> None:
        self.stop()
        self.log.close()


class Server(LoggedProcess):
    """`bwledger serve` in a subprocess on 127.0.0.1 and a free port."""

    def __init__(self, home: Path, checkpoint_seconds: float = 0.3, database_url: str | None = None,
                 schema: str | None = None, workers: int = 1, **settings: str):
        """On the ledger of `home` (its SQLite default) or of `database_url` [`schema`], with `workers` worker
        processes; `settings` are further BWLEDGER_* variables, e.g. BWLEDGER_MAX_DOCUMENT_BYTES="1000"."""
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # the tests count entries one by one: no audit anchors from the timer unless a test asks (test_audit.py)
        env = {**os.environ, "BWLEDGER_HOME": str(home), "BWLEDGER_CHECKPOINT_SECONDS": str(checkpoint_seconds),
               "BWLEDGER_AUDIT_ANCHOR_SECONDS": "0", **settings}
        for name, value in (("BWLEDGER_DATABASE_URL", database_url), ("BWLEDGER_DATABASE_SCHEMA", schema)):
            env.pop(name, None)
            if value is not None:
                env[name] = value
        self.log = open(home / "server.log", "w+b")
        extra = ["--workers", str(workers)] if workers > 1 else []
        self.proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1",
                                      "--port", str(self.port), *extra], cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        wait_until_up(self)

    def stop_and_verify(self, database_url: str, schema: str | None = None) -> None:
        """Stop the server, which must exit cleanly without a traceback, and verify the ledger it wrote."""
        rc = self.stop()
        out = self.output()
        self.close()
        assert rc == 0 and "Traceback" not in out, out
        store = service.open_ledger(database_url, schema=schema)
        report = service.verify_ledger(store, workers=1)
        store.dispose()
        assert report.ok, report.problems


def seed_settlement_and_case(client) -> dict:
    """A provisional determination Kampen -> Zwolle with its placement booked as cost lines for 2026K1,
    a second placement Kampen fronting for Dalfsen, and a dispute opened on the determination."""
    from datetime import date

    from cases import service as cases_service
    from ledger.settlement import service as settlement_service
    from ledger.settlement.costlines import Placement

    store, keys = client.app.state.store, client.app.state.settings.keys_dir

    def signer_for(p):
        return service.party_signer(store, keys, p)

    recorder = Recorder.of_app(client.app)
    det = recorder.record(signer_for("GM0166"), "GM0193", variant="BOUNDARY_365", melding=date(2025, 11, 20),
                          idempotency_key="seed-det", client="PSN-seed-1")  # BOUNDARY_365
    ref = {"seq": det.seq, "entry_hash": det.entry_hash.hex()}
    det2 = recorder.record(signer_for("GM0166"), "GM0148", "det-2", melding=date(2026, 1, 10),
                           idempotency_key="seed-det-2", client="PSN-seed-2")
    settlement_service.book_placements(store, signer_for, [
        Placement("pl-1", "PSN-seed-1", "GM0166", "GM0193", "15B02", date(2025, 11, 20), None, determination=ref),
        Placement("pl-2", "PSN-seed-2", "GM0166", "GM0148", "15C01", date(2026, 1, 10), date(2026, 3, 5),
                  determination={"seq": det2.seq, "entry_hash": det2.entry_hash.hex()}),
    ], until=date(2026, 3, 31))
    view = cases_service.open_case(store, signer_for("GM0166"), det.seq, question="Is Zwolle de kostendrager?",
                                   position="Kampen was niet de woonplaats")
    return {"determination": det, "case_id": view.case_id}


@contextlib.contextmanager
def scripted_server(answer):
    """A stand-in HTTP peer on 127.0.0.1 for the client's failure paths: every POST (and GET) is
    recorded in `seen` as {"method", "path", "authorization", "body"} and answered `answer(path, n)` ->
    (status, content type, bytes), n counting the requests from 1. Yields (url, seen)."""
    import http.server
    import threading

    seen: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server interface
            self._answer(self.rfile.read(int(self.headers["Content-Length"])))

        def do_GET(self):  # noqa: N802
            self._answer(b"")

        def _answer(self, body: bytes):
            seen.append({"method": self.command, "path": self.path, "authorization": self.headers.get("Authorization"),
                         "body": body})
            status, ctype, data = answer(self.path, len(seen))
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()
