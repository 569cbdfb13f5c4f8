"""The HTTP app: `create_app(settings)` wires the ledger store (built by api/bootstrap.py, the one
composition root, in the lifespan), the checkpoint timer, the JSON endpoints, the Dutch pages and problem+json errors."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import anyio
from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import Message, Scope

from api import bootstrap, links, logmask
from api.access import audit
from api.http import (pages, reads, routes_api, routes_audit, routes_cases, routes_clients, routes_keys, routes_login,
                      routes_beoordelingen, routes_notices, routes_oidc, routes_proofs, routes_quarter,
                      routes_reference, routes_settlement, v1)
from api.http.auditing import audit_middleware
from api.http.camel import Json
from api.http.group_commit import GroupCommit
from api.http.guards import AccessDenied, access_guard, caller_of
from api.http.openapi import AdrJsonPlugin
from api.http.pools import Pools
from api.http.problems import exception_handlers, on_access_denied
from api.http.request_body import BoundedRequest
from api.http.timer import CheckpointTimer
from api.settings import Settings, load_settings
from ledger import inbox
from ledger.private_files import restrict_process
from ledger.store import Store

HERE = Path(__file__).resolve().parents[1]
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
log = logging.getLogger("bwledger.http")

#: sent with every response: pages use only their own CSS and their own scripts (/static/sign.js: signing in
#: the browser, which fetches only this origin), no inline script, no external sources.
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
#: added when the request came over TLS (uvicorn with a certificate, or X-Forwarded-Proto from a trusted proxy)
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def _store(state: State) -> Store:
    return state.store


def _access(state: State):
    return state.access


def _templates() -> TemplateConfig:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(pages.template_globals())
    env.globals.update(links.template_links())
    env.filters.update(pages.template_filters())
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))


def response_headers(message: Message, scope: Scope) -> None:
    """The headers of every answer, of a page, an endpoint or an address that does not exist (Litestar's
    `before_send`, which sees them all): the security headers, HSTS over TLS, and for /v1 the API's own
    (api/http/v1.py: API-Version and the ADR security headers). A header the handler set itself is kept."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers", []))
    present = {k.lower() for k, _ in headers}
    headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items() if k.encode() not in present]
    if scope.get("scheme") == "https" and HSTS[0] not in present:
        headers.append(HSTS)
    message["headers"] = headers
    v1.add_headers(message, scope)
    reads.add_headers(message, scope)


def contact(settings: Settings) -> dict[str, str]:
    """The OpenAPI document's `info.contact` (ADR /core/doc-openapi-contact): the API's own beheer."""
    return {"name": "Beheer bwledger API (verrekening beschermd wonen)", "email": settings.api_contact_email}


def create_app(settings: Settings | None = None) -> Litestar:
    """The app for `settings` (default: from the environment). The ledger is initialised if needed
    (schema migration; on an empty ledger the operator key and its genesis entry) when the app starts."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        logmask.install()  # after uvicorn and litestar configured their handlers: mask BSN-like numbers
        # with the timer on, a submission's checkpoint is left to the timer (see api/http/timer.py)
        store = await anyio.to_thread.run_sync(bootstrap.server_store, settings)
        timer = CheckpointTimer(store, settings.checkpoint_seconds, anchor_seconds=settings.audit_anchor_seconds,
                                index_for_replica=settings.read_database_url is not None,
                                collector=bootstrap.witness_collector(settings, store))
        app.state.store, app.state.timer, app.state.last_verification = store, timer, None
        # where the reports read: the read replica of BWLEDGER_READ_DATABASE_URL, else the primary (api/http/reads.py)
        app.state.read_store = await anyio.to_thread.run_sync(bootstrap.read_store, settings, store)
        # the mailbox view is a cache at the store's boundary (ledger/inbox.py): read it before the first inbox
        await anyio.to_thread.run_sync(inbox.warm, app.state.read_store)
        app.state.access = bootstrap.access_service(store, settings)
        app.state.rate_limit = bootstrap.request_limit(settings, store)
        # group commit (api/http/group_commit.py): the writes of concurrent requests in this worker, one
        # transaction per group and each caller answered after it commits: the entry submissions (each
        # refused alone), the rate-limit counts and the audit records
        app.state.entry_commits = GroupCommit("entries", routes_api.submission_flush(store))
        app.state.rate_commits = GroupCommit("rate-limit", lambda calls: app.state.rate_limit.check_many(calls))
        app.state.audit_commits = GroupCommit("audit", partial(audit.write, store))
        leases = bootstrap.pool_leases(settings, store)
        app.state.pools.share(leases)
        leases.start()
        app.state.documents = await anyio.to_thread.run_sync(bootstrap.client_documents, settings, store)
        # every N3/N8 admitted here is replayed on the facts deposited with it (ledger/determination_replay.py)
        app.state.deposits = bootstrap.determination_deposits(settings, store, app.state.documents)
        app.state.pseudonym_secret = await anyio.to_thread.run_sync(bootstrap.pseudonym_secret, settings)
        timer.start()
        try:
            yield
        finally:
            await timer.stop()
            leases.stop()
            app.state.pools.share(None)
            if app.state.read_store is not store:
                app.state.read_store.dispose()
            store.dispose()

    return Litestar(
        route_handlers=[*v1.ROUTES, *routes_reference.ROUTES, *routes_api.ROUTES, *routes_proofs.ROUTES, *routes_keys.ROUTES, *routes_settlement.ROUTES,
                        *routes_beoordelingen.ROUTES, *routes_quarter.ROUTES, *routes_cases.ROUTES,
                        routes_cases.upload_route(settings.max_document_bytes),
                        routes_cases.upload_page_route(settings.max_document_bytes), *routes_audit.ROUTES,
                        *routes_clients.ROUTES, *routes_notices.ROUTES, *pages.ROUTES, *routes_login.ROUTES,
                        *(routes_oidc.routes(routes_login.session_for_identity) if settings.oidc else []),
                        create_static_files_router(path="/static", directories=[STATIC], name="static")],
        dependencies={"store": Provide(_store, sync_to_thread=False),
                      "access": Provide(_access, sync_to_thread=False),
                      "caller": Provide(caller_of, sync_to_thread=False),
                      "reader": Provide(reads.reader_of)},
        guards=[v1.no_trailing_slash, access_guard],
        lifespan=[lifespan],
        exception_handlers={**exception_handlers(), AccessDenied: on_access_denied},
        template_config=_templates(),
        middleware=[audit_middleware],
        response_class=Json,  # every JSON answer's member names in camelCase (api/http/camel.py)
        before_send=[response_headers],
        request_max_body_size=settings.max_request_bytes,
        request_class=BoundedRequest,
        state=State({"settings": settings, "pools": Pools(settings.pool_sizes, settings.pool_queue,
                                                          settings.busy_retry_seconds)}),
        debug=False,
        # the OpenAPI 3.1 document only, at /v1/openapi.json (api/http/openapi.py; no documentation UI: it
        # would load scripts from a CDN)
        openapi_config=OpenAPIConfig(title="bwledger API", version=v1.API_VERSION, path="/v1/openapi.json",
                                     render_plugins=[AdrJsonPlugin(contact(settings))]),
    )


def app_from_env() -> Litestar:
    """For `uvicorn --factory api.http.app:app_from_env`."""
    restrict_process()
    return create_app(load_settings())
