"""The CLI's one HTTP client: every command with `--server URL` talks to a bwledger server through it.

It submits statements signed on this machine to `URL/api/ledger/entries` as
`{"statement": base64, "signature": base64}` and returns what the ledger made of them. A refusal
(any status but 200/201) is `Refused` with the problem's `code` and `detail` (application/problem+json,
RFC 9457; a response that is not a problem gets the code `HTTP_<status>`); a server that cannot be
reached is `Unreachable`. A token (`--token` or BWLEDGER_TOKEN) is sent as `Authorization: Bearer ...`;
the server does not ask for one yet (see api/http/guards.py).
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["LedgerClient", "Accepted", "Refused", "Unreachable"]

SUBMIT_PATH = "/api/ledger/entries"


class Unreachable(Exception):
    """The server could not be reached, or answered something that is not HTTP (Dutch message)."""


class Refused(Exception):
    """The server refused the request: its problem's code and detail."""

    def __init__(self, status: int, code: str, detail: str, problem: dict[str, Any] | None = None):
        super().__init__(f"{code}: {detail}")
        self.status, self.code, self.detail, self.problem = status, code, detail, problem or {}


@dataclass(frozen=True)
class Accepted:
    """An entry the ledger holds: new, or the original of a replay (`duplicate`)."""

    seq: int
    entry_hash: str
    received_at: str
    duplicate: bool


class LedgerClient:
    def __init__(self, server: str, *, token: str | None = None, timeout: float = 30.0) -> None:
        self.server = server.rstrip("/")
        headers = {"Accept": "application/json, application/problem+json", "User-Agent": "bwledger-cli"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            self._http = httpx.Client(base_url=self.server, headers=headers, timeout=timeout)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise Unreachable(f"ongeldig serveradres {server!r}: {exc}") from None

    def __enter__(self) -> LedgerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        try:
            return self._http.post(path, json=body)
        except httpx.TimeoutException:
            raise Unreachable(f"de server {self.server} antwoordde niet op tijd") from None
        except httpx.UnsupportedProtocol:
            raise Unreachable(f"ongeldig serveradres {self.server!r}: gebruik http:// of https://") from None
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            why = str(exc) or type(exc).__name__
            raise Unreachable(f"de server {self.server} is niet bereikbaar ({why})") from None

    def submit(self, statement: bytes, signature: bytes) -> Accepted:
        """POST one signed statement; Accepted, or raises Refused / Unreachable."""
        response = self._post(SUBMIT_PATH, {"statement": base64.b64encode(statement).decode("ascii"),
                                            "signature": base64.b64encode(signature).decode("ascii")})
        body = _json(response)
        if response.status_code in (200, 201) and isinstance(body, dict) and isinstance(body.get("seq"), int):
            return Accepted(body["seq"], str(body.get("entry_hash", "")), str(body.get("received_at", "")),
                            bool(body.get("duplicate", False)))
        if isinstance(body, dict) and isinstance(body.get("code"), str):
            raise Refused(response.status_code, body["code"], str(body.get("detail", "")), body)
        text = response.text.strip().replace("\n", " ")[:300]
        if response.status_code in (200, 201):
            raise Refused(response.status_code, "RESPONSE_INVALID",
                          f"onverwacht antwoord van de server: {text}")
        raise Refused(response.status_code, f"HTTP_{response.status_code}",
                      text or response.reason_phrase or "geen toelichting")


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
