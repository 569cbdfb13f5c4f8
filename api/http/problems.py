"""Every error as application/problem+json (RFC 9457) with a stable `code`; never a traceback.

A browser asking for a page (not under /v1, nor the old /api) gets the same problem as a short Dutch HTML page.
"""
from __future__ import annotations

import logging
import re
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import OperationalError

from api.compose import RequestInvalid
from api.http.camel import Json
from api.http.pools import PoolBusy
from cases.errors import CaseError
from ledger import errors as E
from ledger.errors import LedgerError
from rules.brp_historie import BrpError
from rules.casebook import Malformed
from rules.engine import FactsError

log = logging.getLogger("bwledger.http")
PROBLEM_JSON = "application/problem+json"

#: HTTP status per ledger refusal code; any other LedgerError code is 422.
LEDGER_STATUS = {
    E.NOT_ENTITLED: 403, E.KEY_NOT_VALID: 403, E.IDEMPOTENCY_CONFLICT: 409, E.NOT_INITIALISED: 503,
    E.BUNDLE_MALFORMED: 409, "QUARTER_INVALID": 400, "QUARTER_NOT_ENDED": 409,
    # the business rules of admission (ledger/admission.py): the author's role, or the state of the ledger
    E.ACTOR_NOT_ALLOWED: 403, E.TRANSITION_NOT_ALLOWED: 409, E.CASE_EXISTS: 409, E.DEADLINE_NOT_PASSED: 409,
    E.DEADLINE_PASSED: 409,
    E.PRIOR_ATTEMPTS_MISSING: 409, E.NOT_BOOKED: 409, E.ALREADY_REVERSED: 409, E.TARIFF_ACCEPTANCE_INVALID: 409, E.SEAL_ORDER: 409,
    E.ACKNOWLEDGEMENT_INVALID: 409, E.BSN_INVALID: 422,
}
#: HTTP status per cases refusal code (cases.errors); any other CaseError code is 422.
CASE_STATUS = {
    "CASE_NOT_FOUND": 404, "DETERMINATION_NOT_FOUND": 404, "COST_LINE_NOT_FOUND": 404, "DOCUMENT_NOT_FOUND": 404, "CASE_EXISTS": 409,
    "TRANSITION_NOT_ALLOWED": 409, "ACTOR_NOT_ALLOWED": 403, "DEADLINE_NOT_PASSED": 409,
    "PRIOR_ATTEMPTS_MISSING": 409, "DOCUMENT_TOO_LARGE": 413, "DOCUMENT_TYPE_REFUSED": 415,
    "CLIENT_ERASED": 410, "CLIENT_UNKNOWN": 404, "PLACE_NOT_FOUND": 404,
}
TITLES = {
    "REQUEST_INVALID": "The request is not of the form asked for",
    "FACTS_INVALID": "The facts cannot be accepted by the rules",
    "CASEBOOK_MALFORMED": "The casebook input is malformed",
    "NOT_FOUND": "Not found", "METHOD_NOT_ALLOWED": "Method not allowed",
    "REQUEST_TOO_LARGE": "Request body too large", "INTERNAL_ERROR": "Internal error",
    "DATABASE_UNAVAILABLE": "The database is unavailable",
    "SERVER_BUSY": "The server is busy with this kind of work",
}
_HTTP_CODES = {400: "REQUEST_INVALID", 401: "NOT_AUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND",
               405: "METHOD_NOT_ALLOWED", 413: "REQUEST_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE",
               429: "TOO_MANY_REQUESTS"}
_DUTCH = {404: "Deze pagina bestaat niet.", 405: "Deze handeling is hier niet toegestaan.",
          413: "Het bestand of de invoer is te groot.", 503: "Het grootboek is even niet bereikbaar. "
          "Probeer het over een paar seconden opnieuw.", 500: "Er ging iets mis aan onze kant. "
          "De fout is vastgelegd; probeer het later opnieuw."}


def problem_type(code: str) -> str:
    return f"urn:bwledger:problem:{code}"


