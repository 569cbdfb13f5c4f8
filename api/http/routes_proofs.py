"""The log as a transparency log under /v1 (issue 15): the newest checkpoint as a C2SP signed note, and the
RFC 9162 consistency and inclusion proofs against it; thin adapters over ledger.service, ledger.proofs
(api.compose shapes the JSON).

All three are public, like GET /v1/grootboek/controlepunt: a checkpoint is a tree size and a root hash, a
proof is hashes of the tree, none shows an entry's content, and a witness of another organisation (C2SP
tlog-witness) or an auditor must be able to read them without an account of this server. The operator's
verifier key that the note is checked with comes out of band (`bwledger ledger vkey`)."""
from __future__ import annotations

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

from api import compose
from api.http.routes_api import in_thread
from ledger.cosigned import cosigned_checkpoint_note
from ledger.store import Store

NOTE_MEDIA = "text/plain; charset=utf-8"


@get("/v1/checkpoint", operation_id="getCheckpointNote", media_type=NOTE_MEDIA)
async def checkpoint_note(store: NamedDependency[Store]) -> Response:
    """The newest checkpoint as a C2SP signed note (c2sp.org/tlog-checkpoint): the log's origin, the tree
    size, the base64 RFC 6962 root hash, a blank line and the operator's Ed25519 signature line, byte for byte
    as signed, followed by the cosignature lines (C2SP tlog-cosignature) of the witnesses that cosigned it
    (ledger/cosigned.py). Verify it with the operator's verifier key (`bwledger ledger vkey`, out of band) and
    e.g. Go's golang.org/x/mod/sumdb/note.Open (which ignores the witnesses' lines), and count the witnesses
    with their verifier keys (`bwledger ledger verify-bundle --witness`, ledger/cosignature.py)."""
    return Response(await in_thread(cosigned_checkpoint_note, store), media_type=NOTE_MEDIA)


@get("/v1/bewijzen/consistentie", operation_id="getConsistencyProof")
async def consistency(store: NamedDependency[Store], van: FromQuery[int],
                      tot: FromQuery[int | None] = None) -> dict:
    """The RFC 9162 2.1.4 consistency proof from the tree of `van` entries to that of `tot` (default: the newest
    checkpoint's size), with both roots; 0 < van <= tot <= the newest checkpoint's size."""
    return await in_thread(compose.consistency_view, store, van, tot)


@get("/v1/bewijzen/inclusie", operation_id="getInclusionProof")
async def inclusion(store: NamedDependency[Store], volgnummer: FromQuery[int],
                    grootte: FromQuery[int | None] = None) -> dict:
    """The RFC 9162 2.1.3 audit path of the entry at `volgnummer` in the tree of `grootte` entries (default: the
    newest checkpoint's size), with its leaf hash and the root."""
    return await in_thread(compose.inclusion_view, store, volgnummer, grootte)


ROUTES = [checkpoint_note, consistency, inclusion]
