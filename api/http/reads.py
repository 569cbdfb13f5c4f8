"""Where the reports of the server read (issue 15): the read replica when BWLEDGER_READ_DATABASE_URL is set
(api/bootstrap.py `read_store`), else the primary. The append path and every write stay on the primary
(`store`); a handler that reports (statements, the settlement, the quarter pages, the inbox, verification)
asks for `reader` instead.

Every answer that read from `reader` states what it reflects, in two headers:

- `Grootboek-Volgnummer`: the last seq of the ledger as the database read had it when the request began
  (-1: empty); the answer reflects at least every entry up to it (a replica only moves forward, so an entry
  replayed meanwhile may be in it too).
- `Grootboek-Bron`: `replica` or `primair`, the database read.

The settlement index (a derived table, ledger/settlement/store.py) is written on the primary only: with a
replica configured, the checkpoint timer brings it up to date after every checkpoint, and while the replica's
copy lags its own entries a report reads the primary instead (and says `primair`).
"""
from __future__ import annotations

import anyio
from litestar import Request
from litestar.datastructures import State
from litestar.types import Message, Scope

from ledger.settlement.store import index_behind as index_is_behind
from ledger.store import Store

SEQ_HEADER = "Grootboek-Volgnummer"
SOURCE_HEADER = "Grootboek-Bron"
_SCOPE_KEY = "bwledger.read"


def index_behind(store: Store) -> bool:
    """Whether the settlement index (ledger/settlement/store.py, a derived table) of `store` lags its entries.
    The index is brought up to date by the reads on the primary and by the checkpoint timer (api/http/timer.py);
    a replica cannot do it itself, so while its copy lags, a report reads the primary."""
    with store.engine.connect() as conn:
        return index_is_behind(conn)


async def reader_of(request: Request, state: State) -> Store:
    """The dependency `reader`: the store reports read, with what it reflects noted for the answer's headers:
    the replica, unless its settlement index lags its entries (then the primary, and the answer says so)."""
    reader: Store = state.read_store
    if reader is not state.store and await anyio.to_thread.run_sync(index_behind, reader):
        reader = state.store
    size = await anyio.to_thread.run_sync(reader.size)
    request.scope[_SCOPE_KEY] = ("primair" if reader is state.store else "replica", size - 1)  # type: ignore[literal-required]
    return reader


def add_headers(message: Message, scope: Scope) -> None:
    """The two headers of an answer that read from `reader` (called from the app's `before_send`)."""
    read = scope.get(_SCOPE_KEY)  # type: ignore[misc]
    if read is None or message["type"] != "http.response.start":
        return
    source, seq = read
    message["headers"] = [*message.get("headers", []), (SEQ_HEADER.lower().encode(), str(seq).encode()),
                          (SOURCE_HEADER.lower().encode(), source.encode())]
