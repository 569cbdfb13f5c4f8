"""The witness's own HTTP service (`bwledger witness serve`), per C2SP tlog-witness: a small app apart from
the ledger's, run by a region (or any party) on its own machine with its own key.

    POST /add-checkpoint               the old size, the consistency proof and the checkpoint note in; the
                                       cosignature line out (ledger/witness.py decides every status)
    GET  /{origin hash}/checkpoint     the latest checkpoint this witness cosigned for that log, with the
                                       log's signature and its cosignature (404 when it never cosigned one)
    GET  /                             the witness's verifier key and the logs it knows (text/plain, Dutch)

The submission and monitoring prefixes are both the root of this app. There is no authentication beyond
the checkpoint's signature, as the protocol says; the body is limited to 64 kB (a note with 64 signatures
and 63 proof lines is far below it).
"""
from __future__ import annotations

import anyio
from litestar import Litestar, Request, Response, get, post
from litestar.params import FromPath

from ledger.witness import Witness, origin_hash

MAX_BODY = 65_536
_TEXT = "text/plain; charset=utf-8"


def create_witness_app(witness: Witness) -> Litestar:
    @post("/add-checkpoint", operation_id="witnessAddCheckpoint", status_code=200)
    async def add_checkpoint(request: Request) -> Response:
        body = await request.body()
        answer = await anyio.to_thread.run_sync(witness.add_checkpoint, body)  # file lock and fsync off the loop
        # the header as given: Litestar would add "; charset=utf-8" to a text/* media type, and a 409 MUST be
        # exactly text/x.tlog.size
        return Response(answer.body, status_code=answer.status, media_type="application/octet-stream",
                        headers={"content-type": answer.content_type})

    @get("/{digest:str}/checkpoint", operation_id="witnessCheckpoint")
    async def latest(digest: FromPath[str]) -> Response:
        for origin in witness.logs:
            if origin_hash(origin) == digest:
                note = witness.latest(origin)
                if note is not None:
                    return Response(note, media_type=_TEXT)
        return Response(b"deze getuige heeft voor dit grootboek nog geen controlepunt medeondertekend\n",
                        status_code=404, media_type=_TEXT)

    @get("/", operation_id="witnessInfo")
    async def info() -> Response:
        lines = [f"getuige {witness.name}", f"sleutel {witness.verifier.vkey()}"]
        lines += [f"grootboek {origin} ({origin_hash(origin)})" for origin in sorted(witness.logs)]
        return Response(("\n".join(lines) + "\n").encode(), media_type=_TEXT)

    return Litestar(route_handlers=[add_checkpoint, latest, info], request_max_body_size=MAX_BODY, debug=False,
                    openapi_config=None)
