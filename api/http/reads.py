"""Where the reports of the server read (issue 15): the read replica when BWLEDGER_READ_DATABASE_URL is set
(api/bootstrap.py `read_store`), else the primary. The append path and every write stay on the primary
(`store`); a handler that reports (statements, the settlement, the quarter pages, the inbox, verification)
asks for `reader` instead.

Every answer that read from `reader` states what it reflects, in two headers:

- `Grootboek-Volgnummer`: the last seq of the ledger as the database read had it when the request began
  (-1: empty); the answer reflects at least every entry up to it (a replica only moves forward, so an entry
  replayed meanwhile may be in it too).
- `Grootboek-Bron`: `replica` or `primair`, the database read.
"""
from __future__ import annotations

import anyio
from litestar import Request
from litestar.datastructures import State
from litestar.types import Message, Scope

from ledger.store import Store

SEQ_HEADER = "Grootboek-Volgnummer"
SOURCE_HEADER = "Grootboek-Bron"
_SCOPE_KEY = "bwledger.read"


async def reader_of(request: Request, state: State) -> Store:
    """The dependency `reader`: the store reports read, with what it reflects noted for the answer's headers."""
    reader: Store = state.read_store
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
