"""JSON endpoints under /api: thin adapters over api.http.compose / the service functions."""
from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import Parameter
from litestar.response import Response as LResponse
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.http import compose
from api.http.guards import write_guard
from ledger.store import Store

JSON_TYPES = ("application/json", "application/problem+json")


def _format(request: Request, fmt: str | None) -> str:
    if fmt:
        if fmt not in ("toml", "json"):
            raise compose.RequestInvalid("format", f"toml or json, not {fmt!r}")
        return fmt
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return "json" if ctype in JSON_TYPES or ctype.endswith("+json") else "toml"


@post("/api/rules/determine", sync_to_thread=True, status_code=HTTP_200_OK)
def determine(request: Request, body: bytes, case: str | None = None, format: str | None = None) -> dict:
    """Facts in the casebook TOML form (or the same structure as JSON) -> the determination."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise compose.RequestInvalid("body", "not UTF-8 text") from None
    return compose.assess(text, _format(request, format), case).to_dict()


@get("/api/ledger/verify", sync_to_thread=True)
def verify(store: Store, state: State, workers: int | None = None) -> dict:
    report = compose.verification(store, workers=workers)
    state.last_verification = report
    return report


@post("/api/ledger/entries", sync_to_thread=True, guards=[write_guard])
def submit(store: Store, data: dict[str, Any]) -> Response:
    """One signed statement {statement, signature} (base64), or {"entries": [...]} as one batch."""
    if "entries" in data:
        items = data["entries"]
        if not isinstance(items, list) or not items:
            raise compose.RequestInvalid("entries", "a non-empty list of {statement, signature}")
        results = compose.submit(store, [compose.decode_submission(x, f"entries[{i}]") for i, x in enumerate(items)])
        content: dict = {"results": results}
    else:
        results = compose.submit(store, [compose.decode_submission(data)])
        content = results[0]
    created = any(not r["duplicate"] for r in results)
    return LResponse(content, status_code=HTTP_201_CREATED if created else HTTP_200_OK)


@get("/api/ledger/entries", sync_to_thread=True)
def entries(store: Store, party: str, from_: Annotated[str | None, Parameter(query="from")] = None, to: str | None = None) -> dict:
    party = compose.check_party(party)
    d_from, d_to = compose.parse_period(from_, to)
    rows = compose.party_entries(store, party, d_from, d_to)
    return {"party": party, "from": d_from.isoformat(), "to": d_to.isoformat(), "count": len(rows), "entries": rows}


@get("/api/ledger/checkpoint", sync_to_thread=True)
def checkpoint(store: Store) -> dict:
    view = compose.checkpoint_view(store.latest_checkpoint())
    if view is None:
        raise NotFoundException("no checkpoint yet")
    return view


@get("/api/ledger/bundle", sync_to_thread=True)
def bundle(store: Store, party: str, from_: Annotated[str | None, Parameter(query="from")] = None, to: str | None = None) -> Response:
    party = compose.check_party(party)
    d_from, d_to = compose.parse_period(from_, to)
    raw = compose.bundle_document(store, party, d_from, d_to)
    name = f"bundle-{party.replace(':', '_')}-{d_from}-{d_to}.json"
    return LResponse(raw, media_type="application/json",
                     headers={"Content-Disposition": f'attachment; filename="{name}"'})


@get("/api/health", sync_to_thread=True)
def health(store: Store, state: State) -> dict:
    return {"status": "ok", "ledger": compose.overview(store), "checkpoint_timer": state.timer.status()}


ROUTES = [determine, verify, submit, entries, checkpoint, bundle, health]
