"""JSON endpoints under /v1 (api/http/v1.py): thin adapters over api.compose / the service functions.

Handlers are async and run the (blocking) service calls in a worker thread with `in_thread`.
(Litestar's `sync_to_thread=True` wraps a handler again each time its route is rebuilt, which
breaks two sync handlers on one path, such as GET and POST /v1/grootboek/regels.)"""
from __future__ import annotations

import os
import time
from functools import partial
from typing import Annotated, Any

import anyio
from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery, JSONBody, QueryParameter, RawBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api import compose, metrics
from api import health as health_checks
from api.http.downloads import download
from api.http.guards import Caller
from api.http.pagination import PageNumber, PageSize, page_of
from api.http.problems import problem
from ledger.store import Store

JSON_TYPES = ("application/json", "application/problem+json")
#: ?from= (a Python keyword, hence the alias)
Since = Annotated[str | None, QueryParameter(name="from")]


async def in_thread(fn, *args, **kwargs):
    """Run a blocking service call off the event loop."""
    return await anyio.to_thread.run_sync(partial(fn, *args, **kwargs))


def _format(request: Request, fmt: str | None) -> str:
    if fmt:
        if fmt not in ("toml", "json"):
            raise compose.RequestInvalid("format", f"toml or json, not {fmt!r}")
        return fmt
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return "json" if ctype in JSON_TYPES or ctype.endswith("+json") else "toml"


@post("/v1/beoordelingen", status_code=HTTP_200_OK, operation_id="determineRules")
async def determine(request: Request, state: State, body: RawBody, case: FromQuery[str | None] = None,
                    format: FromQuery[str | None] = None) -> dict:
    """Facts in the casebook TOML form (or the same structure as JSON) -> the determination. A JSON body may
    carry a Haal Centraal BRP `verblijfplaatshistorie` response as its member `brp` (and `brp_institutions`):
    the case's address history then comes from it, and the answer has `brp_report`, what was read."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise compose.RequestInvalid("body", "not UTF-8 text") from None
    fmt = _format(request, format)
    return (await assess(state, text, fmt, case)).to_dict()


async def assess(state: State, text: str, fmt: str, case: str | None, brp: str | None = None,
                 institutions: dict[str, str] | None = None) -> compose.Assessment:
    """A determination (compose.assess); a large one in the determine pool (api/http/pools.py). `brp`: the
    text of a BRP verblijfplaatshistorie response for the address history (read, never stored)."""
    size = len(text.encode("utf-8")) + (len(brp.encode("utf-8")) if brp else 0)
    if size >= state.settings.large_determination_bytes:
        return await state.pools.run("determine", compose.assess, text, fmt, case, brp=brp, institutions=institutions)
    return await in_thread(compose.assess, text, fmt, case, brp=brp, institutions=institutions)


async def verification(reader: Store, state: State) -> dict:
    """The full verification (compose.verification) of the store reports read (api/http/reads.py) in the verify
    pool, with the server's worker count; its outcome recorded on the primary for the monitoring."""
    report = await state.pools.run("verify", compose.verification, reader, workers=state.settings.verify_workers,
                                   record_on=state.store)
    state.last_verification = report
    return report


@get("/v1/grootboek/controle", operation_id="verifyLedger")
async def verify(reader: NamedDependency[Store], state: State) -> dict:
    """The full verification report. It runs in the verify pool with the server's own worker count
    (BWLEDGER_VERIFY_WORKERS); a `?workers=` of the caller is ignored."""
    return await verification(reader, state)


def _submit(store: Store, caller: Caller, data: dict[str, Any]) -> Response:
    if "entries" in data:
        items = data["entries"]
        if not isinstance(items, list) or not items:
            raise compose.RequestInvalid("entries", "a non-empty list of {statement, signature}")
        signed = [compose.decode_submission(x, f"entries[{i}]") for i, x in enumerate(items)]
    else:
        signed = [compose.decode_submission(data)]
    for st in signed:  # a caller submits only its own party's statements (the ledger checks their signatures;
        author = compose.statement_author(st)  # one without a readable author it refuses as STATEMENT_INVALID)
        if author is not None:
            caller.require_party(author, "deze verklaring")
    started = time.perf_counter()
    results = compose.submit(store, signed)
    if any(not r["duplicate"] for r in results):  # the append latency of the monitoring (api/metrics.py)
        metrics.observe_append(store.engine, time.perf_counter() - started)
    content: dict = {"results": results} if "entries" in data else results[0]
    created = any(not r["duplicate"] for r in results)
    return Response(content, status_code=HTTP_201_CREATED if created else HTTP_200_OK)