def problem(request: Request, status: int, code: str, detail: str, title: str | None = None,
            headers: dict[str, str] | None = None, uitleg: str | None = None, **extra: Any) -> Response:
    body = {"type": problem_type(code), "title": title or TITLES.get(code, code.replace("_", " ").capitalize()),
            "status": status, "detail": detail, "code": code, "instance": request.url.path,
            **{k: v for k, v in extra.items() if v is not None}}
    if _wants_html(request):
        return Template(template_name="fout.html", status_code=status, media_type=MediaType.HTML,
                        headers=headers, context={"problem": body, "uitleg": uitleg or _DUTCH.get(status, detail)})
    return Json(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _wants_html(request: Request) -> bool:
    if request.url.path.startswith(("/api", "/v1")):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept


def on_access_denied(request: Request, exc) -> Response:
    """The guard's refusal (api/http/guards.py AccessDenied): a page asked for without a login redirects to
    the login page; everything else is the problem (401 with WWW-Authenticate for the API)."""
    from litestar.response import Redirect

    from api.http.guards import login_redirect

    if exc.status == 401 and _wants_html(request) and request.method == "GET":
        return Redirect(login_redirect(request.url.path + (f"?{request.url.query}" if request.url.query else "")),
                        status_code=303)
    if exc.status == 429:  # the rate limits (api/access/rate_limit.py)
        return problem(request, 429, exc.code, exc.message, title="Te veel verzoeken",
                       headers={"Retry-After": str(exc.retry_after or 60)},
                       uitleg=exc.message[:1].upper() + exc.message[1:] + ".")
    headers = {"WWW-Authenticate": 'Bearer realm="bwledger"'} if exc.status == 401 else None
    title = None if exc.status == 404 else "Geen toegang"  # a 404 reads as any other: existence is not told
    return problem(request, exc.status, exc.code, exc.message, title=title, headers=headers)


def on_ledger_error(request: Request, exc: LedgerError) -> Response:
    return problem(request, LEDGER_STATUS.get(exc.code, 422), exc.code, exc.message,
                   title="The ledger refused", seq=exc.seq, index=exc.index)


def on_case_error(request: Request, exc: CaseError) -> Response:
    return problem(request, CASE_STATUS.get(exc.code, 422), exc.code, exc.message, title="The case refused")


def invalid_params(*items: tuple[str, str, str | None]) -> list[dict[str, str]]:
    """The `invalidParams` of a 400 (ADR /core/error-handling/invalid-input): per parameter or field its
    name, the reason and where it was (query, path, header, body)."""
    return [{"name": name, "reason": reason, **({"in": where} if where else {})} for name, reason, where in items]


def on_facts_error(request: Request, exc: FactsError) -> Response:
    """Facts that parse but that the rules cannot accept (a date before the melding, ...): 422."""
    return problem(request, 422, exc.code, str(exc), case_id=exc.case_id, field=exc.field)


def on_brp_error(request: Request, exc: BrpError) -> Response:
    """A BRP response the adapter cannot map (rules/brp_historie.py): its own stable code, the place in it."""
    return problem(request, 422, exc.code, f"BRP-antwoord: {exc}", title="Het BRP-antwoord is niet te verwerken",
                   field=f"brp.{exc.where}" if exc.where else "brp")


def on_malformed(request: Request, exc: Malformed) -> Response:
    """Casebook input that does not parse or is not of the casebook's form: invalid input, 400."""
    return problem(request, 400, "CASEBOOK_MALFORMED", str(exc), invalidParams=invalid_params(("body", str(exc), "body")))


def on_request_invalid(request: Request, exc: RequestInvalid) -> Response:
    return problem(request, 400, exc.code, str(exc), field=exc.field,
                   invalidParams=invalid_params((exc.field, exc.message, None)))


#: Litestar's message for a required parameter that is not there
_MISSING = re.compile(r"Missing required (query|path|header|cookie) parameter '([^']+)'")


def on_validation(request: Request, exc: ValidationException) -> Response:
    """Litestar's own check of the parameters and body (a missing required query parameter, ...)."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    params = invalid_params(*(("body" if e.get("source") == "body" and e.get("key") == "data" else str(e.get("key")),
                               str(e.get("message") or exc.detail), str(e["source"]) if e.get("source") else None)
                              for e in extra if isinstance(e, dict) and e.get("key")))
    missing = _MISSING.match(str(exc.detail))
    if missing and not params:
        params = invalid_params((missing.group(2), "ontbreekt (verplicht)", missing.group(1)))
    return problem(request, 400, "REQUEST_INVALID", str(exc.detail), errors=exc.extra or None,
                   invalidParams=params or invalid_params(("request", str(exc.detail), None)))


def on_http(request: Request, exc: HTTPException) -> Response:
    code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
    if exc.status_code >= 500:
        return on_internal(request, exc)
    return problem(request, exc.status_code, code, str(exc.detail), headers=exc.headers or None)


def on_database(request: Request, exc: OperationalError) -> Response:
    """The database is down, unreachable or locked past its timeout (not a bug: those stay 500)."""
    log.error("database error on %s %s: %s", request.method, request.url.path, exc.__class__.__name__, exc_info=exc)
    return problem(request, 503, "DATABASE_UNAVAILABLE", "The ledger database did not answer; try again later.",
                   headers={"Retry-After": "5"})


def on_pool_busy(request: Request, exc: PoolBusy) -> Response:
    """Expensive work of this kind is at its limit (api/http/pools.py): the client may try again later."""
    text = (f"De server is bezig met het maximale aantal verzoeken van deze soort ({exc.kind}). "
            f"Probeer het over {exc.retry_after} seconden opnieuw.")
    return problem(request, 503, PoolBusy.code, text, headers={"Retry-After": str(exc.retry_after)}, uitleg=text,
                   kind=exc.kind)


def on_internal(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(request, HTTP_500_INTERNAL_SERVER_ERROR, "INTERNAL_ERROR",
                   "An unexpected error occurred; it has been logged.")


def exception_handlers() -> dict:
    """Most specific first is not needed: litestar picks the handler of the nearest class in the MRO."""
    return {LedgerError: on_ledger_error, CaseError: on_case_error, FactsError: on_facts_error,
            Malformed: on_malformed, BrpError: on_brp_error, RequestInvalid: on_request_invalid, OperationalError: on_database,
            PoolBusy: on_pool_busy,
            ValidationException: on_validation, HTTPException: on_http,
            HTTP_500_INTERNAL_SERVER_ERROR: on_internal, Exception: on_internal}
