"""The request class of the app: a JSON body nested beyond the decoder's recursion limit is the
client's error (400 REQUEST_INVALID), not a server fault with a traceback."""
from __future__ import annotations

from typing import Any

from litestar import Request

from api.compose import RequestInvalid

TOO_DEEP = "de JSON is te diep genest (arrays of objecten in elkaar)"


class BoundedRequest(Request):
    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError:
            raise RequestInvalid("body", TOO_DEEP) from None
