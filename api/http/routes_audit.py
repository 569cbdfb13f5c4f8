"""The audit log over HTTP (api/access/audit.py): the records for a party or a client pseudonym as JSON,
CSV or XLSX, and the verification of both chains. Who may call them is the access policy's business
(operation ids `listAudit` and `verifyAudit`); this module only routes."""
from __future__ import annotations

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

from api.http.camel import Json
from api import compose
from api.access import audit
from api.http.downloads import download
from api.http.guards import Caller
from api.http.pagination import PageNumber, PageSize, page_of
from api.http.routes_api import in_thread
from ledger.store import Store

MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _query(party: str | None, client: str | None, since: str | None) -> dict:
    try:
        return {"party": compose.check_party(party) if party else None,
                "client": audit.check_client(client) if client else None,
                "since": compose.parse_day(since, "since") if since else None}
    except audit.AuditError as exc:
        raise compose.RequestInvalid("client", exc.message) from None


def _listing(request: Request, store: Store, q: dict, fmt: str, page: str | None, page_size: str | None) -> Response:
    records = audit.list_records(store, **q)
    if fmt == "json":  # a page at a time (api/http/pagination.py); a csv or xlsx export holds them all
        since = q["since"].isoformat() if q["since"] else None
        got = page_of(request, records, page, page_size)
        return Json({"party": q["party"], "client": q["client"], "since": since, "count": len(got.items),
                         "total": got.total, "records": [r.to_dict() for r in got.items]}, headers=got.headers)
    name = "auditlogboek" + "".join(f"-{v}" for v in (q["party"], q["client"]) if v) + f".{fmt}"
    return download(audit.export(records, fmt), name, MEDIA[fmt])


@get("/v1/auditlogboek", operation_id="listAudit")
async def list_audit(request: Request, store: NamedDependency[Store], caller: NamedDependency[Caller],
                     party: FromQuery[str | None] = None, client: FromQuery[str | None] = None,
                     since: FromQuery[str | None] = None, format: FromQuery[str | None] = None,
                     page: PageNumber = None, page_size: PageSize = None) -> Response:
    """The audit records (oldest first, each with who did it): `party` its own records, `client` every
    processing of that pseudonym's data (an AVG inzageverzoek), `since` YYYY-MM-DD; `format` json
    (default), csv or xlsx (a download); json a page at a time (`page`, `pageSize`, the others in `Link`)."""
    if not caller.sees_party(party):  # a party's own beheer: only its own party's records (the guard checked
        party = caller.party           # a party named; without one, the listing is narrowed to its own)
    fmt = format or "json"
    if fmt not in ("json", "csv", "xlsx"):
        raise compose.RequestInvalid("format", f"json, csv or xlsx, not {fmt!r}")
    return await in_thread(_listing, request, store, _query(party, client, since), fmt, page, page_size)


def _verification(store: Store) -> dict:
    problems = audit.verify(store)
    h = audit.head(store) if not any(p.code == audit.NOT_INITIALISED for p in problems) else None
    return {"ok": not problems, "head": h.to_dict() if h else None, "problems": [p.to_dict() for p in problems]}


@get("/v1/auditlogboek/controle", operation_id="verifyAudit")
async def verify_audit(store: NamedDependency[Store]) -> dict:
    """Both audit chains and their head checked: `ok`, the head, every problem with its seq and code."""
    return await in_thread(_verification, store)


ROUTES = [list_audit, verify_audit]
