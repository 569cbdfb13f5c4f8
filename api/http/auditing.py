"""The audit of every read and write (api/access/audit.py), at the edge: an ASGI middleware.

For an operation whose policy entry names an audit purpose (api/access/policy.toml `audit`), the record
(who, what, why, the outcome) is written before the response starts: no case file leaves the server
without its record, and a record that cannot be written turns the answer into 503 AUDIT_UNAVAILABLE
(fail closed). The guarantee: a response starts only after the transaction holding its record has
committed. The records of concurrent requests are written together, one transaction per group (the app's
`audit_commits` group commit, api/http/group_commit.py); an entry submission's record is written by its
handler in the transaction that appends its entries (`records_for`, `written`), so both are durable in
one commit, or neither. The guard (api/http/guards.py) leaves the caller, the operation and what the
request was about on the connection state; this module only reads them.

The purpose is the operation's own from the table; a caller may state another one from the short list
with the header `X-Doelbinding` (e.g. `inzageverzoek`), and that is what is recorded.
"""
from __future__ import annotations

import json
import logging

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.access import audit, policy

log = logging.getLogger("bwledger.audit")
PURPOSE_HEADER = b"x-doelbinding"
#: the request parameters recorded as the resource's ids (never a body: it may hold personal data)
ID_PARAMS = ("case_id", "party", "partij", "quarter", "kwartaal", "key_id", "fmt", "from", "to", "client", "since")


def _purpose(scope: Scope, default: str) -> str:
    for name, value in scope.get("headers", ()):
        if name == PURPOSE_HEADER:
            chosen = value.decode("utf-8", "replace").strip().lower()
            return chosen if chosen in audit.PURPOSES else default
    return default


def _ids(scope: Scope, state: dict) -> dict:
    from urllib.parse import parse_qsl

    params = {k: v for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"))}
    params.update({k: str(v) for k, v in (scope.get("path_params") or {}).items()})
    ids = {("since" if k == "from" else k): v for k, v in params.items() if k in ID_PARAMS and v}
    if "client" in ids and not _is_pseudonym(ids["client"]):
        # the caller's own text, not a pseudonym (the handler refuses it): recorded (masked and shortened by
        # audit.record) under its own key, so the refusal is still recorded and the client column holds
        # pseudonyms only
        ids["client_invalid"] = ids.pop("client")
    client = state.get("audit_client")
    if client:
        ids["client"] = client
    return ids


def _is_pseudonym(value: str) -> bool:
    try:
        audit.check_client(value)
    except audit.AuditError:
        return False
    return True


def _pending(store, scope: Scope, caller, rule: policy.Rule, status: int) -> audit.Pending:
    state = scope.get("state") or {}
    address = scope.get("client")[0] if scope.get("client") else None
    return audit.prepare(store, caller.identity if caller else None, rule.operation,
                         rule.operation.removeprefix("get").removeprefix("list")[:40] or "request",
                         _ids(scope, state), _purpose(scope, rule.audit),
                         "allowed" if caller is not None and caller.allowed and status not in (401, 403)
                         else "refused", status, address=address)


def records_for(scope: Scope, caller, statuses: tuple[int, ...]) -> tuple[audit.Pending | None, ...]:
    """The request's audit record for each of the answers `statuses`, for a handler that writes it in its own
    transaction (the entry submissions: in the one appending them); None for each when not audited."""
    rule = policy.rule(caller.operation) if caller is not None else None
    if rule is None or not rule.audit:
        return tuple(None for _ in statuses)
    store = scope["app"].state.store
    return tuple(_pending(store, scope, caller, rule, status) for status in statuses)


def written(scope: Scope, status: int) -> None:
    """The handler wrote the request's audit record for the answer `status` (durable: committed); the
    middleware writes none for it, unless the answer is another status after all."""
    scope["state"]["audit_written"] = status


def audit_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_after_record(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state") or {}
                caller = state.get("caller")
                rule = policy.rule(caller.operation) if caller is not None else None
                if rule is not None and rule.audit and state.get("audit_written") != message["status"]:
                    try:
                        app_state = scope["app"].state
                        await app_state.audit_commits.submit(_pending(app_state.store, scope, caller, rule,
                                                                      message["status"]))
                    except Exception:
                        log.exception("audit record failed for %s", caller.operation)
                        body = json.dumps({"type": "urn:bwledger:problem:AUDIT_UNAVAILABLE", "status": 503,
                                           "code": "AUDIT_UNAVAILABLE", "title": "Auditlogboek niet beschikbaar",
                                           "detail": "het auditlogboek kon deze handeling niet vastleggen; "
                                                     "probeer het later opnieuw"}).encode()
                        scope["state"]["audit_failed"] = True
                        await send({"type": "http.response.start", "status": 503,
                                    "headers": [(b"content-type", b"application/problem+json"),
                                                (b"content-length", str(len(body)).encode()),
                                                (b"retry-after", b"5")]})
                        await send({"type": "http.response.body", "body": body})
                        return
            elif (scope.get("state") or {}).get("audit_failed"):
                return  # the original body is never sent after a failed record
            await send(message)

        await app(scope, receive, send_after_record)
    return middleware
