"""Logs mask BSN-like numbers (api/logmask.py over ledger.privacy.mask): in a request path, an error
message and its traceback, and in uvicorn's access log of a real `bwledger serve`."""
from __future__ import annotations

import logging

import httpx
from api_helpers import Server, assert_problem

from api import compose, logmask

BSN = "123456782"  # passes the 11-proef


def test_a_bsn_in_a_path_and_in_an_error_is_masked_in_the_log(client, caplog, monkeypatch):
    def broken(store, case_id):
        raise RuntimeError(f"dossier van {case_id} onleesbaar")

    monkeypatch.setattr(compose, "case", broken)
    caplog.set_level(logging.INFO)
    assert_problem(client.get(f"/v1/geschillen/{BSN}"), 500, "INTERNAL_ERROR")
    assert "unhandled error on GET /v1/geschillen/*********" in caplog.text
    assert "RuntimeError: dossier van ********* onleesbaar" in caplog.text and "Traceback" in caplog.text
    assert BSN not in caplog.text


def test_the_filter_masks_arguments_of_every_kind():
    flt = logmask.MaskFilter()
    rec = logging.LogRecord("x", logging.ERROR, __file__, 1, "client %s asked %r for %d", (f"PSN-{BSN}",
                            ValueError(f"bsn {BSN}"), int(BSN)), None)
    assert flt.filter(rec)
    assert rec.getMessage() == "client PSN-********* asked ValueError('bsn *********') for *********"
    # a number that fails the 11-proef, a longer run and a text without numbers stay as they are
    rec = logging.LogRecord("x", logging.INFO, __file__, 1, "seq %s of 1234567890 and %s", ("123456789", "tekst"),
                            None)
    assert flt.filter(rec) and rec.getMessage() == "seq 123456789 of 1234567890 and tekst"


def test_installed_once_on_the_loggers_and_their_handlers():
    handler = logging.StreamHandler()
    access = logging.getLogger("uvicorn.access")
    access.addHandler(handler)
    try:
        logmask.install()
        logmask.install()
        assert sum(isinstance(f, logmask.MaskFilter) for f in access.filters) == 1
        assert sum(isinstance(f, logmask.MaskFilter) for f in handler.filters) == 1
    finally:
        access.removeHandler(handler)


def test_uvicorns_access_log_of_a_real_server_is_masked(tmp_path):
    server = Server(tmp_path)
    try:
        r = httpx.get(f"{server.url}/v1/geschillen/{BSN}", timeout=10)
        assert r.status_code == 401  # not logged in: the path is still logged, masked
        httpx.get(f"{server.url}/v1/gezondheid", timeout=10)
    finally:
        server.stop()
        out = server.output()
        server.close()
    assert "GET /v1/geschillen/********* HTTP/1.1" in out and "401" in out, out[-3000:]
    assert BSN not in out, out[-3000:]
