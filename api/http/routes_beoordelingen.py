"""Determinations recorded as N3, answered (N4) and re-determined (N8) (issue 14): `/v1/vastgelegde-beoordelingen`
(`POST /v1/beoordelingen` applies the rules and stores nothing; a recorded one is a ledger entry).

Each write endpoint takes either a draft request (`partij`, `sleutelId` and the facts or the answer: 200,
the exact statement to sign on the party's own machine or in its browser) or the signed statement
(`verklaring`, `handtekening`: 201, admitted by the ledger, which replays a determination on the facts
deposited with it). The service functions are cases/determinations.py's, shaped by
api/compose_determinations.py, as `bwledger rules record|answer|redetermine`."""
from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.http.camel import Json
from api import compose_determinations as edge
from api.http.guards import Caller
from api.http.routes_api import in_thread
from ledger.store import Store


def _answer(result: tuple[dict[str, Any], bool]) -> Response:
    content, created = result
    return Json(content, status_code=HTTP_201_CREATED if created else HTTP_200_OK)


@post("/v1/vastgelegde-beoordelingen", operation_id="recordDetermination")
async def record(store: NamedDependency[Store], caller: NamedDependency[Caller], state: State,
                 data: JSONBody[dict[str, Any]]) -> Response:
    """Record a determination as N3. Draft: {partij, sleutelId, client, invoer (casebook TOML or JSON),
    formaat?, casus?, brp? (a Haal Centraal verblijfplaatshistorie response as JSON text), instellingen?,
    rechtsgrondslag?} -> 200 {beoordeling, digest, brpVerslag?, concept: {soort, idempotentieSleutel,
    ondertekendOp, verklaring (base64)}}; the facts and the trail are deposited encrypted for the client.
    Signed: {verklaring, handtekening} -> 201 {volgnummer, entryHash, ontvangenOp, alOpgenomen}."""
    return _answer(await in_thread(edge.record, store, state.deposits, data, caller))


@post("/v1/vastgelegde-beoordelingen/{volgnummer:str}/antwoorden", operation_id="answerDetermination")
async def answer(store: NamedDependency[Store], caller: NamedDependency[Caller], volgnummer: FromPath[str],
                 data: JSONBody[dict[str, Any]]) -> Response:
    """N4 on the determination at `volgnummer`. Draft: {partij, sleutelId, akkoord (true: aanvaarden,
    false: bezwaar), redenen (bij bezwaar), toelichting?} -> 200 {volgnummer, termijn, concept}. Signed:
    {verklaring, handtekening} -> 201 (the ledger: only the addressee, within the objection deadline)."""
    return _answer(await in_thread(edge.answer, store, volgnummer, data, caller))


@post("/v1/vastgelegde-beoordelingen/{volgnummer:str}/herbeoordelingen", operation_id="redetermineDetermination")
async def redetermine(store: NamedDependency[Store], caller: NamedDependency[Caller], state: State,
                      volgnummer: FromPath[str], data: JSONBody[dict[str, Any]]) -> Response:
    """N8: new facts for the client of the determination at `volgnummer` (e.g. a BRP mutation with its
    `recorded` date). Draft: {partij, sleutelId, invoer, formaat?, casus?, brp?, instellingen?, aanleiding
    (brp_correction, new_stay, ...), rechtsgrondslag?} -> 200 with the N8 to sign when the outcome changes,
    422 REDETERMINATION_UNCHANGED otherwise. Signed: {verklaring, handtekening} -> 201."""
    return _answer(await in_thread(edge.redetermine, store, state.deposits, volgnummer, data, caller))


@get("/v1/vastgelegde-beoordelingen/{digest:str}/spoor", operation_id="getDeterminationTrail")
async def trail(store: NamedDependency[Store], caller: NamedDependency[Caller], state: State,
                digest: FromPath[str]) -> dict:
    """The rule trail of a recorded determination: its exact JSON (`beoordeling`, whose SHA-256 is the
    `digest`, the determination digest the ledger entry carries), for the parties to it and the committee;
    404 DETERMINATION_NOT_FOUND for anyone else."""
    return await in_thread(edge.trail, store, state.deposits, digest, caller.sees_party)


@post("/v1/overdrachtsverzoeken", operation_id="requestHandover")
async def handover(store: NamedDependency[Store], caller: NamedDependency[Caller],
                   data: JSONBody[dict[str, Any]]) -> Response:
    """N5: the meldgemeente asks another party to take the client over. Draft: {partij, sleutelId, client, aan,
    redenen, voorgesteldeDatum, voorkeurClient?, rechtsgrondslag?} -> 200 {concept}; signed -> 201."""
    return _answer(await in_thread(edge.handover, store, data, caller))


@post("/v1/overdrachtsverzoeken/{volgnummer:str}/antwoorden", operation_id="answerHandover")
async def handover_answer(store: NamedDependency[Store], caller: NamedDependency[Caller], volgnummer: FromPath[str],
                          data: JSONBody[dict[str, Any]]) -> Response:
    """The answer to the N5 at `volgnummer`, by the party asked, once: draft {partij, sleutelId, akkoord,
    redenen? (required for a no), overnameDatum?} -> 200 {volgnummer, termijn, concept}; signed -> 201."""
    return _answer(await in_thread(edge.handover_answer, store, volgnummer, data, caller))


ROUTES = [record, answer, redetermine, trail, handover, handover_answer]