@post("/v1/grootboek/regels", operation_id="submitEntries")
async def submit(store: NamedDependency[Store], caller: NamedDependency[Caller],
                 data: JSONBody[dict[str, Any]]) -> Response:
    """One signed statement {statement, signature} (base64), or {"entries": [...]} as one batch.
    201 when something was appended, 200 when every item was a replay of an existing entry."""
    return await in_thread(_submit, store, caller, data)


def _period(party: str, date_from: str | None, date_to: str | None):
    return (compose.check_party(party), *compose.parse_period(date_from, date_to))


@get("/v1/grootboek/regels", operation_id="listEntries")
async def entries(request: Request, store: NamedDependency[Store], caller: NamedDependency[Caller], party: FromQuery[str],
                  from_: Since = None, to: FromQuery[str | None] = None, page: PageNumber = None,
                  page_size: PageSize = None) -> Response:
    """The entries of a party in a period (`from`, `to`: YYYY-MM-DD), oldest first, a page at a time
    (api/http/pagination.py: `count` on this page, `total` of all pages, the others in `Link`)."""
    who, d_from, d_to = _period(party, from_, to)
    rows = await in_thread(compose.party_entries, store, who, d_from, d_to, caller.party)
    got = page_of(request, rows, page, page_size)
    return Response({"party": who, "from": d_from.isoformat(), "to": d_to.isoformat(), "count": len(got.items),
                     "total": got.total, "entries": got.items}, headers=got.headers)


@get("/v1/grootboek/controlepunt", operation_id="getCheckpoint")
async def checkpoint(store: NamedDependency[Store]) -> dict:
    view = compose.checkpoint_view(await in_thread(store.latest_checkpoint))
    if view is None:
        raise NotFoundException("no checkpoint yet")
    return view


@get("/v1/grootboek/bundel", operation_id="getBundle")
async def bundle(store: NamedDependency[Store], state: State, caller: NamedDependency[Caller], party: FromQuery[str],
                 from_: Since = None, to: FromQuery[str | None] = None) -> Response:
    who, d_from, d_to = _period(party, from_, to)
    raw = await state.pools.run("bundle", compose.bundle_document, store, who, d_from, d_to, caller.party)
    name = f"bundle-{who.replace(':', '_')}-{d_from}-{d_to}.json"
    return download(raw, name, "application/json")


@get("/v1/gezondheid/levend", operation_id="getLiveness")
async def liveness() -> dict:
    """Liveness: the process answers (it reads nothing: a slow database does not get the worker restarted)."""
    return health_checks.liveness()


@get("/v1/gezondheid/gereed", operation_id="getReadiness")
async def readiness(request: Request, store: NamedDependency[Store], state: State) -> Response:
    """Readiness (api/health.py): the primary database answers with a ledger, the operator key is here and
    valid, and the read replica answers when one is configured; 200, else 503 NOT_READY with the checks."""
    ready = await in_thread(health_checks.readiness, store, state.read_store)
    if ready.ready:
        return Response(ready.to_dict())
    return problem(request, 503, health_checks.NOT_READY, "; ".join(c.detail for c in ready.checks if not c.ok),
                   title="Niet gereed", headers={"Retry-After": "5"}, controles=ready.to_dict()["controles"])


@get("/metrics", operation_id="getMetrics", include_in_schema=False)
async def prometheus_metrics(store: NamedDependency[Store], state: State) -> Response:
    """The Prometheus metrics (api/metrics.py), for the operator's monitoring (policy: a token of the
    operator's beheer or an auditor)."""
    text = await in_thread(metrics.exposition, store, state.read_store)
    return Response(text, media_type=metrics.MEDIA_TYPE, headers={"cache-control": "no-store"})


@get("/v1/gezondheid", operation_id="getHealth")
async def health(store: NamedDependency[Store], state: State) -> dict:
    ledger = await in_thread(compose.overview, store)
    return {"status": "attention" if ledger["needs_attention"] else "ok", "ledger": ledger,
            "checkpoint_timer": state.timer.status(), "pools": state.pools.status(),
            "worker": os.getpid()}  # which worker process of `bwledger serve --workers N` answered


ROUTES = [determine, verify, submit, entries, checkpoint, bundle, health, liveness, readiness, prometheus_metrics]
